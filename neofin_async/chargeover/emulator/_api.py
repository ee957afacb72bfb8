"""The emulator's routes: customers and `_bulk`, each answering ChargeOver's envelope.

A `_bulk` sub-request goes through the same router and handlers as a request of its own
(without faults and authentication, which act on the outer call), so it answers exactly what
the single request would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..._emulation import Answer, Request, Route, Router, dumps, loads
from .._constants import API_PREFIX
from ._settings import EmulatorConfig
from ._state import CustomerStore, Outcome

BAD_REQUEST = "Missing or invalid parameter."  # seed 004
INVALID_ENDPOINT = "Invalid endpoint or method."  # (inferred) docs: such a request is a 400
STATUS_MESSAGES = {
    401: "Invalid or incorrect authorization [Missing (basic) authorization header.]",  # seed
    413: "Request too large.",
    429: "Rate limit exceeded.",  # http-status-codes page: "429 Too Many Requests"
    500: "Internal server error.",
}


def envelope(outcome: Outcome) -> Answer:
    """`{code, status, message, details, response}`, the body of every ChargeOver answer."""
    return outcome.code, dumps(_body(outcome))


def status_answer(code: int, message: str | None = None) -> Answer:
    text = message or STATUS_MESSAGES.get(code) or STATUS_MESSAGES[500]
    return envelope(Outcome(code, text, False))


def _int(value: str | None, default: int) -> int | None:
    if value is None or value == "":
        return default
    return int(value) if value.isdigit() else None


@dataclass(frozen=True, slots=True)
class Call:
    """One request, outer or `_bulk` sub-request, as an operation sees it."""

    params: list[str]
    query: dict[str, str]
    payload: Any
    now: float

    @property
    def param(self) -> str:
        return self.params[0]


Operation = Callable[[Call], Outcome]


class Api:
    """Route handlers over one `CustomerStore`; `config` is read on every request, so
    `Emulator.configure(...)` takes effect at once. Each route is an operation on a `Call`;
    a request and a `_bulk` sub-request reach the same operation (a sub-request without
    re-encoding its payload)."""

    def __init__(self, store: CustomerStore, config: Callable[[], EmulatorConfig]) -> None:
        self.store = store
        self.config = config
        self._draws = random.Random(None if config().seed is None else f"{config().seed}:bulk")
        base = f"{API_PREFIX}/customer"
        self._operations: dict[str, tuple[str, str, Operation]] = {
            f"{method} {path}": (method, path, operation)
            for method, path, operation in (
                ("POST", base, self.create),
                ("GET", base, self.list),
                ("GET", f"{base}/_count", self.count),
                ("GET", f"{base}/{{customer}}", self.get),
                ("PUT", f"{base}/{{customer}}", self.update),
                ("DELETE", f"{base}/{{customer}}", self.delete),
            )
        }
        self._sub_router = Router(self._customer_routes())

    def routes(self) -> Iterator[Route]:
        yield from self._customer_routes()
        yield Route("POST", f"{API_PREFIX}/_bulk", self.bulk)

    def _customer_routes(self) -> Iterator[Route]:
        for method, path, operation in self._operations.values():
            yield Route(method, path, self._handler(operation))

    @staticmethod
    def _handler(operation: Operation) -> Callable[[Request], Answer]:
        def handle(request: Request) -> Answer:
            call = Call(request.params, request.query(), _payload(request.body), request.now)
            return envelope(operation(call))

        return handle

    # -- customers -------------------------------------------------------------------------

    def create(self, call: Call) -> Outcome:
        return self.store.create(call.payload, call.now)

    def update(self, call: Call) -> Outcome:
        return self.store.update(call.param, call.payload, call.now)

    def get(self, call: Call) -> Outcome:
        return self.store.get(call.param)

    def delete(self, call: Call) -> Outcome:
        return self.store.delete(call.param)

    def list(self, call: Call) -> Outcome:
        config = self.config()
        offset = _int(call.query.get("offset"), 0)
        limit = _int(call.query.get("limit"), config.default_page_size)
        if offset is None or limit is None:
            return Outcome(400, BAD_REQUEST, False)
        limit = min(limit, config.max_page_size)
        where, order = call.query.get("where", ""), call.query.get("order", "")
        return self.store.query(where, order, offset, limit)

    def count(self, call: Call) -> Outcome:
        return self.store.count(call.query.get("where", ""))

    # -- _bulk -----------------------------------------------------------------------------

    def bulk(self, request: Request) -> Answer:
        """Up to `max_bulk_requests` sub-requests, answered in order in `response._bulk`."""
        config = self.config()
        calls = _payload(request.body)
        if not isinstance(calls, list) or not calls:
            return envelope(Outcome(400, BAD_REQUEST, False))
        if len(calls) > config.max_bulk_requests:
            message = f"Too many requests in one bulk call (maximum {config.max_bulk_requests})."
            return envelope(Outcome(400, message, False))
        answers = [_body(self._sub_request(call, request.now, config)) for call in calls]
        failed = any(answer["code"] >= 400 for answer in answers)
        code = config.bulk_error_status if failed else 200
        message = "One or more bulk requests failed." if failed and code != 200 else ""
        return envelope(Outcome(code, message, {"_bulk": answers}))

    def _sub_request(self, call: Any, now: float, config: EmulatorConfig) -> Outcome:
        if not isinstance(call, dict) or not isinstance(call.get("uri"), str):
            return Outcome(400, BAD_REQUEST, False)
        method = str(call.get("request_method", "")).upper()
        uri = urlsplit(call["uri"])
        matched = self._sub_router.match(method, uri.path)
        if matched is None:
            return Outcome(400, INVALID_ENDPOINT, False)
        draw = self._draws.random()
        if draw < config.bulk_item_throttle_rate:
            return Outcome(429, STATUS_MESSAGES[429], False)
        draw -= config.bulk_item_throttle_rate
        if draw < config.bulk_item_fail_rate:
            return Outcome(500, STATUS_MESSAGES[500], False)
        draw -= config.bulk_item_fail_rate
        route, params = matched
        operation = self._operations[route.label][2]
        query = dict(parse_qsl(uri.query, keep_blank_values=True))
        outcome = operation(Call(params, query, call.get("payload"), now))
        if draw < config.bulk_item_lost_rate:
            return Outcome(500, STATUS_MESSAGES[500], False)  # applied, but answered as failed
        return outcome


def _payload(body: bytes) -> Any:
    if not body:
        return None
    try:
        return loads(body)
    except ValueError:
        return None


def _body(outcome: Outcome) -> dict[str, Any]:
    code, message, response = outcome
    status = "OK" if code < 400 else "Error"
    return {"code": code, "status": status, "message": message, "details": {}, "response": response}
