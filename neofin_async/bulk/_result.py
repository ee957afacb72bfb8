"""Outcome types: every item ends in exactly one state, and the counts add up to `total`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, Literal, overload

from .._exceptions import NeofinError

ItemState = Literal["accepted", "rejected", "invalid", "failed", "not_sent"]
STATES: tuple[ItemState, ...] = ("accepted", "rejected", "invalid", "failed", "not_sent")


@dataclass(frozen=True, slots=True)
class ItemError:
    """An item that was not accepted: its input `index`, key, state and why."""

    index: int
    integration_identifier: str | None
    """The item's key: `integration_identifier` for Neofin, the provider's key otherwise."""
    status: ItemState
    message: str
    """The field messages joined (`"amount: must be > 0"`), or the exception text."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Field -> messages, for rejected and invalid items."""
    duplicate_of: int | None = None
    """For a refused duplicate: the input index of the item with the same key."""

    @property
    def key(self) -> str | None:
        """The item's key, whatever the provider calls it."""
        return self.integration_identifier

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields (`duplicate_of` only when set)."""
        data = dataclasses.asdict(self)
        if self.duplicate_of is None:
            del data["duplicate_of"]
        return data


@dataclass(frozen=True, slots=True)
class NotSentRange:
    """Input items `start` to `stop - 1`, read after the run stopped and never sent."""

    start: int
    stop: int
    reason: str

    def __len__(self) -> int:
        return self.stop - self.start

    def errors(self) -> Iterator[ItemError]:
        """One `ItemError` per item of the range."""
        for index in range(self.start, self.stop):
            yield ItemError(index, None, "not_sent", self.reason)


class ItemErrors(Sequence[ItemError]):
    """Every item not accepted: explicit errors, then the items of the not-sent ranges,
    expanded only when iterated (a stopped run over a long input stays small)."""

    __slots__ = ("explicit", "ranges")

    def __init__(self) -> None:
        self.explicit: list[ItemError] = []
        self.ranges: list[NotSentRange] = []

    def __len__(self) -> int:
        return len(self.explicit) + sum(len(r) for r in self.ranges)

    def __iter__(self) -> Iterator[ItemError]:
        return chain(self.explicit, *(r.errors() for r in self.ranges))

    @overload
    def __getitem__(self, position: int) -> ItemError: ...
    @overload
    def __getitem__(self, position: slice) -> list[ItemError]: ...
    def __getitem__(self, position: int | slice) -> ItemError | list[ItemError]:
        if isinstance(position, slice):
            start, stop, step = position.indices(len(self))
            return list(islice(self, start, stop, step)) if step > 0 else list(self)[position]
        size = len(self)
        index = position + size if position < 0 else position
        if not 0 <= index < size:
            raise IndexError("ItemErrors index out of range")
        if index < len(self.explicit):
            return self.explicit[index]
        index -= len(self.explicit)
        for not_sent in self.ranges:
            if index < len(not_sent):
                return ItemError(not_sent.start + index, None, "not_sent", not_sent.reason)
            index -= len(not_sent)
        raise AssertionError("unreachable")  # pragma: no cover

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"ItemErrors({len(self.explicit)} errors, {len(self.ranges)} not-sent ranges)"


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
        """Every item counted, whatever its state."""
        return self.accepted + self.rejected + self.invalid + self.failed + self.not_sent

    def add(self, other: Counts) -> None:
        """Add `other`'s counts to these."""
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.invalid += other.invalid
        self.failed += other.failed
        self.not_sent += other.not_sent

    def as_dict(self) -> dict[str, int]:
        """`{state: count, ..., "total": n}`."""
        return {state: getattr(self, state) for state in STATES} | {"total": self.total}


