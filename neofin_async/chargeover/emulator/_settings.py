"""The ChargeOver emulator's settings: the kit's fault knobs plus what ChargeOver leaves open."""

from __future__ import annotations

from dataclasses import dataclass

from ..._emulation import EmulatorSettings
from .._constants import MAX_BULK_REQUESTS

DEFAULT_PUBLIC_KEY = "emulator-public-key"
DEFAULT_PRIVATE_KEY = "emulator-private-key"
DEFAULT_PORT = 8767


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig(EmulatorSettings):
    """Settings of `neofin_async.chargeover.emulator.Emulator`.

    The inherited fault knobs (`fail_rate`, `throttle_rate`, `lost_rate`, `latency_ms`, ...)
    act on whole HTTP requests, `_bulk` calls included. The `bulk_item_*` rates act on one
    sub-request of a `_bulk` call, which the docs neither promise nor rule out: a
    sub-request answered 429 (`bulk_item_throttle_rate`) or 500 (`bulk_item_fail_rate`)
    changed nothing; one hit by `bulk_item_lost_rate` was applied but still answers 500.
    """

    public_key: str = DEFAULT_PUBLIC_KEY
    private_key: str = DEFAULT_PRIVATE_KEY

    reuse_deleted_keys: bool = False
    """ChargeOver's default: a deleted customer's external key can never be used again."""

    max_bulk_requests: int = MAX_BULK_REQUESTS
    bulk_error_status: int = 200
    """The `_bulk` call's own status when a sub-request failed. Undocumented: 200 with
    `"status": "OK"` (the default, inferred), or e.g. 400 (then `"status": "Error"`), the
    per-request answers in `response._bulk` either way."""
    bulk_item_fail_rate: float = 0.0
    bulk_item_throttle_rate: float = 0.0
    bulk_item_lost_rate: float = 0.0

    default_page_size: int = 10
    """`limit` when a list asks for none (inferred: the C# SDK's default)."""
    max_page_size: int = 500
    """Largest `limit` honoured (inferred); a larger one returns this many."""

    def __post_init__(self) -> None:
        super().__post_init__()
        item_rates = (self.bulk_item_fail_rate, self.bulk_item_throttle_rate)
        if any(not 0 <= r <= 1 for r in (*item_rates, self.bulk_item_lost_rate)) or (
            sum(item_rates) + self.bulk_item_lost_rate > 1
        ):
            raise ValueError("bulk_item_* rates must be between 0 and 1 and add up to at most 1")
        if not 200 <= self.bulk_error_status <= 599:
            raise ValueError("bulk_error_status must be an HTTP status")
        if self.max_bulk_requests < 1 or self.default_page_size < 1 or self.max_page_size < 1:
            raise ValueError("max_bulk_requests and page sizes must be positive")
