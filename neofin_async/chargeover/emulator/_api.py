"""The emulator's routes: customers and `_bulk`, each answering ChargeOver's envelope.

A `_bulk` sub-request goes through the same router and handlers as a request of its own
(without faults and authentication, which act on the outer call), so it answers exactly what
the single request would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

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
    code, message, response = outcome
    status = "OK" if code < 400 else "Error"
    body = {"code": code, "status": status, "message": message, "details": {}}
    body["response"] = response
    return code, dumps(body)


def status_answer(code: int, message: str | None = None) -> Answer:
    text = message or STATUS_MESSAGES.get(code) or STATUS_MESSAGES[500]
    return envelope(Outcome(code, text, False))


def _int(value: str | None, default: int) -> int | None:
    if value is None or value == "":
        return default
    return int(value) if value.isdigit() else None


class Api:
    """Route handlers over one `CustomerStore`; `config` is read on every request, so
    `Emulator.configure(...)` takes effect at once."""

    def __init__(self, store: CustomerStore, config: Callable[[], EmulatorConfig]) -> None:
        self.store = store
        self.config = config
        self._draws = random.Random(None if config().seed is None else f"{config().seed}:bulk")
        self._sub_router = Router(self.customer_routes())

    def customer_routes(self) -> Iterator[Route]:
        base = f"{API_PREFIX}/customer"
        yield Route("POST", base, self.create)
        yield Route("GET", base, self.list)
        yield Route("GET", f"{base}/_count", self.count)
        yield Route("GET", f"{base}/{{customer}}", self.get)
        yield Route("PUT", f"{base}/{{customer}}", self.update)
        yield Route("DELETE", f"{base}/{{customer}}", self.delete)

    def routes(self) -> Iterator[Route]:
        yield from self.customer_routes()
        yield Route("POST", f"{API_PREFIX}/_bulk", self.bulk)

    # -- customers -------------------------------------------------------------------------

    def create(self, request: Request) -> Answer:
        payload = _payload(request.body)
        return envelope(self.store.create(payload, request.now))

    def update(self, request: Request) -> Answer:
        payload = _payload(request.body)
        return envelope(self.store.update(request.param, payload, request.now))

    def get(self, request: Request) -> Answer:
        return envelope(self.store.get(request.param))

    def delete(self, request: Request) -> Answer:
        return envelope(self.store.delete(request.param))

    def list(self, request: Request) -> Answer:
        query = request.query()
        config = self.config()
        offset = _int(query.get("offset"), 0)
        limit = _int(query.get("limit"), config.default_page_size)
        if offset is None or limit is None:
            return envelope(Outcome(400, BAD_REQUEST, False))
        limit = min(limit, config.max_page_size)
        outcome = self.store.query(query.get("where", ""), query.get("order", ""), offset, limit)
        return envelope(outcome)

    def count(self, request: Request) -> Answer:
        return envelope(self.store.count(request.query().get("where", "")))

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
        answers = [self._sub_request(call, request.now, config) for call in calls]
        failed = any(answer["code"] >= 400 for answer in answers)
        code = config.bulk_error_status if failed else 200
        message = "One or more bulk requests failed." if failed and code != 200 else ""
        return envelope(Outcome(code, message, {"_bulk": answers}))

    def _sub_request(self, call: Any, now: float, config: EmulatorConfig) -> dict[str, Any]:
        if not isinstance(call, dict) or not isinstance(call.get("uri"), str):
            return _decoded(envelope(Outcome(400, BAD_REQUEST, False)))
        method = str(call.get("request_method", "")).upper()
        uri = urlsplit(call["uri"])
        matched = self._sub_router.match(method, uri.path)
        if matched is None:
            return _decoded(status_answer(400, INVALID_ENDPOINT))
        draw = self._draws.random()
        if draw < config.bulk_item_throttle_rate:
            return _decoded(status_answer(429))
        draw -= config.bulk_item_throttle_rate
        if draw < config.bulk_item_fail_rate:
            return _decoded(status_answer(500))
        draw -= config.bulk_item_fail_rate
        route, params = matched
        payload = call.get("payload")
        body = dumps(payload) if payload is not None else b""
        answer = route.handler(Request(method, route.label, params, uri.query.encode(), body, now))
        assert isinstance(answer, tuple)  # the customer handlers are synchronous
        if draw < config.bulk_item_lost_rate:
            return _decoded(status_answer(500))  # applied, but the answer says it failed
        return _decoded(answer)


def _payload(body: bytes) -> Any:
    if not body:
        return None
    try:
        return loads(body)
    except ValueError:
        return None


def _decoded(answer: Answer) -> dict[str, Any]:
    decoded: dict[str, Any] = loads(answer[1])
    return decoded
