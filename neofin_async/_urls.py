"""URL safety: https everywhere, plain http only on loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

import httpx

from ._exceptions import ConfigurationError


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_safe_url(url: str, name: str) -> str:
    """Refuse anything but https, except plain http to a loopback host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"{name} {url!r} is not a valid URL: {exc}") from None
    if parsed.scheme == "https" and parsed.host:
        return url
    if parsed.scheme == "http" and is_loopback(parsed.host):
        return url
    raise ConfigurationError(
        f"{name} {url!r} must use https (plain http is allowed only for localhost/127.0.0.1)"
    )


def segment(value: str, name: str) -> str:
    """One URL path segment, percent-encoded; empty values are refused."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    if value in (".", ".."):  # would be removed as a dot-segment, changing the route
        return value.replace(".", "%2E")
    return quote(value, safe="")
