"""`NeofinClient`: configuration (arguments > environment > defaults), resources."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from ._base_client import UNSET, BaseClient, account_of, env_or, resolve_secrets
from ._constants import (
    DEFAULT_ENVIRONMENT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_ENVIRONMENT,
    ENV_SECRET_KEY,
    ENVIRONMENTS,
)
from ._exceptions import ConfigurationError
from ._pipeline import NEOFIN
from ._retry import RetryPolicy
from .models import ExtraFields
from .resources import Billings, Customers, Webhooks

_HOW_TO_GET_KEYS = (
    "Create keys in the Neofin panel under Configurações > Integrações, or run against the "
    "emulator (neofin_async.emulator)."
)


class NeofinClient(BaseClient):
    """An asyncio client for the Neofin API.

    Keys come from the arguments or from `NEOFIN_API_KEY` / `NEOFIN_SECRET_KEY`; the target
    from `base_url`, `NEOFIN_BASE_URL`, or `environment` (`"sandbox"` or `"production"`,
    also `NEOFIN_ENVIRONMENT`). Use it as `async with NeofinClient() as client: ...`.

    `timeout` bounds a whole attempt (a float, or an `httpx.Timeout` whose longest part does).
    `max_retries` defaults to 2 (or `retry_policy.max_retries`); `0` means one attempt.
    `http_backend` (or `NEOFIN_HTTP_BACKEND`) picks what sends the requests: `"httpx"` (the
    default, httpx's own pool) or `"aiohttp"` (aiohttp's connector: 1.5-2.8x less CPU per
    bulk item, needs `pip install neofin-async[aiohttp]`). Either pool
    opens up to `max_connections` (default 100): keep it >= the bulk `concurrency` you use.
    aiohttp keeps them all open between requests; httpx keeps at most 20 idle, because its
    pool scans every connection on each request, which beyond ~20 costs more than reopening
    one, even over TLS (benchmarks/README.md): above concurrency 20, prefer aiohttp.
    `default_headers` are sent with every request. `extra_fields` lets fields the input models
    do not know through: a collection of names, or `"allow"` for any (misspellings are then
    sent as they are).
    An injected `http_client` is used as is and never closed by this client.
    """

    dialect = NEOFIN
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
        max_retries: int = UNSET,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
        http_backend: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        extra_fields: ExtraFields = None,
    ) -> None:
        api_key, secret_key = resolve_secrets(
            [
                ("API key", "api_key", ENV_API_KEY, api_key),
                ("secret key", "secret_key", ENV_SECRET_KEY, secret_key),
            ],
            where=_HOW_TO_GET_KEYS,
        )
        self.environment = env_or(environment, ENV_ENVIRONMENT).lower() or DEFAULT_ENVIRONMENT
        if self.environment not in ENVIRONMENTS:
            raise ConfigurationError(
                f"Unknown environment {self.environment!r}; use one of {', '.join(ENVIRONMENTS)}"
            )
        url = base_url or os.environ.get(ENV_BASE_URL) or ENVIRONMENTS[self.environment]
        super().__init__(
            base_url=url,
            auth_headers={"api-key": api_key, "secret-key": secret_key},
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            retry_policy=retry_policy,
            http_backend=http_backend,
            max_connections=max_connections,
            default_headers=default_headers,
        )
        self._keys = (api_key, secret_key)
        self.extra_fields = extra_fields
        self.account = account_of(self.base_url, api_key)
        self.billings = Billings(self._pipeline, account=self.account, extra_fields=extra_fields)
        self.customers = Customers(self._pipeline, account=self.account, extra_fields=extra_fields)
        self.webhooks = Webhooks(self._pipeline)

    def with_options(
        self,
        *,
        api_key: str | None = None,
        secret_key: str | None = None,
        environment: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = UNSET,
        max_retries: int = UNSET,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        extra_fields: ExtraFields = UNSET,
    ) -> NeofinClient:
        """A copy with some settings changed, sharing this client's connection pool.

        Changing `environment` also moves the copy to that environment's URL (unless
        `base_url` is given)."""
        if environment is not None and base_url is None:
            base_url = ENVIRONMENTS.get(environment.strip().lower())
        return NeofinClient(
            api_key or self._keys[0],
            secret_key or self._keys[1],
            environment=environment or self.environment,
            base_url=base_url or self.base_url,
            extra_fields=self.extra_fields if extra_fields is UNSET else extra_fields,
            **self._shared_options(timeout, max_retries, retry_policy, default_headers),
        )

    def __repr__(self) -> str:
        return f"NeofinClient(environment={self.environment!r}, base_url={self.base_url!r})"
