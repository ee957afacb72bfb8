"""The emulators' notion of time: `time.time` by default, a `ManualClock` in tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], float]
"""Returns the current time in Unix seconds."""


class ManualClock:
    """A clock that only moves when told to: `clock.advance(3600)` is an hour later."""

    def __init__(self, start: float | datetime | None = None) -> None:
        self.now = _seconds(start) if start is not None else time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self.now += seconds
        return self.now

    def set(self, moment: float | datetime) -> float:
        """Jump to `moment` (not before the current time)."""
        return self.advance(_seconds(moment) - self.now)

    def __repr__(self) -> str:
        return f"ManualClock({self.now!r})"


def _seconds(moment: float | datetime) -> float:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a datetime must carry a timezone")
        return moment.timestamp()
    return float(moment)
