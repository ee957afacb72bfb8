"""A bounded, task- and thread-safe memory of the webhook ids already handled."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from .._constants import WEBHOOK_DEDUPE_SIZE, WEBHOOK_DEDUPE_TTL

Claim = Literal["new", "in_flight", "done"]


class Deduplicator:
    """Remembers recent webhook ids in memory: at most `maxsize`, each for `ttl` seconds.

    An id is claimed when a delivery arrives, then completed (handled) or released (failed,
    so Neofin's retry is accepted). Safe across tasks and threads. It is per process: with
    several workers, subclass it and override the three methods with a shared store.
    """

    def __init__(
        self,
        maxsize: int = WEBHOOK_DEDUPE_SIZE,
        ttl: float = WEBHOOK_DEDUPE_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1 or ttl <= 0:
            raise ValueError("maxsize must be at least 1 and ttl positive")
        self.maxsize = maxsize
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bool]] = OrderedDict()  # expiry, done
        self._lock = threading.Lock()

    async def claim(self, webhook_id: str) -> Claim:
        """`"new"` (now claimed), or the state of an earlier claim: `"in_flight"` / `"done"`."""
        with self._lock:
            now = self._clock()
            while self._entries:
                oldest, (expires, _) = next(iter(self._entries.items()))
                if expires > now:
                    break
                del self._entries[oldest]
            entry = self._entries.get(webhook_id)
            if entry is not None:
                return "done" if entry[1] else "in_flight"
            self._store(webhook_id, now, done=False)
            return "new"

    async def complete(self, webhook_id: str) -> None:
        """The delivery was handled: later copies are duplicates."""
        with self._lock:
            self._store(webhook_id, self._clock(), done=True)

    async def release(self, webhook_id: str) -> None:
        """The delivery failed: forget it so a retry is handled."""
        with self._lock:
            self._entries.pop(webhook_id, None)

    def _store(self, webhook_id: str, now: float, *, done: bool) -> None:
        self._entries[webhook_id] = (now + self.ttl, done)
        self._entries.move_to_end(webhook_id)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Deduplicator(maxsize={self.maxsize}, ttl={self.ttl:g})"
