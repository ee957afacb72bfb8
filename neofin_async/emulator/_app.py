"""`Emulator`: the ASGI app, its background work, and the handles tests use to look inside."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from types import TracebackType
from typing import Any, NamedTuple

import httpx

from .._client import NeofinClient
from . import _render as render
from ._api import ROUTES, Api
from ._clock import Clock
from ._config import IN_PROCESS_BASE_URL, EmulatorConfig
from ._faults import ConnectionDropped, FaultInjector, enact
from ._http import INTERNAL_ERROR, MISSING_TOKEN, Receive, Scope, Send, message, read_body, respond
from ._lists import Answer
from ._router import Request, Route, Router
from ._server import EmulatorServer
from ._state import BillingRecord, CustomerRecord, Payment, State
from ._transport import EmulatorTransport
from ._webhooks import DeliveryAttempt, Dispatcher, WebhookDelivery, WebhookRegistration

logger = logging.getLogger("neofin_async.emulator")

INVALID_KEYS = message("Invalid API Keys")


class RequestRecord(NamedTuple):
    method: str
    path: str
    route: str
    """The route's label (`"POST /billing/"`), or `"unmatched"`."""
    status: int
    """0 when the connection was dropped."""
    fault: str | None
    at: float


class Emulator:
    """A stateful, in-memory Neofin: an ASGI 3 app with every documented route.

    Use it in-process (`client = Emulator().client()` gives a `NeofinClient` wired to it,
    no socket), serve it (`neofin_async.emulator.serve()`), or mount it in any ASGI server.
    Settings are `EmulatorConfig` fields, passed as `config` and/or keywords. Time comes
    from `clock` (a `ManualClock` lets tests move it); webhooks are POSTed with
    `webhook_client` (default: a new `httpx.AsyncClient`).

    Queued work is processed lazily on every request. Webhook deliveries need the background
    ticker: `async with emulator:` (or the ASGI lifespan when served) runs it; `await
    emulator.tick()` does one round by hand.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        webhook_client: httpx.AsyncClient | None = None,
        **settings: Any,
    ) -> None:
        self.config = (config or EmulatorConfig()).replace(**settings)
        self.clock: Clock = clock or time.time
        self._state = State(self.config, self._notify)
        self._webhooks = Dispatcher(
            lambda: self.config, self.clock, self._state.new_id, webhook_client
        )
        self._faults = FaultInjector(self.config.fault_rules(), self.config.seed)
        self._keys = (self.config.api_key.encode(), self.config.secret_key.encode())
        self.requests: deque[RequestRecord] = deque(maxlen=self.config.request_log_size)
        self.request_counts: Counter[str] = Counter()
        self.errors: list[BaseException] = []
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        api = Api(self._state, self._webhooks, lambda: self.config)
        self._router = Router(Route(m, t, getattr(api, h)) for m, t, h in ROUTES)

    def __repr__(self) -> str:
        return f"Emulator({self.config!r})"

    def configure(self, **changes: Any) -> None:
        """Change settings on the fly (e.g. `emulator.configure(fail_rate=0)`); state is kept,
        and the fault draws go on from where they were (`seed` only acts at construction)."""
        self.config = self.config.replace(**changes)
        self._state.config = self.config
        self._keys = (self.config.api_key.encode(), self.config.secret_key.encode())
        self._faults.rules = self.config.fault_rules()  # the draws go on from where they were

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
        return self._webhooks.registrations

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        """Every webhook message, with its attempts."""
        return self._webhooks.deliveries

    def advance(self) -> None:
        """Apply every state change due at the clock's current time."""
        self._state.advance(self.clock())

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
        return self._webhooks.register(topic, destination, self.clock())

    # -- in-process use --------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """An httpx transport into this app that behaves like a socket (timeouts, drops)."""
        return EmulatorTransport(self)

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

    def serving(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """A context manager serving this emulator with uvicorn in a background thread;
        `with emulator.serving() as server: server.base_url`. Port 0 picks a free port."""
        return EmulatorServer(self, host, port)

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

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run_ticker(self) -> None:
        while True:
            try:
                now = self.clock()
                self._state.advance(now)
                for delivery in self._webhooks.pop_due(now):
                    task = asyncio.get_running_loop().create_task(self._webhooks.attempt(delivery))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception as exc:  # keep ticking; the failure is kept for tests
                logger.exception("emulator ticker failed")
                self.errors.append(exc)
            await asyncio.sleep(self.config.tick_interval)

    def _notify(self, topic: str, billing: BillingRecord, payments: list[Payment], t: int) -> None:
        if self._webhooks.wants(topic):
            url = self.config.pay_url
            payloads = [render.webhook_payload(billing, p, url) for p in payments]
            self._webhooks.emit(topic, payloads, t)

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        raw = scope.get("raw_path")
        matched = self._router.match(method, raw.decode("latin-1") if raw else path)
        fault = self._faults.decide(method, path) if matched is not None else None
        status: int | None = None
        try:
            if fault is not None:
                status = await enact(fault, receive, send)
            if status is None:
                status, body = await self._answer(matched, scope, receive, method)
                await respond(send, status, body)
        except ConnectionDropped:
            status = 0
            raise
        finally:
            label = matched[0].label if matched is not None else "unmatched"
            kind = fault.kind if fault is not None else None
            self.requests.append(
                RequestRecord(method, path, label, status or 0, kind, self.clock())
            )
            self.request_counts[label] += 1

    async def _answer(
        self,
        matched: tuple[Route, list[str]] | None,
        scope: Scope,
        receive: Receive,
        method: str,
    ) -> Answer:
        if matched is None:
            return 403, MISSING_TOKEN
        api_key = secret_key = None
        for name, value in scope["headers"]:
            if name == b"api-key":
                api_key = value
            elif name == b"secret-key":
                secret_key = value
        if (api_key, secret_key) != self._keys:
            return 403, INVALID_KEYS
        route, params = matched
        body = await read_body(receive) if method in ("POST", "PUT") else b""
        now = self.clock()
        try:
            self._state.advance(now)
            return route.handler(
                Request(method, route.label, params, scope.get("query_string", b""), body, now)
            )
        except Exception as exc:
            logger.exception("emulator failed on %s", route.label)
            self.errors.append(exc)
            return 500, INTERNAL_ERROR


def create_app(config: EmulatorConfig | None = None, **settings: Any) -> Emulator:
    """The emulator as an ASGI 3 app (the `Emulator` is the app)."""
    return Emulator(config, **settings)
