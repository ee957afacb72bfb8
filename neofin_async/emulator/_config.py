"""The Neofin emulator's settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .._constants import WEBHOOK_API_VERSION
from .._emulation import EmulatorSettings

DEFAULT_API_KEY = "emulator-api-key"
DEFAULT_SECRET_KEY = "emulator-secret-key"
DEFAULT_PORT = 8765
PAY_URLS = {
    "sandbox": "https://sandbox.neofin.com.br/pay?billing=",
    "production": "https://app.neofin.com.br/pay?billing=",
}

RequiredFields = Literal["schema", "howto"]
PartialFailure = Literal["reject_batch", "accept_valid"]


@dataclass(frozen=True)
class EmulatorConfig(EmulatorSettings):
    """Every Neofin emulator knob. Durations are seconds of the emulator's clock unless noted.

    The fault knobs (`fail_rate`, `fail_status`, `throttle_rate`, `retry_after`, `hang_rate`,
    `hang_seconds`, `drop_rate`, `lost_rate`, `latency_ms`), `faults` (per-route
    `FaultRule`s), `seed` (also of the generated ids and billing numbers), `request_log_size`
    and `error_log_size` are inherited from `EmulatorSettings` (keywords only)."""

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
    webhook_api_version: str = WEBHOOK_API_VERSION

    tick_interval: float = 0.05
    """Real seconds between two runs of the background ticker (webhook timing)."""

    def __post_init__(self) -> None:
        super().__post_init__()
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

    @property
    def pay_url(self) -> str:
        """The public pay link prefix of `environment`."""
        return PAY_URLS[self.environment]
