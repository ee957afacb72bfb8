"""`Emulator`: the ChargeOver emulator app and the handles tests use."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from ..._emulation import (
    IN_PROCESS_BASE_URL,
    Answer,
    Clock,
    EmulatorApp,
    Headers,
    Route,
    header,
    reason_phrase,
)
from ._api import STATUS_MESSAGES, Api, status_answer
from ._settings import DEFAULT_PRIVATE_KEY, DEFAULT_PUBLIC_KEY, EmulatorConfig
from ._state import CustomerStore

if TYPE_CHECKING:
    from .._client import ChargeOverClient

WRONG_KEYS = "Invalid or incorrect authorization [Invalid API credentials.]"  # (inferred)


class Emulator(EmulatorApp[EmulatorConfig]):
    """A stateful, in-memory ChargeOver REST API v3 (customers and `_bulk`): an ASGI app.

    `Emulator(fail_rate=0.0, seed=None, ...)` takes `EmulatorConfig` fields as keywords (or a
    `config`). `emulator.client()` is a `ChargeOverClient` wired to it in-process with its
    keys; `emulator.serving()` serves it over HTTP for other processes.

    Every answer is the `{code, status, message, details, response}` envelope with the
    documented status codes: 201 create, 202 update, 200 get/list/count/delete, 400 bad
    request or endpoint, 401 without the key pair (HTTP Basic), 404 missing, 429 and 5xx from
    the fault knobs. `external_key` is UNIQUE: a second create with a key in use is a 400.
    """

    name = "ChargeOver"

    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Clock | None = None, **settings: Any
    ) -> None:
        super().__init__((config or EmulatorConfig()).replace(**settings), clock=clock)
        self.store = CustomerStore(
            reuse_deleted_keys=self.config.reuse_deleted_keys, seed=self.config.seed
        )
        self._expected = self._credentials()

    # -- the kit's hooks -------------------------------------------------------------------

    def routes(self) -> Iterable[Route]:
        return Api(self.store, lambda: self.config).routes()

    def authenticate(self, headers: Headers) -> Answer | None:
        value = header(headers, b"authorization")
        if not value or value[:6].lower() != b"basic ":
            return status_answer(401)
        try:
            given = base64.b64decode(value[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return status_answer(401, WRONG_KEYS)
        return (
            None if hmac.compare_digest(given, self._expected) else status_answer(401, WRONG_KEYS)
        )

    def unmatched(self, method: str, path: str, allowed: frozenset[str]) -> Answer:
        return status_answer(400, "Invalid endpoint or method.")

    def error_body(self, status: int) -> bytes:
        message = STATUS_MESSAGES.get(status) or f"{reason_phrase(status)}."
        return status_answer(status, message)[1]

    def configured(self) -> None:
        self.store.reuse_deleted_keys = self.config.reuse_deleted_keys
        self._expected = self._credentials()

    def banner(self, base_url: str) -> str:
        lines = [f"ChargeOver emulator on {base_url} (nothing is sent to ChargeOver)"]
        if (self.config.public_key, self.config.private_key) == (
            DEFAULT_PUBLIC_KEY,
            DEFAULT_PRIVATE_KEY,
        ):
            lines += [
                f"  public key:  {DEFAULT_PUBLIC_KEY}",
                f"  private key: {DEFAULT_PRIVATE_KEY}",
            ]
        else:
            lines.append("  keys: as configured")
        return "\n".join(lines)

    def client(self, **options: Any) -> ChargeOverClient:
        """A `ChargeOverClient` wired to this emulator in-process, with its keys.

        `options` go to `ChargeOverClient` (`timeout`, `max_retries`, `retry_policy`, ...)."""
        from .._client import ChargeOverClient

        return ChargeOverClient(
            self.config.public_key,
            self.config.private_key,
            base_url=IN_PROCESS_BASE_URL,
            http_client=httpx.AsyncClient(transport=self.transport()),
            **options,
        )

    # -- state, for tests ------------------------------------------------------------------

    @property
    def customers(self) -> dict[int, dict[str, Any]]:
        """Stored customers by customer_id (the records the API renders)."""
        return self.store.records

    def customer(self, external_key: str) -> dict[str, Any] | None:
        """The stored customer with this external key, if any."""
        return self.store.by_external_key(external_key)

    def _credentials(self) -> bytes:
        return f"{self.config.public_key}:{self.config.private_key}".encode()
