"""`NeofinClient`: configuration (arguments > environment > defaults), lifecycle, resources."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

import httpx

from ._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_ENVIRONMENT,
    DEFAULT_HTTP_BACKEND,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_ENVIRONMENT,
    ENV_HTTP_BACKEND,
    ENV_SECRET_KEY,
    ENVIRONMENTS,
)
from ._exceptions import ConfigurationError
from ._http import create_http_client
from ._logging import setup_from_env
from ._retry import RetryPolicy
from ._transport import Transport
from ._urls import require_safe_url
from .resources import Billings, Customers, Webhooks

_UNSET: Any = object()


def _resolve_keys(api_key: str | None, secret_key: str | None) -> tuple[str, str]:
    """The keys from the arguments or the environment, refused (never echoed) if unusable."""
    # Stray whitespace (a "\r" from a .env file) would make httpx refuse the header and
    # quote the key in its error message: strip it here.
    api_key = (api_key or os.environ.get(ENV_API_KEY) or "").strip()
    secret_key = (secret_key or os.environ.get(ENV_SECRET_KEY) or "").strip()
    missing = [
        f"{name} (argument {arg}= or environment variable {env})"
        for name, arg, env, value in (
            ("API key", "api_key", ENV_API_KEY, api_key),
            ("secret key", "secret_key", ENV_SECRET_KEY, secret_key),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            "Missing " + " and ".join(missing) + ". Create keys in the Neofin panel under "
            "Configurações > Integrações, or run against the emulator (neofin_async.emulator)."
        )
    for name, env, value in (
        ("API key", ENV_API_KEY, api_key),
        ("secret key", ENV_SECRET_KEY, secret_key),
    ):
        if not (value.isascii() and value.isprintable()):
            raise ConfigurationError(
                f"The {name} contains characters that cannot be sent in an HTTP header "
                f"(check the argument or {env} for line breaks or non-ASCII characters)"
            )
    return api_key, secret_key


class NeofinClient:
    """An asyncio client for the Neofin API.

    Keys come from the arguments or from `NEOFIN_API_KEY` / `NEOFIN_SECRET_KEY`; the target
    from `base_url`, `NEOFIN_BASE_URL`, or `environment` (`"sandbox"` or `"production"`,
    also `NEOFIN_ENVIRONMENT`). Use it as `async with NeofinClient() as client: ...`.

    `max_retries` defaults to 2 (or `retry_policy.max_retries`); `0` means one attempt.
    `http_backend` (or `NEOFIN_HTTP_BACKEND`) picks what sends the requests: `"httpx"` (the
    default, httpx's own pool) or `"aiohttp"` (httpx over aiohttp's connector, up to 2.5x
    faster for bulk runs; needs `pip install neofin-async[aiohttp]`). The pool keeps up to
    `max_connections` (default 100) connections: keep it >= the bulk `concurrency` you use.
    An injected `http_client` is used as is and never closed by this client.
    """

    billings: Billings
    customers: Customers
    webhooks: Webhooks

    def __init__(
        self,
        api_key: str | None = None,
        secret_key: str | None = None,
        *,
        environment: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = _UNSET,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
        http_backend: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        setup_from_env()
        api_key, secret_key = _resolve_keys(api_key, secret_key)
        self.environment = environment or os.environ.get(ENV_ENVIRONMENT) or DEFAULT_ENVIRONMENT
        self.environment = self.environment.strip().lower()
        if self.environment not in ENVIRONMENTS:
            raise ConfigurationError(
                f"Unknown environment {self.environment!r}; use one of {', '.join(ENVIRONMENTS)}"
            )
        url = base_url or os.environ.get(ENV_BASE_URL) or ENVIRONMENTS[self.environment]
        self.base_url = require_safe_url(url, "base_url").rstrip("/")
        self._timeout_option = timeout
        self.timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout)
            else httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))
        )
        policy = retry_policy or RetryPolicy()
        # An explicit max_retries wins over the policy's (default 2).
        self.max_retries = policy.max_retries if max_retries is _UNSET else max_retries
        self._retry = policy.replace(max_retries=self.max_retries)
        self._owns_http = http_client is None
        if http_client is not None and http_backend is not None:
            raise ConfigurationError("Pass http_client or http_backend, not both")
        backend = http_backend or os.environ.get(ENV_HTTP_BACKEND) or DEFAULT_HTTP_BACKEND
        self._http = http_client or create_http_client(
            backend.strip().lower(), max_connections=max_connections
        )
        self._keys = (api_key, secret_key)
        self._transport = Transport(
            self._http,
            base_url=self.base_url,
            api_key=api_key,
            secret_key=secret_key,
            timeout=self.timeout,
            overall_timeout=None if isinstance(timeout, httpx.Timeout) else timeout,
            retry=self._retry,
        )
        self.billings = Billings(self._transport)
        self.customers = Customers(self._transport)
        self.webhooks = Webhooks(self._transport)

    def with_options(
        self,
        *,
        api_key: str | None = None,
        secret_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = _UNSET,
        max_retries: int = _UNSET,
        retry_policy: RetryPolicy | None = None,
    ) -> NeofinClient:
        """A copy with some settings changed, sharing this client's connection pool."""
        policy = retry_policy or self._retry
        if max_retries is not _UNSET:
            policy = policy.replace(max_retries=max_retries)
        return NeofinClient(
            api_key or self._keys[0],
            secret_key or self._keys[1],
            environment=self.environment,
            base_url=base_url or self.base_url,
            timeout=self._timeout_option if timeout is _UNSET else timeout,
            http_client=self._http,
            retry_policy=policy,
        )

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying `httpx.AsyncClient`."""
        return self._http

    async def aclose(self) -> None:
        """Close the connection pool, unless it was injected or belongs to another client."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> NeofinClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"NeofinClient(environment={self.environment!r}, base_url={self.base_url!r})"
