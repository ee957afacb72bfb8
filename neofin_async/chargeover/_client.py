"""`ChargeOverClient`: configuration (arguments > environment), HTTP Basic, resources."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

import httpx

from .._base_client import UNSET, BaseClient, account_of, resolve_secrets
from .._constants import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT
from .._exceptions import ConfigurationError
from .._retry import RetryPolicy
from ..models import ExtraFields
from ._constants import API_PREFIX, ENV_BASE_URL, ENV_PRIVATE_KEY, ENV_PUBLIC_KEY
from ._customers import Customers
from ._dialect import CHARGEOVER
from ._upsert import UpsertOrder


def _resolve_keys(public_key: str | None, private_key: str | None) -> tuple[str, str]:
    """The key pair from the arguments or the environment, refused (never echoed) if unusable."""
    public_key, private_key = resolve_secrets(
        [
            ("ChargeOver public key", "public_key", ENV_PUBLIC_KEY, public_key),
            ("ChargeOver private key", "private_key", ENV_PRIVATE_KEY, private_key),
        ],
        where="They are under Settings > Developer > REST API in ChargeOver, or run against "
        "the emulator (neofin_async.chargeover.emulator).",
    )
    if ":" in public_key:
        raise ConfigurationError(
            f"The public key cannot contain ':' in HTTP Basic (check {ENV_PUBLIC_KEY})"
        )
    return public_key, private_key


def _instance_url(base_url: str | None) -> str:
    """The instance's address without the `/api/v3` suffix (both forms are accepted)."""
    url = (base_url or os.environ.get(ENV_BASE_URL) or "").strip().rstrip("/")
    if not url:
        raise ConfigurationError(
            "Missing the ChargeOver instance URL (argument base_url= or environment variable "
            f"{ENV_BASE_URL}), e.g. https://example.chargeover.com"
        )
    return url.removesuffix(API_PREFIX)


class ChargeOverClient(BaseClient):
    """An asyncio client for one ChargeOver instance's REST API v3.

    The key pair comes from the arguments or `CHARGEOVER_PUBLIC_KEY` /
    `CHARGEOVER_PRIVATE_KEY`, sent as HTTP Basic; the instance from `base_url` or
    `CHARGEOVER_BASE_URL` (`https://<instance>.chargeover.com`, with or without `/api/v3`).
    `timeout`, `max_retries`, `retry_policy`, `http_client`, `http_backend`,
    `max_connections` and `default_headers` mean what they mean for `NeofinClient`.
    `upsert_order` picks the first step of `customers.bulk_upsert`: `"auto"` (what the
    previous chunk mostly needed), `"update-first"` or `"create-first"`; every order upserts
    the same way, only the number of `_bulk` calls differs.
    """

    dialect = CHARGEOVER
    customers: Customers

    def __init__(
        self,
        public_key: str | None = None,
        private_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = UNSET,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
        http_backend: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        extra_fields: ExtraFields = None,
        upsert_order: UpsertOrder = "auto",
    ) -> None:
        public_key, private_key = _resolve_keys(public_key, private_key)
        basic = base64.b64encode(f"{public_key}:{private_key}".encode()).decode()
        super().__init__(
            base_url=_instance_url(base_url),
            auth_headers={"authorization": f"Basic {basic}"},
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            retry_policy=retry_policy,
            http_backend=http_backend,
            max_connections=max_connections,
            default_headers=default_headers,
        )
        self._keys = (public_key, private_key)
        self.extra_fields = extra_fields
        self.account = account_of(self.base_url, public_key)
        self.customers = Customers(
            self._pipeline,
            account=self.account,
            extra_fields=extra_fields,
            upsert_order=upsert_order,
        )

    def with_options(
        self,
        *,
        public_key: str | None = None,
        private_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = UNSET,
        max_retries: int = UNSET,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        extra_fields: ExtraFields = UNSET,
        upsert_order: UpsertOrder | None = None,
    ) -> ChargeOverClient:
        """A copy with some settings changed, sharing this client's connection pool."""
        return ChargeOverClient(
            public_key or self._keys[0],
            private_key or self._keys[1],
            base_url=base_url or self.base_url,
            extra_fields=self.extra_fields if extra_fields is UNSET else extra_fields,
            upsert_order=upsert_order or self.customers.upsert_order,
            **self._shared_options(timeout, max_retries, retry_policy, default_headers),
        )