@dataclass(slots=True)
class ChunkResult:
    """What happened to one chunk of items (yielded by `stream_upsert`).

    `accepted` lists `(index, key)` of the chunk's accepted items; `errors` every other item
    of the chunk (including invalid items met while filling it); `not_sent` ranges the
    items read after the run stopped."""

    chunk: int
    accepted: list[tuple[int, str | None]] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    unchanged: int = 0
    """Of `accepted`, how many were accepted before with the same content (journal) and not
    sent again."""
    request_id: str | None = None
    """The request id of the chunk's last answer, when the API sent one."""
    not_sent: list[NotSentRange] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Former name of `unchanged`."""
        return self.unchanged

    @property
    def counts(self) -> Counts:
        """The chunk's items per state."""
        counts = Counts(accepted=len(self.accepted))
        for error in self.errors:
            setattr(counts, error.status, getattr(counts, error.status) + 1)
        counts.not_sent += sum(len(r) for r in self.not_sent)
        return counts


@dataclass(frozen=True, slots=True)
class Progress:
    """Passed to `on_progress` after every chunk."""

    counts: Counts
    requests: int
    retries: int
    elapsed: float
    unchanged: int = 0

    @property
    def done(self) -> int:
        """Items with a final state so far."""
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
    errors: ItemErrors = field(default_factory=ItemErrors)
    requests: int = 0
    retries: int = 0
    unchanged: int = 0
    """Accepted items that a journal showed were accepted before with the same content:
    counted as accepted, not sent again."""
    elapsed: float = 0.0
    stopped_by: BaseException | None = None
    """Why the run stopped early: an `AuthenticationError`, `TimeoutError` for a deadline,
    an `APIConnectionError` when the API could not be reached, or the reason given to
    `BulkStream.stop()`."""
    input_unread: bool = False
    """True when a stopped run gave up reading the rest of its input (`drain_limit`): the
    counts then cover only the items read."""
    request_ids: list[str] = field(default_factory=list)
    """The request id of each chunk's last answer, in the order the answers came."""

    @property
    def total(self) -> int:
        """Every item read from the input."""
        return self.counts.total

    @property
    def accepted(self) -> int:
        """Items the API accepted (202 and not named by its `errors`), unchanged ones included."""
        return self.counts.accepted

    @property
    def rejected(self) -> int:
        """Items the API refused, naming them."""
        return self.counts.rejected

    @property
    def invalid(self) -> int:
        """Items refused by client-side validation; never sent."""
        return self.counts.invalid

    @property
    def failed(self) -> int:
        """Items whose request failed after the retries, or whose outcome is unknown."""
        return self.counts.failed

    @property
    def not_sent(self) -> int:
        """Items never sent because the run stopped first."""
        return self.counts.not_sent

    @property
    def skipped(self) -> int:
        """Former name of `unchanged`."""
        return self.unchanged

    @property
    def ok(self) -> bool:
        """True when every item was accepted."""
        return self.accepted == self.total

    def add(self, chunk: ChunkResult) -> None:
        """Fold one chunk's result into the total."""
        self.counts.add(chunk.counts)
        self.errors.explicit.extend(chunk.errors)
        self.errors.ranges.extend(chunk.not_sent)
        self.requests += chunk.requests
        self.retries += chunk.retries
        self.unchanged += chunk.unchanged
        if chunk.request_id is not None:
            self.request_ids.append(chunk.request_id)

    def raise_for_errors(self) -> None:
        """Raise the stopping cause (e.g. `AuthenticationError`), else `BulkError` if not ok."""
        if isinstance(self.stopped_by, NeofinError):
            raise self.stopped_by
        if not self.ok:
            raise BulkError(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able report: counts, timing, the stop cause, every item not accepted
        (`errors`), and the items read after a stop as ranges (`not_sent_ranges`)."""
        return {
            **self.counts.as_dict(),
            "ok": self.ok,
            "unchanged": self.unchanged,
            "requests": self.requests,
            "retries": self.retries,
            "elapsed": round(self.elapsed, 3),
            "stopped_by": str(self.stopped_by) if self.stopped_by else None,
            "input_unread": self.input_unread,
            "errors": [e.to_dict() for e in sorted(self.errors.explicit, key=lambda e: e.index)],
            "not_sent_ranges": [dataclasses.asdict(r) for r in self.errors.ranges],
        }

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.as_dict().items())
        return f"BulkResult({counts}, requests={self.requests}, elapsed={self.elapsed:.2f}s)"
