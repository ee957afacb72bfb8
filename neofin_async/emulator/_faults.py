"""Seeded, deterministic fault injection: latency, 5xx, 429, hangs and dropped connections."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from ._config import FaultRule
from ._http import GATEWAY_ERRORS, INTERNAL_ERROR, Receive, Send, respond

FaultKind = Literal["drop", "hang", "throttle", "fail"]


class ConnectionDropped(Exception):
    """Raised by the app to end the connection without an answer.

    `EmulatorTransport` turns it into `httpx.RemoteProtocolError`; under uvicorn the
    connection is closed without a byte written (see `drop`).
    """


@dataclass(frozen=True)
class Fault:
    rule: FaultRule
    kind: FaultKind | None
    """None: only the rule's latency applies."""


class FaultInjector:
    """Decides each request's fault before anything else happens to it."""

    def __init__(self, rules: Sequence[FaultRule], seed: int | None) -> None:
        self.rules = tuple(rules)
        self._random = random.Random(seed)

    def decide(self, method: str, path: str) -> Fault | None:
        for rule in self.rules:
            if rule.matches(method, path):
                return Fault(rule, self._draw(rule) if rule.failure_rate else None)
        return None

    def _draw(self, rule: FaultRule) -> FaultKind | None:
        draw = self._random.random()
        for kind, rate in (
            ("drop", rule.drop_rate),
            ("hang", rule.hang_rate),
            ("throttle", rule.throttle_rate),
            ("fail", rule.fail_rate),
        ):
            if draw < rate:
                return kind  # type: ignore[return-value]
            draw -= rate
        return None


async def enact(fault: Fault, receive: Receive, send: Send) -> int | None:
    """Apply a fault: the status answered, or None when the request proceeds normally."""
    rule = fault.rule
    if rule.latency_ms:
        await anyio.sleep(rule.latency_ms / 1000)
    if fault.kind is None:
        return None
    if fault.kind == "drop":
        await drop(send)
    if fault.kind == "hang":
        if await _wait_for_disconnect(receive, rule.hang_seconds):
            return 499  # the client gave up: nothing to answer
        await respond(send, 504, GATEWAY_ERRORS[504])
        return 504
    if fault.kind == "throttle":
        await respond(send, 429, GATEWAY_ERRORS[429], [(b"retry-after", b"%d" % rule.retry_after)])
        return 429
    status = rule.fail_status
    await respond(send, status, GATEWAY_ERRORS.get(status, INTERNAL_ERROR))
    return status


async def drop(send: Send) -> None:
    """End the connection without writing a byte.

    An ASGI app cannot close its connection, and uvicorn answers 500 when an app fails
    before starting a response. So the response is started with a header value no server
    may write: uvicorn marks the response started, refuses the header before writing
    anything, and when the app then fails it closes the socket instead of answering.
    """
    with contextlib.suppress(Exception):
        await send(
            {"type": "http.response.start", "status": 502, "headers": [(b"x-drop", b"\r\n")]}
        )
    raise ConnectionDropped


async def _wait_for_disconnect(receive: Receive, seconds: float) -> bool:
    """True if the client disconnected within `seconds`."""
    with anyio.move_on_after(seconds):
        while (await receive())["type"] != "http.disconnect":
            pass
        return True
    return False
