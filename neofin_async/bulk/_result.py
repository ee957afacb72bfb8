"""Outcome types: every item ends in exactly one state, and the counts add up to `total`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from .._exceptions import NeofinError

ItemState = Literal["accepted", "rejected", "invalid", "failed", "not_sent"]
STATES: tuple[ItemState, ...] = ("accepted", "rejected", "invalid", "failed", "not_sent")


@dataclass(frozen=True, slots=True)
class ItemError:
    """An item that was not accepted: its input `index`, identifier, state and why."""

    index: int
    integration_identifier: str | None
    status: ItemState
    message: str
    """The field messages joined (`"amount[3]: must be > 0"`), or the exception text."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Field -> messages, for rejected and invalid items."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class Counts:
    """Items per state."""

    accepted: int = 0
    rejected: int = 0
    invalid: int = 0
    failed: int = 0
    not_sent: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.invalid + self.failed + self.not_sent

    def add(self, other: Counts) -> None:
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.invalid += other.invalid
        self.failed += other.failed
        self.not_sent += other.not_sent

    def as_dict(self) -> dict[str, int]:
        return {state: getattr(self, state) for state in STATES} | {"total": self.total}


@dataclass(slots=True)
class ChunkResult:
    """What happened to one chunk of up to 50 items (yielded by `stream_upsert`).

    `accepted` lists `(index, integration_identifier)` of the chunk's accepted items; `errors`
    every other item of the chunk (including invalid items met while filling it)."""

    chunk: int
    accepted: list[tuple[int, str | None]] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    skipped: int = 0
    """Of `accepted`, how many were accepted by an earlier run (journal) and not sent again."""

    @property
    def counts(self) -> Counts:
        counts = Counts(accepted=len(self.accepted))
        for error in self.errors:
            setattr(counts, error.status, getattr(counts, error.status) + 1)
        return counts


@dataclass(frozen=True, slots=True)
class Progress:
    """Passed to `on_progress` after every chunk."""

    counts: Counts
    requests: int
    retries: int
    elapsed: float

    @property
    def done(self) -> int:
        return self.counts.total


class BulkError(NeofinError):
    """Raised by `BulkResult.raise_for_errors()` when some items were not accepted."""

    def __init__(self, result: BulkResult) -> None:
        self.result = result
        counts = ", ".join(
            f"{n} {state}" for state, n in result.counts.as_dict().items() if n and state != "total"
        )
        first = "; ".join(
            f"item {e.index} ({e.integration_identifier}): {e.message}" for e in result.errors[:3]
        )
        super().__init__(
            f"{result.total - result.accepted} of {result.total} items not accepted "
            f"({counts}). First: {first}"
        )


@dataclass(slots=True)
class BulkResult:
    """The aggregate outcome of a bulk run. `accepted + rejected + invalid + failed + not_sent`
    always equals `total`; `errors` has one `ItemError` for every item not accepted."""

    counts: Counts = field(default_factory=Counts)
    errors: list[ItemError] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    skipped: int = 0
    elapsed: float = 0.0
    stopped_by: BaseException | None = None
    """Why the run stopped early: an `AuthenticationError`, or `TimeoutError` for a deadline."""

    @property
    def total(self) -> int:
        return self.counts.total

    @property
    def accepted(self) -> int:
        return self.counts.accepted

    @property
    def rejected(self) -> int:
        return self.counts.rejected

    @property
    def invalid(self) -> int:
        return self.counts.invalid

    @property
    def failed(self) -> int:
        return self.counts.failed

    @property
    def not_sent(self) -> int:
        return self.counts.not_sent

    @property
    def ok(self) -> bool:
        """True when every item was accepted."""
        return self.accepted == self.total

    def add(self, chunk: ChunkResult) -> None:
        self.counts.add(chunk.counts)
        self.errors.extend(chunk.errors)
        self.requests += chunk.requests
        self.retries += chunk.retries
        self.skipped += chunk.skipped

    def raise_for_errors(self) -> None:
        """Raise the stopping cause (e.g. `AuthenticationError`), else `BulkError` if not ok."""
        if isinstance(self.stopped_by, NeofinError):
            raise self.stopped_by
        if not self.ok:
            raise BulkError(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able report: counts, timing, the stop cause and every item not accepted."""
        return {
            **self.counts.as_dict(),
            "ok": self.ok,
            "requests": self.requests,
            "retries": self.retries,
            "skipped": self.skipped,
            "elapsed": round(self.elapsed, 3),
            "stopped_by": str(self.stopped_by) if self.stopped_by else None,
            "errors": [error.to_dict() for error in sorted(self.errors, key=lambda e: e.index)],
        }

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.as_dict().items())
        return f"BulkResult({counts}, requests={self.requests}, elapsed={self.elapsed:.2f}s)"
