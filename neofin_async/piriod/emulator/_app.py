"""`Emulator`: the Piriod emulator app and the handles tests use to look inside."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import httpx

from ..._emulation import IN_PROCESS_BASE_URL, Answer, Clock, EmulatorApp, Headers, Route, header
from .._client import PiriodClient
from .._constants import REFERENCE_METADATA_KEY, WORKSPACE_HEADER
from . import _answers as answers
from ._api import Api
from ._config import DEFAULT_API_TOKEN, DEFAULT_WORKSPACE, PiriodEmulatorConfig
from ._state import CustomerRecord, Document, DocumentKind, State, render


class Emulator(EmulatorApp[PiriodEmulatorConfig]):
    """A stateful, in-memory Piriod customers API (an ASGI 3 app).

    In-process: `client = Emulator().client()` is a `PiriodClient` wired to it (no socket);
    served: `with Emulator().serving() as server: server.base_url`, or `neofin-async
    emulator --provider piriod`. Settings are `PiriodEmulatorConfig` fields, as `config` and/or
    keywords; `clock` gives the time (a `ManualClock` in tests).

    Each request needs `Authorization: Token <api_token>` (else 401) and an
    `x-simple-workspace` header (missing: 400 `non_field_errors`; not one of `workspaces`:
    403); `x-piriod-test-mode: true` selects the workspace's separate test data.
    """

    name = "Piriod"

    def __init__(
        self,
        config: PiriodEmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        **settings: Any,
    ) -> None:
        super().__init__((config or PiriodEmulatorConfig()).replace(**settings), clock=clock)
        self._state = State(account_country=self.config.account_country, seed=self.config.seed)
        self._token = f"Token {self.config.api_token}".encode()

    # -- the kit's hooks -------------------------------------------------------------------

    def routes(self) -> Iterable[Route]:
        return Api(self._state, lambda: self.config).routes()

    def authenticate(self, headers: Headers) -> Answer | None:
        authorization = header(headers, b"authorization")
        if authorization is None or not authorization.lower().startswith(b"token"):
            return 401, answers.NO_CREDENTIALS
        if authorization.strip().lower() == b"token":
            return 401, answers.NO_TOKEN_VALUE
        if authorization != self._token:
            return 401, answers.INVALID_TOKEN
        workspace = header(headers, WORKSPACE_HEADER.encode())
        if not workspace:
            return 400, answers.MISSING_WORKSPACE
        if workspace.decode("latin-1") not in self.config.workspaces:
            return 403, answers.FORBIDDEN
        return None

    def unmatched(self, method: str, path: str, allowed: frozenset[str]) -> Answer:
        if allowed:
            return 405, answers.method_not_allowed(method)
        return 404, answers.NOT_FOUND

    def error_body(self, status: int) -> bytes:
        return answers.for_status(status)

    def configured(self) -> None:
        self._state.account_country = self.config.account_country
        self._token = f"Token {self.config.api_token}".encode()

    def banner(self, base_url: str) -> str:
        lines = [f"Piriod emulator on {base_url} (nothing is sent to Piriod)"]
        if self.config.api_token == DEFAULT_API_TOKEN:
            lines.append(f"  api token: {DEFAULT_API_TOKEN}")
        else:
            lines.append("  api token: as configured")
        lines.append(f"  workspace: {', '.join(self.config.workspaces)}")
        return "\n".join(lines)

    def client(self, **options: Any) -> PiriodClient:
        """A `PiriodClient` wired to this emulator in-process, with its token and first
        workspace; `options` go to `PiriodClient` (`test_mode`, `timeout`, `max_retries`...)."""
        options.setdefault("workspace", next(iter(self.config.workspaces), DEFAULT_WORKSPACE))
        return PiriodClient(
            self.config.api_token,
            base_url=IN_PROCESS_BASE_URL,
            http_client=httpx.AsyncClient(transport=self.transport()),
            **options,
        )

    # -- state, for tests and demos --------------------------------------------------------

    def customers(
        self, workspace: str | None = None, *, test_mode: bool = False
    ) -> list[dict[str, Any]]:
        """A workspace's customers (default: the first), oldest first, as the API renders
        them."""
        space = self._state.space(workspace or self.config.workspaces[0], test_mode)
        records = sorted(space.customers.values(), key=lambda r: r.number)
        return [render(r, self.config.object_shape) for r in records]

    def references(self, workspace: str | None = None, *, test_mode: bool = False) -> Counter[str]:
        """How many customers hold each key `bulk_upsert` wrote (`metadata`): after any run,
        with any faults, every count should be 1."""
        return Counter(
            str(c["metadata"].get(REFERENCE_METADATA_KEY))
            for c in self.customers(workspace, test_mode=test_mode)
            if REFERENCE_METADATA_KEY in c["metadata"]
        )

    def add_document(
        self,
        customer_id: str,
        kind: DocumentKind = "invoice",
        status: str = "finalized",
        amount: float = 0.0,
        *,
        workspace: str | None = None,
        test_mode: bool = False,
    ) -> None:
        """Give a customer an invoice, subscription or payment source: with a non-draft
        invoice, a terminal subscription or a source, a DELETE archives it; with an active
        subscription, a DELETE is refused."""
        self._record(customer_id, workspace, test_mode).documents.append(
            Document(kind, status, amount)
        )

    def _record(self, customer_id: str, workspace: str | None, test_mode: bool) -> CustomerRecord:
        space = self._state.space(workspace or self.config.workspaces[0], test_mode)
        try:
            return space.customers[customer_id]
        except KeyError:
            raise KeyError(f"no customer {customer_id!r} in that workspace and mode") from None
