"""Webhook registrations and signed deliveries, retried on the documented schedule."""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from .._brazil import sao_paulo
from .._emulation import Clock
from ..webhooks import signed_headers
from ._config import EmulatorConfig

TOPICS = (
    "payments/created",
    "payments/registered",
    "payments/overdue",
    "payments/paid",
    "payments/cancelled",
)


@dataclass(frozen=True)
class WebhookRegistration:
    id: str
    topic: str
    destination: str
    created_at: float


@dataclass(frozen=True)
class DeliveryAttempt:
    number: int
    """1 for the first attempt."""
    at: float
    """Emulator clock time of the attempt."""
    headers: dict[str, str]
    status_code: int | None
    """The destination's answer, None when there was none (`error` says why)."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the destination answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(eq=False)
class WebhookDelivery:
    """One webhook message to one destination, with every attempt made to deliver it."""

    webhook_id: str
    topic: str
    destination: str
    body: bytes
    created_at: float
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    state: Literal["pending", "delivered", "failed"] = "pending"

    @property
    def payload(self) -> Any:
        """The delivered JSON body, decoded."""
        return json.loads(self.body)


class Dispatcher:
    """Creates a delivery per registration of a topic and attempts it when due."""

    def __init__(
        self,
        config: Callable[[], EmulatorConfig],
        clock: Clock,
        new_id: Callable[[], str],
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._new_id = new_id
        self._client = client
        self._owns_client = client is None
        self.registrations: list[WebhookRegistration] = []
        self._by_topic: dict[str, list[WebhookRegistration]] = {}
        self.deliveries: list[WebhookDelivery] = []
        self._due: list[tuple[float, int, WebhookDelivery]] = []
        self._sequence = itertools.count()

    def register(self, topic: str, destination: str, now: float) -> WebhookRegistration:
        """Register `destination` for `topic`; registering the same pair again is a no-op."""
        for known in self._by_topic.get(topic, ()):
            if known.destination == destination:
                return known
        registration = WebhookRegistration(self._new_id(), topic, destination, now)
        self.registrations.append(registration)
        self._by_topic.setdefault(topic, []).append(registration)
        return registration

    def wants(self, topic: str) -> bool:
        return topic in self._by_topic

    def emit(self, topic: str, payloads: list[dict[str, Any]], when: float) -> None:
        """Schedule one delivery per payload and registered destination of `topic`."""
        first = when + self._config().webhook_retry_schedule[0] * self._config().webhook_time_scale
        for registration in self._by_topic.get(topic, ()):
            for payload in payloads:
                body = json.dumps(payload, separators=(",", ":")).encode()
                delivery = WebhookDelivery(
                    self._new_id(), topic, registration.destination, body, when
                )
                self.deliveries.append(delivery)
                heapq.heappush(self._due, (first, next(self._sequence), delivery))

    def pop_due(self, now: float) -> list[WebhookDelivery]:
        due = []
        while self._due and self._due[0][0] <= now:
            due.append(heapq.heappop(self._due)[2])
        return due

    def next_due(self) -> float | None:
        return self._due[0][0] if self._due else None

    async def attempt(self, delivery: WebhookDelivery) -> DeliveryAttempt:
        """POST the delivery once; on failure schedule the next attempt, if any is left."""
        config = self._config()
        at = self._clock()
        headers = signed_headers(
            delivery.body,
            config.secret_key,
            topic=delivery.topic,
            webhook_id=delivery.webhook_id,
            sent_at=datetime.fromtimestamp(at, sao_paulo()),
            api_version=config.webhook_api_version,
        )
        status: int | None = None
        error: str | None = None
        try:
            response = await self._http().post(
                delivery.destination,
                content=delivery.body,
                headers=headers,
                timeout=config.webhook_timeout,
            )
            status = response.status_code
        except Exception as exc:  # the destination's failure is the delivery's result
            error = f"{type(exc).__name__}: {exc}"
        attempt = DeliveryAttempt(len(delivery.attempts) + 1, at, headers, status, error)
        delivery.attempts.append(attempt)
        schedule = config.webhook_retry_schedule
        if attempt.ok:
            delivery.state = "delivered"
        elif attempt.number < len(schedule):
            offset = schedule[attempt.number] - schedule[0]
            due = delivery.attempts[0].at + offset * config.webhook_time_scale
            heapq.heappush(self._due, (due, next(self._sequence), delivery))
        else:
            delivery.state = "failed"
        return attempt

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
