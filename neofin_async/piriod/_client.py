"""`PiriodClient`: configuration (arguments > environment > defaults) and resources."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from .._base_client import UNSET, BaseClient, resolve_secrets
from .._constants import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT
from .._exceptions import ConfigurationError
from .._retry import RetryPolicy
from ..models import ExtraFields
from ._constants import (
    BASE_URL,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    ENV_WORKSPACE,
    TEST_MODE_HEADER,
    WORKSPACE_HEADER,
)
from ._customers import Customers
from ._dialect import PIRIOD
from ._upsert import LookupBy


def _resolve(api_token: str | None, workspace: str | None) -> list[str]:
    """The token and workspace from the arguments or the environment (never echoed)."""
    return resolve_secrets(
        [
            ("API token", "api_token", ENV_API_TOKEN, api_token),
            ("workspace", "workspace", ENV_WORKSPACE, workspace),
        ],
        where="The token is in Piriod's dashboard (Settings > API tokens), the workspace is "
        "the organization id (acc_...); or run against the emulator "
        "(neofin_async.piriod.emulator).",
    )


class PiriodClient(BaseClient):
    """An asyncio client for Piriod's customer API.

    The token comes from `api_token` or `PIRIOD_API_TOKEN`, the organization from
    `workspace` or `PIRIOD_WORKSPACE` (sent as `x-simple-workspace`), the target from
    `base_url`, `PIRIOD_BASE_URL` or `https://api.piriod.com`. `test_mode=True` works on
    Piriod's test data (`x-piriod-test-mode: true`), kept apart from live data.

    `lookup_by` says how `customers.bulk_upsert` finds a customer by `reference`: through
    the metadata key it writes (`"metadata"`, the documented filter) or `?reference=`
    (`"reference"`, for accounts where that filter works). Timeouts, retries, the HTTP
    backend, the pool, `default_headers` and `extra_fields` are as for `NeofinClient`.
    """

    dialect = PIRIOD
    customers: Customers

    def __init__(
        self,
        api_token: str | None = None,
        workspace: str | None = None,
        *,
        base_url: str | None = None,
        test_mode: bool = False,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = UNSET,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
        http_backend: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        extra_fields: ExtraFields = None,
        lookup_by: LookupBy = "metadata",
    ) -> None:
        token, self.workspace = _resolve(api_token, workspace)
        if lookup_by not in ("metadata", "reference"):
            raise ConfigurationError("lookup_by must be 'metadata' or 'reference'")
        self.test_mode = bool(test_mode)
        self.lookup_by: LookupBy = lookup_by
        auth = {"authorization": f"Token {token}", WORKSPACE_HEADER: self.workspace}
        if self.test_mode:
            auth[TEST_MODE_HEADER] = "true"
        super().__init__(
            base_url=base_url or os.environ.get(ENV_BASE_URL) or BASE_URL,
            auth_headers=auth,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            retry_policy=retry_policy,
            http_backend=http_backend,
            max_connections=max_connections,
            default_headers=default_headers,
        )
        self._token = token
        self.extra_fields = extra_fields
        mode = "/test" if self.test_mode else ""
        self.account = f"{httpx.URL(self.base_url).host}/{self.workspace}{mode}"
        """Whose customers these are, for a journal: host, workspace and mode (no secret)."""
        self.customers = Customers(
            self._pipeline, account=self.account, extra_fields=extra_fields, lookup_by=lookup_by
        )

    def with_options(
        self,
        *,
        api_token: str | None = None,
        workspace: str | None = None,
        base_url: str | None = None,
        test_mode: bool | None = None,
        timeout: float | httpx.Timeout = UNSET,
        max_retries: int = UNSET,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        extra_fields: ExtraFields = UNSET,
        lookup_by: LookupBy | None = None,
    ) -> PiriodClient:
        """A copy with some settings changed, sharing this client's connection pool."""
        return PiriodClient(
            api_token or self._token,
            workspace or self.workspace,
            base_url=base_url or self.base_url,
            test_mode=self.test_mode if test_mode is None else test_mode,
            lookup_by=lookup_by or self.lookup_by,
            extra_fields=self.extra_fields if extra_fields is UNSET else extra_fields,
            **self._shared_options(timeout, max_retries, retry_policy, default_headers),
        )

    def __repr__(self) -> str:
        return (
            f"PiriodClient(base_url={self.base_url!r}, workspace={self.workspace!r}, "
            f"test_mode={self.test_mode!r})"
        )
