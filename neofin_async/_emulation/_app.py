"""`EmulatorApp`: the ASGI app every provider's emulator is, with the hooks it implements."""

from __future__ import annotations

import inspect
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from functools import cached_property
from types import TracebackType
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from .._constants import MAX_REQUEST_BYTES
from ._asgi import (
    BodyTooLarge,
    Headers,
    Receive,
    Scope,
    Send,
    dumps,
    read_body,
    reason_phrase,
    respond,
)
from ._clock import Clock
from ._faults import ConnectionDropped, FaultInjector, drop, enact
from ._router import Abort, Answer, Request, Route, Router
from ._server import DEFAULT_HOST, EmulatorServer, serve_app
from ._settings import EmulatorSettings
from ._transport import EmulatorTransport

logger = logging.getLogger("neofin_async.emulation")

SettingsT = TypeVar("SettingsT", bound=EmulatorSettings)
AppT = TypeVar("AppT", bound="EmulatorApp[Any]")
MAX_ERROR_TEXT = 200
"""Characters of an internal error's message kept in `errors`."""
MAX_LOGGED_PATH = 2_000
"""Characters of a request's path kept in `requests`."""


class RequestRecord(NamedTuple):
    """One request as the emulator saw it (`Emulator.requests`)."""

    method: str
    path: str
    route: str
    """The route's label (`"POST /billing/"`), or `"unmatched"`."""
    status: int
    """0 when no answer was sent (the connection was dropped, or the answer "lost")."""
    fault: str | None
    """The injected fault's kind (`"drop"`, `"lost"`, ...), if any."""
    at: float


class ErrorRecord(NamedTuple):
    """An internal error (answered with a 500): where, what (type and a short message), when.
    No traceback and no body are kept."""

    route: str
    error: str
    at: float


