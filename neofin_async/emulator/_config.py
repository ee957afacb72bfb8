"""Emulator settings and fault rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_API_KEY = "emulator-api-key"
DEFAULT_SECRET_KEY = "emulator-secret-key"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
IN_PROCESS_BASE_URL = "http://emulator.localhost"
PAY_URLS = {
    "sandbox": "https://sandbox.neofin.com.br/pay?billing=",
    "production": "https://app.neofin.com.br/pay?billing=",
}

RequiredFields = Literal["schema", "howto"]
PartialFailure = Literal["reject_batch", "accept_valid"]


@dataclass(frozen=True)
class FaultRule:
    """Faults for the requests whose method and path match.

    `method=None` matches any method; `path` is a prefix of the request path as sent
    (`"/billing"` matches every billing route). Each request draws one number from the
    emulator's seeded generator and falls in at most one band: dropped connection
    (`drop_rate`), hang past the client's timeout (`hang_rate`, then a 504 after
    `hang_seconds`), 429 with `Retry-After: retry_after` (`throttle_rate`), or
    `fail_status` (`fail_rate`). `latency_ms` is added to every matching request.
    """

    method: str | None = None
    path: str = "/"
    fail_rate: float = 0.0
    fail_status: int = 500
    throttle_rate: float = 0.0
    retry_after: int = 1
    hang_rate: float = 0.0
    hang_seconds: float = 60.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        rates = (self.fail_rate, self.throttle_rate, self.hang_rate, self.drop_rate)
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates) > 1.0:
            raise ValueError("fault rates must be between 0 and 1 and add up to at most 1")
        if not 500 <= self.fail_status <= 599:
            raise ValueError("fail_status must be a 5xx status")
        if self.latency_ms < 0 or self.hang_seconds < 0 or self.retry_after < 0:
            raise ValueError("latency_ms, hang_seconds and retry_after must not be negative")
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())

    @property
    def failure_rate(self) -> float:
        """The chance that a matching request gets a fault other than latency."""
        return self.drop_rate + self.hang_rate + self.throttle_rate + self.fail_rate

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path)


_GLOBAL_FAULT_FIELDS = (
    "fail_rate",
    "fail_status",
    "throttle_rate",
    "retry_after",
    "hang_rate",
    "hang_seconds",
    "drop_rate",
    "latency_ms",
)


@dataclass(frozen=True)
class EmulatorConfig:
    """Every emulator knob. Durations are seconds of the emulator's clock unless noted."""

    api_key: str = dataclasses.field(default=DEFAULT_API_KEY, repr=False)
    secret_key: str = dataclasses.field(default=DEFAULT_SECRET_KEY, repr=False)
    environment: Literal["sandbox", "production"] = "sandbox"
    """Which panel `billing_url` points to."""

    processing_delay: float = 0.0
    """Upserts are queued; an item answers 404 until this long after its upsert."""
    registration_delay: float = 0.0
    """A processed billing stays `processing` this long before it becomes `pending`."""
    overdue_grace: float = 86_400.0
    """An unpaid installment becomes overdue this long after its due date (a due date names
    a day, so by default it is overdue the day after)."""
    page_size: int = 50
    required_fields: RequiredFields = "schema"
    """`"schema"`: the endpoint schema's required fields; `"howto"`: also the how-to pages'
    mandatory customer and address fields, which must not be empty."""
    partial_failure: PartialFailure = "reject_batch"
    """A batch with invalid items: `"reject_batch"` answers 400 and queues nothing (the only
    observed behaviour); `"accept_valid"` answers 202 naming the invalid items and queues
    the valid ones (400 when none is valid)."""

    webhook_retry_schedule: tuple[float, ...] = (0.0, 300.0, 1200.0)
    """Delivery attempts: the first `[0]` seconds after the status change, retry n
    `[n] - [0]` seconds after the first attempt (default: at once, +5 min, +20 min)."""
    webhook_time_scale: float = 1.0
    """Multiplies the retry schedule: 0.001 runs the 20-minute schedule in 1.2 seconds."""
    webhook_timeout: float = 10.0
    """Real seconds a destination has to answer."""
    webhook_api_version: str = "2023-07"

    seed: int | None = None
    """Seeds the fault draws and the generated ids (uuids, billing numbers)."""
    faults: tuple[FaultRule, ...] = ()
    """Per-route faults; the first rule that matches a request decides its faults."""
    fail_rate: float = 0.0
    fail_status: int = 500
    throttle_rate: float = 0.0
    retry_after: int = 1
    hang_rate: float = 0.0
    hang_seconds: float = 60.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    """The fields from `fail_rate` to here are a shorthand for a rule matching every route,
    used for requests that no rule of `faults` matches."""

    tick_interval: float = 0.05
    """Real seconds between two runs of the background ticker (webhook timing)."""
    request_log_size: int = 10_000
    """How many recent requests `Emulator.requests` keeps."""

    def __post_init__(self) -> None:
        if not self.api_key or not self.secret_key:
            raise ValueError("api_key and secret_key must not be empty")
        if self.environment not in PAY_URLS:
            raise ValueError(f"environment must be one of {', '.join(PAY_URLS)}")
        if self.required_fields not in ("schema", "howto"):
            raise ValueError("required_fields must be 'schema' or 'howto'")
        if self.partial_failure not in ("reject_batch", "accept_valid"):
            raise ValueError("partial_failure must be 'reject_batch' or 'accept_valid'")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        if min(self.processing_delay, self.registration_delay, self.overdue_grace) < 0:
            raise ValueError("delays must not be negative")
        if not self.webhook_retry_schedule or any(t < 0 for t in self.webhook_retry_schedule):
            raise ValueError("webhook_retry_schedule needs at least one non-negative offset")
        if self.webhook_time_scale < 0 or self.webhook_timeout <= 0 or self.tick_interval <= 0:
            raise ValueError("webhook_time_scale, webhook_timeout and tick_interval are positive")
        self.fault_rules()  # validates the shorthand

    def replace(self, **changes: Any) -> EmulatorConfig:
        return dataclasses.replace(self, **changes)

    def fault_rules(self) -> tuple[FaultRule, ...]:
        """`faults`, then the shorthand as a catch-all rule when it sets anything."""
        shorthand = FaultRule(**{name: getattr(self, name) for name in _GLOBAL_FAULT_FIELDS})
        if shorthand.failure_rate or shorthand.latency_ms:
            return (*self.faults, shorthand)
        return tuple(self.faults)

    @property
    def pay_url(self) -> str:
        return PAY_URLS[self.environment]
