"""URL safety: https everywhere, plain http only on loopback."""

from __future__ import annotations

import ipaddress

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
