"""What the three providers' clients share: the connection pool, timeouts, retries, headers,
the request pipeline and the lifecycle. A provider client adds its keys and resources."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, TypeVar

import httpx

from ._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HTTP_BACKEND,
    ENV_HTTP_BACKEND,
)
from ._exceptions import ConfigurationError
from ._http_client import create_http_client
from ._logging import setup_from_env
from ._pipeline import Dialect, RequestPipeline
from ._retry import RetryPolicy
from ._urls import require_safe_url
from .models import ExtraFields, resolve_extra_fields

UNSET: Any = object()
"""Marks an argument left out (so that `None` can mean "no value")."""

Self = TypeVar("Self", bound="BaseClient")


def env_or(value: str | None, name: str) -> str:
    """The argument, else the environment variable `name`, stripped (`""` when neither)."""
    return (value or os.environ.get(name) or "").strip()


Secret = tuple[str, str, str, "str | None"]
"""`(name, argument, environment variable, value given)`: one credential of a client."""


def resolve_secrets(secrets: Sequence[Secret], *, where: str) -> list[str]:
    """Each secret from its argument, else its environment variable (stripped: a stray
    `"\r"` from a .env file would make httpx refuse the header and quote it), refused without
    being echoed when missing or unusable in a header. `where` tells how to get them."""
    values = [env_or(value, env) for _, _, env, value in secrets]
    missing = [
        f"{name} (argument {argument}= or environment variable {env})"
        for (name, argument, env, _), value in zip(secrets, values, strict=True)
        if not value
    ]
    if missing:
        raise ConfigurationError("Missing " + " and ".join(missing) + ". " + where)
    hint = "check the arguments or " + " / ".join(env for _, _, env, _ in secrets)
    for (name, *_), value in zip(secrets, values, strict=True):
        if not (value.isascii() and value.isprintable()):
            raise ConfigurationError(
                f"The {name} contains characters that cannot be sent in an HTTP header "
                f"({hint}: look for line breaks or non-ASCII characters)"
            )
    return values


def account_of(base_url: str, key: str) -> str:
    """Who a client's items belong to, for a journal shared by several accounts: the host and
    a short one-way digest of its (public) key; the key itself is never stored."""
    digest = hashlib.blake2b(key.encode(), digest_size=6, person=b"neofin-acct").hexdigest()
    return f"{httpx.URL(base_url).host}/{digest}"


def as_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    """`30.0` means 30 s for a whole attempt, at most 5 s of it to connect; an
    `httpx.Timeout` is used as is, its longest part bounding the whole attempt."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))


class BaseClient:
    """A configured connection to one provider's API; use it as `async with` or call
    `aclose()`. An injected `http_client` is used as is and never closed by this client."""

    dialect: ClassVar[Dialect]

    def __init__(
        self,
        *,
        base_url: str,
        auth_headers: Mapping[str, str],
        timeout: float | httpx.Timeout,
        max_retries: int,
        http_client: httpx.AsyncClient | None,
        retry_policy: RetryPolicy | None,
        http_backend: str | None,
        max_connections: int,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        setup_from_env()
        self.base_url = require_safe_url(base_url, "base_url").rstrip("/")
        self.timeout = as_timeout(timeout)
        policy = retry_policy or RetryPolicy()
        # An explicit max_retries wins over the policy's (default 2).
        self.max_retries = policy.max_retries if max_retries is UNSET else max_retries
        self._retry = policy.replace(max_retries=self.max_retries)
        if http_client is not None and http_backend is not None:
            raise ConfigurationError("Pass http_client or http_backend, not both")
        self._owns_http = http_client is None
        backend = http_backend or os.environ.get(ENV_HTTP_BACKEND) or DEFAULT_HTTP_BACKEND
        self._http = http_client or create_http_client(
            backend.strip().lower(), max_connections=max_connections
        )
        self.default_headers = dict(default_headers or {})
        self._timeout_option = timeout
        self._pipeline = RequestPipeline(
            self._http,
            base_url=self.base_url,
            auth_headers=auth_headers,
            timeout=self.timeout,
            retry=self._retry,
            dialect=self.dialect,
            default_headers=self.default_headers,
        )

    def _shared_options(
        self,
        timeout: float | httpx.Timeout,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        default_headers: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        """The options a `with_options()` copy keeps unless changed, on this client's pool."""
        policy = retry_policy or self._retry
        if max_retries is not UNSET:
            policy = policy.replace(max_retries=max_retries)
        return {
            "timeout": self._timeout_option if timeout is UNSET else timeout,
            "retry_policy": policy,
            "http_client": self._http,
            "default_headers": self.default_headers if default_headers is None else default_headers,
        }

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying `httpx.AsyncClient`."""
        return self._http

    async def aclose(self) -> None:
        """Close the connection pool, unless it was injected or belongs to another client."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: Self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Resource:
    """A group of endpoints on one client's request pipeline."""

    def __init__(
        self, pipeline: RequestPipeline, *, account: str = "", extra_fields: ExtraFields = None
    ) -> None:
        self._pipeline = pipeline
        self._account = account
        self._extra_fields = resolve_extra_fields(extra_fields)