class EmulatorApp(Generic[SettingsT]):
    """The base of a provider's emulator: routing, faults, authentication, the body cap, the
    request log and the lifespan. A provider subclasses it and implements `routes` (and, as
    needed, `authenticate`, `unmatched`, `error_body`, `advance`, `start`/`aclose`, `client`).

    Each request: route -> fault (latency, drop, hang, 429, 5xx; "lost" drops the answer
    after processing) -> `authenticate` -> body (capped: 413) -> `advance(now)` -> handler.
    A handler's exception is a 500 with `error_body(500)`, kept briefly in `errors`.
    """

    name: ClassVar[str] = "Emulator"
    """The provider's name, for the banner."""
    request_id_header: ClassVar[bytes] = b"x-request-id"
    max_body_bytes: ClassVar[int] = MAX_REQUEST_BYTES
    body_methods: ClassVar[frozenset[str]] = frozenset({"POST", "PUT", "PATCH"})

    def __init__(self, config: SettingsT, *, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or time.time
        self._faults = FaultInjector(config.fault_rules(), config.seed)
        self.requests: deque[RequestRecord] = deque(maxlen=config.request_log_size)
        self.request_counts: Counter[str] = Counter()
        self._errors: deque[ErrorRecord] = deque(maxlen=config.error_log_size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    # -- hooks -----------------------------------------------------------------------------

    def routes(self) -> Iterable[Route]:
        """The provider's routes (called once, on the first request)."""
        raise NotImplementedError

    def authenticate(self, headers: Headers) -> Answer | None:
        """None to let a routed request through, or the answer refusing it."""
        return None

    def unmatched(self, method: str, path: str, allowed: frozenset[str]) -> Answer:
        """The answer for a path no route has (`allowed` empty) or a method it lacks."""
        status = 405 if allowed else 404
        return status, self.error_body(status)

    def error_body(self, status: int) -> bytes:
        """The provider's body for a status it answers on its own: 413 (body too large),
        429 and 5xx (faults), 500 (a handler failed)."""
        return dumps({"message": reason_phrase(status)})

    def response_headers(self) -> Headers:
        """Headers of every answer: by default a fresh request id."""
        return [(self.request_id_header, str(uuid.uuid4()).encode())]

    def advance(self, now: float | None = None) -> None:
        """Apply every state change due at `now` (default: the clock's time); called before
        each request is handled."""

    async def start(self) -> None:
        """Start background work (on `async with` and the ASGI lifespan startup)."""

    async def aclose(self) -> None:
        """Stop background work (on `async with` exit and the lifespan shutdown)."""

    def configured(self) -> None:
        """Called after `configure` changed `config`."""

    def client(self, **options: Any) -> Any:
        """The provider's SDK client wired to this emulator in-process (see `transport`)."""
        raise NotImplementedError

    def banner(self, base_url: str) -> str:
        """What `serve` prints once listening."""
        return f"{self.name} emulator on {base_url}"

    # -- use -------------------------------------------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Change settings on the fly (e.g. `emulator.configure(fail_rate=0)`); state is kept,
        and the fault draws go on from where they were (`seed` only acts at construction)."""
        self.config = self.config.replace(**changes)
        self._faults.rules = self.config.fault_rules()
        self.configured()

    @cached_property
    def router(self) -> Router:
        return Router(self.routes())

    @property
    def errors(self) -> list[ErrorRecord]:
        """The most recent internal errors (at most `config.error_log_size`)."""
        return list(self._errors)

    def record_error(self, where: str, exc: BaseException) -> None:
        """Log an internal error and keep a short record of it."""
        logger.error("%s emulator failed on %s", self.name, where, exc_info=exc)
        text = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_TEXT]
        self._errors.append(ErrorRecord(where, text, self.clock()))

    def transport(self) -> EmulatorTransport:
        """An httpx transport into this app that behaves like a socket (timeouts, drops)."""
        return EmulatorTransport(self)

    def serving(self, host: str = DEFAULT_HOST, port: int = 0) -> EmulatorServer:
        """A context manager serving this emulator with uvicorn in a background thread;
        `with emulator.serving() as server: server.base_url`. Port 0 picks a free port."""
        return EmulatorServer(self, host, port)

    def serve(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        """Serve with uvicorn until Ctrl-C, after printing `banner`."""
        serve_app(self, host, port, banner=self.banner, log_level=log_level, access_log=access_log)

    async def __aenter__(self: AppT) -> AppT:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

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

    async def _send_error(self, send: Send, status: int, extra: Headers) -> None:
        await respond(send, status, self.error_body(status), [*self.response_headers(), *extra])

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        raw = scope.get("raw_path")
        route_path = raw.decode("latin-1") if raw else path
        matched = self.router.match(method, route_path)
        fault = self._faults.decide(method, path) if matched is not None else None
        status: int | None = None
        try:
            if fault is not None:
                status = await enact(
                    fault, receive, send, lambda code, extra: self._send_error(send, code, extra)
                )
            if status is None:
                status, body = await self._answer(matched, route_path, scope, receive)
                if fault is not None and fault.kind == "lost":
                    await drop(send)  # processed (and stored), but nobody hears the answer
                await respond(send, status, body, self.response_headers())
        except ConnectionDropped:
            status = 0
            raise
        finally:
            label = matched[0].label if matched is not None else "unmatched"
            kind = fault.kind if fault is not None else None
            logged = path[:MAX_LOGGED_PATH]
            record = RequestRecord(method, logged, label, status or 0, kind, self.clock())
            self.requests.append(record)
            self.request_counts[label] += 1

    async def _answer(
        self,
        matched: tuple[Route, list[str]] | None,
        route_path: str,
        scope: Scope,
        receive: Receive,
    ) -> Answer:
        method: str = scope["method"]
        if matched is None:
            return self.unmatched(method, route_path, self.router.methods(route_path))
        headers: Headers = scope["headers"]
        refusal = self.authenticate(headers)
        if refusal is not None:
            return refusal
        route, params = matched
        try:
            body = b""
            if method in self.body_methods:
                body = await read_body(receive, self.max_body_bytes)
        except BodyTooLarge:
            return 413, self.error_body(413)
        now = self.clock()
        query = scope.get("query_string", b"")
        request = Request(method, route.label, params, query, body, now, headers)
        try:
            self.advance(now)
            answer = route.handler(request)
            if inspect.isawaitable(answer):
                answer = await answer
            return answer
        except Abort as abort:
            return abort.answer
        except Exception as exc:
            self.record_error(route.label, exc)
            return 500, self.error_body(500)
