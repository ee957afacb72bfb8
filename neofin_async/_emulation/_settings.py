"""Settings every provider's emulator has: the fault knobs, per-route rules, the seed, logs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

from ._faults import FaultRule, FaultSettings

S = TypeVar("S", bound="EmulatorSettings")


@dataclass(frozen=True, kw_only=True)
class EmulatorSettings(FaultSettings):
    """The base of a provider's emulator settings (subclass it, frozen, with defaults).

    The inherited `FaultSettings` knobs are a shorthand for a rule matching every route, used
    for requests that no rule of `faults` matches."""

    seed: int | None = None
    """Seeds the fault draws (and whatever else the provider generates)."""
    faults: tuple[FaultRule, ...] = ()
    """Per-route faults; the first rule that matches a request decides its faults."""
    request_log_size: int = 10_000
    """How many recent requests `requests` keeps."""
    error_log_size: int = 100
    """How many recent internal errors `errors` keeps (a type and a short message each)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.request_log_size < 0 or self.error_log_size < 0:
            raise ValueError("request_log_size and error_log_size must not be negative")

    def replace(self: S, **changes: Any) -> S:
        return dataclasses.replace(self, **changes)

    def fault_rules(self) -> tuple[FaultRule, ...]:
        """`faults`, then the shorthand as a catch-all rule when it sets anything."""
        shorthand = FaultRule(**dataclasses.asdict(self.fault_settings()))
        if shorthand.failure_rate or shorthand.latency_ms:
            return (*self.faults, shorthand)
        return tuple(self.faults)
