"""Seeded, deterministic fault injection: latency, 5xx, 429, hangs, dropped connections and
answers lost after the request was processed."""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from ._asgi import Headers, Receive, Send

FaultKind = Literal["drop", "lost", "hang", "throttle", "fail"]
Answer = Callable[[int, Headers], Awaitable[None]]
"""Sends the provider's answer for a status (its body, its headers plus `Headers`)."""


@dataclass(frozen=True, kw_only=True)
class FaultSettings:
    """The fault knobs, written once: a `FaultRule` has them for its routes, and every
    provider's emulator settings inherit them as the shorthand rule for every route.

    Each request draws one number from the emulator's seeded generator and falls in at most
    one band: dropped connection before processing (`drop_rate`), processed and stored but
    the connection dropped instead of answering (`lost_rate`), hang past the client's
    timeout (`hang_rate`, then a 504 after `hang_seconds`), 429 with `Retry-After:
    retry_after` (`throttle_rate`), or `fail_status` (`fail_rate`). `latency_ms` is added to
    every matching request.
    """

    fail_rate: float = 0.0
    fail_status: int = 500
    throttle_rate: float = 0.0
    retry_after: int = 1
    hang_rate: float = 0.0
    hang_seconds: float = 60.0
    drop_rate: float = 0.0
    lost_rate: float = 0.0
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        rates = self._rates()
        if any(not 0.0 <= rate <= 1.0 for _, rate in rates) or self.failure_rate > 1.0:
            raise ValueError("fault rates must be between 0 and 1 and add up to at most 1")
        if not 500 <= self.fail_status <= 599:
            raise ValueError("fail_status must be a 5xx status")
        if self.latency_ms < 0 or self.hang_seconds < 0 or self.retry_after < 0:
            raise ValueError("latency_ms, hang_seconds and retry_after must not be negative")

    def _rates(self) -> tuple[tuple[FaultKind, float], ...]:
        return (
            ("drop", self.drop_rate),
            ("lost", self.lost_rate),
            ("hang", self.hang_rate),
            ("throttle", self.throttle_rate),
            ("fail", self.fail_rate),
        )

    @property
    def failure_rate(self) -> float:
        """The chance that a matching request gets a fault other than latency."""
        return sum(rate for _, rate in self._rates())

    def fault_settings(self) -> FaultSettings:
        """Just the fault knobs of these settings."""
        names = [f.name for f in dataclasses.fields(FaultSettings)]
        return FaultSettings(**{name: getattr(self, name) for name in names})


@dataclass(frozen=True)
class FaultRule(FaultSettings):
    """Faults (the `FaultSettings` knobs, as keywords) for the requests whose method and path
    match. `method=None` matches any method; `path` is a prefix of the request path as sent
    (`"/billing"` matches every billing route)."""

    method: str | None = None
    path: str = "/"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())

    def matches(self, method: str, path: str) -> bool:
        """Whether the rule applies to a request with this method and path."""
        return (self.method is None or self.method == method) and path.startswith(self.path)


class ConnectionDropped(Exception):
    """Raised by an app to end the connection without an answer.

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
        for kind, rate in rule._rates():
            if draw < rate:
                return kind
            draw -= rate
        return None


async def enact(fault: Fault, receive: Receive, send: Send, answer: Answer) -> int | None:
    """Apply a fault before processing: the status answered, or None when the request goes
    on (no fault but latency, or "lost", which drops the connection after processing)."""
    rule = fault.rule
    if rule.latency_ms:
        await anyio.sleep(rule.latency_ms / 1000)
    if fault.kind is None or fault.kind == "lost":
        return None
    if fault.kind == "drop":
        await drop(send)
    if fault.kind == "hang":
        if await _wait_for_disconnect(receive, rule.hang_seconds):
            return 499  # the client gave up: nothing to answer
        await answer(504, [])
        return 504
    if fault.kind == "throttle":
        await answer(429, [(b"retry-after", b"%d" % rule.retry_after)])
        return 429
    await answer(rule.fail_status, [])
    return rule.fail_status


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
