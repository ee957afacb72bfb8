"""`Emulator`: the Neofin emulator app, its background work, and the handles tests use."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import Iterable
from typing import Any

import httpx

from .._client import NeofinClient
from .._emulation import (
    IN_PROCESS_BASE_URL,
    Answer,
    Clock,
    EmulatorApp,
    Headers,
    Route,
    header,
)
from . import _render as render
from ._answers import GATEWAY_ERRORS, INTERNAL_ERROR, INVALID_KEYS, MISSING_TOKEN
from ._api import ROUTES, Api
from ._config import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, EmulatorConfig
from ._state import BillingRecord, CustomerRecord, Payment, State
from ._webhooks import DeliveryAttempt, Dispatcher, WebhookDelivery, WebhookRegistration


class Emulator(EmulatorApp[EmulatorConfig]):
    """A stateful, in-memory Neofin: an ASGI 3 app with every documented route.

    Use it in-process (`client = Emulator().client()` gives a `NeofinClient` wired to it,
    no socket), serve it (`emulator.serving()`, `neofin_async.emulator.serve()`), or mount it
    in any ASGI server. Settings are `EmulatorConfig` fields, passed as `config` and/or
    keywords. Time comes from `clock` (a `ManualClock` lets tests move it); webhooks are
    POSTed with `webhook_client` (default: a new `httpx.AsyncClient`).

    Queued work is processed lazily on every request. Webhook deliveries need the background
    ticker: `async with emulator:` (or the ASGI lifespan when served) runs it; `await
    emulator.tick()` does one round by hand.
    """

    name = "Neofin"
    request_id_header = b"x-amzn-requestid"

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        webhook_client: httpx.AsyncClient | None = None,
        **settings: Any,
    ) -> None:
        super().__init__((config or EmulatorConfig()).replace(**settings), clock=clock)
        self._state = State(self.config, self._notify)
        self._webhooks = Dispatcher(
            lambda: self.config, self.clock, self._state.new_id, webhook_client
        )
        self._keys = (self.config.api_key.encode(), self.config.secret_key.encode())
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- the kit's hooks -------------------------------------------------------------------

    def routes(self) -> Iterable[Route]:
        api = Api(self._state, self._webhooks, lambda: self.config)
        return (Route(method, path, getattr(api, handler)) for method, path, handler in ROUTES)

    def authenticate(self, headers: Headers) -> Answer | None:
        keys = (header(headers, b"api-key"), header(headers, b"secret-key"))
        return None if keys == self._keys else (403, INVALID_KEYS)

    def unmatched(self, method: str, path: str, allowed: frozenset[str]) -> Answer:
        return 403, MISSING_TOKEN  # API Gateway's answer for an unknown resource or method

    def error_body(self, status: int) -> bytes:
        return GATEWAY_ERRORS.get(status, INTERNAL_ERROR)

    def response_headers(self) -> Headers:
        request_id = uuid.uuid4()
        return [
            (b"x-amzn-requestid", str(request_id).encode()),
            (b"x-amz-apigw-id", base64.b64encode(request_id.bytes[:11])),
        ]

    def configured(self) -> None:
        self._state.config = self.config
        self._keys = (self.config.api_key.encode(), self.config.secret_key.encode())

    def banner(self, base_url: str) -> str:
        lines = [f"Neofin emulator on {base_url} (nothing is sent to Neofin)"]
        if (self.config.api_key, self.config.secret_key) == (DEFAULT_API_KEY, DEFAULT_SECRET_KEY):
            lines += [f"  api-key:    {DEFAULT_API_KEY}", f"  secret-key: {DEFAULT_SECRET_KEY}"]
        else:
            lines.append("  keys: as configured")
        return "\n".join(lines)

    def client(self, **options: Any) -> NeofinClient:
        """A `NeofinClient` wired to this emulator in-process, with its keys.

        `options` go to `NeofinClient` (`timeout`, `max_retries`, `retry_policy`, ...)."""
        http = httpx.AsyncClient(transport=self.transport())
        return NeofinClient(
            self.config.api_key,
            self.config.secret_key,
            base_url=IN_PROCESS_BASE_URL,
            http_client=http,
            **options,
        )

    # -- state, for tests ----------------------------------------------------------------

    @property
    def billings(self) -> dict[str, BillingRecord]:
        """Processed billings by integration_identifier."""
        return self._state.billings

    @property
    def customers(self) -> dict[str, CustomerRecord]:
        """Processed customers by document (compact CPF or CNPJ)."""
        return self._state.customers

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every billing event, oldest first, as `GET /billing/events` renders them."""
        return self._state.events

    @property
    def queued(self) -> int:
        """Upserted items not processed yet."""
        return self._state.queued

    @property
    def webhook_registrations(self) -> list[WebhookRegistration]:
        """Every registered (topic, destination), oldest first."""
        return self._webhooks.registrations

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        """Every webhook message, with its attempts."""
        return self._webhooks.deliveries

    def advance(self, now: float | None = None) -> None:
        """Apply every state change due at `now` (default: the clock's current time)."""
        self._state.advance(self.clock() if now is None else now)

    def set_status(self, integration_identifier: str, status: str) -> None:
        """Force a billing's status (e.g. `"error"`), recording an event; no webhook."""
        self.advance()
        billing = self.billings[integration_identifier]
        self._state.force_status(billing, status, int(self.clock()))

    def simulate_payment(
        self,
        integration_identifier: str,
        *,
        installment: int | None = None,
        amount: int | None = None,
        method: str = "pix",
    ) -> None:
        """The customer pays (all that is owed, or `amount`) one installment (1-based) or,
        by default, the whole billing; `payments/paid` is sent for settled installments."""
        self.advance()
        billing = self.billings[integration_identifier]
        targets = None if installment is None else [billing.payments[installment - 1]]
        self._state.pay(billing, int(self.clock()), amount=amount, method=method, payments=targets)

    def register_webhook(self, topic: str, destination: str) -> WebhookRegistration:
        """Register `destination` for `topic`, as `POST /webhook` does."""
        return self._webhooks.register(topic, destination, self.clock())

    # -- background work -------------------------------------------------------------------

    async def tick(self) -> list[DeliveryAttempt]:
        """Apply due state changes and make every due webhook delivery attempt, now."""
        now = self.clock()
        self._state.advance(now)
        due = self._webhooks.pop_due(now)
        return list(await asyncio.gather(*(self._webhooks.attempt(d) for d in due)))

    async def start(self) -> None:
        """Start the background ticker (idempotent)."""
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._run_ticker())

    async def aclose(self) -> None:
        """Stop the ticker and the deliveries in flight; close the own webhook client."""
        tasks = [*self._tasks, *([self._ticker] if self._ticker else [])]
        self._ticker = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._webhooks.aclose()

    async def _run_ticker(self) -> None:
        while True:
            try:
                now = self.clock()
                self._state.advance(now)
                for delivery in self._webhooks.pop_due(now):
                    task = asyncio.get_running_loop().create_task(self._webhooks.attempt(delivery))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception as exc:  # keep ticking; a short record is kept for tests
                self.record_error("ticker", exc)
            await asyncio.sleep(self.config.tick_interval)

    def _notify(self, topic: str, billing: BillingRecord, payments: list[Payment], t: int) -> None:
        if self._webhooks.wants(topic):
            url = self.config.pay_url
            payloads = [render.webhook_payload(billing, p, url) for p in payments]
            self._webhooks.emit(topic, payloads, t)


def create_app(config: EmulatorConfig | None = None, **settings: Any) -> Emulator:
    """The emulator as an ASGI 3 app (the `Emulator` is the app)."""
    return Emulator(config, **settings)
