"""What a shard returns, and the report of a whole sharded run folded from those.

Both are JSON-able (a queue carries them). A shard counts every item of its range in
exactly one state and lists at most `max_errors` of those not accepted; the fold adds the
counts up in plan order, so its record indexes are those a single run of the whole file
would give (shards read to the end of their range, never stopping uncounted).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from itertools import chain, islice
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from .._exceptions import AuthenticationError
from ..bulk import BulkResult, Counts, ItemError, ItemState
from ._input import LineOf
from ._spec import ShardSpec


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotAccepted(_Model):
    """One item that was not accepted, and why."""

    index: int | None
    """In a shard: its position in the shard. In a report: its position in the whole input
    (None when an earlier shard is missing)."""
    line: int | None
    key: str | None
    state: ItemState
    reason: str
    errors: dict[str, list[str]] = Field(default_factory=dict)
    shard: int = 0
    duplicate_of: int | None = None
    """For a refused duplicate: the index of the first item with its key (as `index`)."""
    duplicate_of_line: int | None = None


class _Counted(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # `total` and `ok` come back

    accepted: int = 0
    rejected: int = 0
    invalid: int = 0
    failed: int = 0
    not_sent: int = 0
    unchanged: int = 0
    requests: int = 0
    retries: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.invalid + self.failed + self.not_sent

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return self.accepted == self.total

    def counts(self) -> Counts:
        return Counts(self.accepted, self.rejected, self.invalid, self.failed, self.not_sent)


class ShardResult(_Counted):
    """One shard's outcome: every item of it counted, the first `max_errors` not accepted
    listed (`errors_omitted` more were not)."""

    shard: int
    elapsed: float
    stopped_by: str | None = None
    errors: list[NotAccepted] = Field(default_factory=list)
    errors_omitted: int = 0
    worker: str = ""
    """`host:pid` of the process that ran it."""
    keys_refused: bool = False
    """Whether it stopped because the API refused the worker's keys (401/403)."""
    ignored_columns: list[str] = Field(default_factory=list)
    """Columns (or JSON keys) dropped by `ignore_unknown_columns`."""

    @classmethod
    def of(
        cls,
        spec: ShardSpec,
        result: BulkResult,
        line_of: LineOf,
        ignored_columns: Iterable[str] = (),
    ) -> ShardResult:
        explicit = sorted(result.errors.explicit, key=lambda e: e.index)
        ranges = chain.from_iterable(r.errors() for r in result.errors.ranges)
        listed = [
            _not_accepted(error, line_of, spec.shard)
            for error in islice(chain(explicit, ranges), spec.max_errors)
        ]
        return cls(
            shard=spec.shard,
            accepted=result.accepted,
            rejected=result.rejected,
            invalid=result.invalid,
            failed=result.failed,
            not_sent=result.not_sent,
            unchanged=result.unchanged,
            requests=result.requests,
            retries=result.retries,
            elapsed=round(result.elapsed, 3),
            stopped_by=str(result.stopped_by) if result.stopped_by is not None else None,
            errors=listed,
            errors_omitted=len(result.errors) - len(listed),
            worker=f"{socket.gethostname()}:{os.getpid()}",
            keys_refused=isinstance(result.stopped_by, AuthenticationError),
            ignored_columns=list(ignored_columns),
        )


def _not_accepted(error: ItemError, line_of: LineOf, shard: int) -> NotAccepted:
    reason, errors, first = error.message, error.errors, None
    if error.duplicate_of is not None:  # name the line of the first, not its shard index
        field = next(iter(errors), "key")
        first = line_of(error.duplicate_of)
        where = f"line {first}" if first is not None else f"item {error.duplicate_of}"
        reason = f"duplicate {field} {error.key!r}: the same as {where}"
    return NotAccepted(
        index=error.index,
        line=line_of(error.index),
        key=error.key,
        state=error.status,
        reason=reason,
        errors=errors,
        shard=shard,
        duplicate_of=error.duplicate_of,
        duplicate_of_line=first,
    )


class ShardRun(_Model):
    """Which worker gave a shard's result, and how long it took."""

    shard: int
    worker: str
    total: int
    requests: int
    elapsed: float


class ShardReport(_Counted):
    """A sharded run: the counts of every shard added up, the items not accepted (in input
    order), the shards that stopped early and any whose result is missing."""

    shards: int
    elapsed: float
    """The longest shard's time (the run's own time is the caller's to measure)."""
    errors: list[NotAccepted] = Field(default_factory=list)
    errors_omitted: int = 0
    stopped: dict[int, str] = Field(default_factory=dict)
    """Shard -> why it stopped early (its remaining items are counted not_sent)."""
    missing: list[int] = Field(default_factory=list)
    """Shards with no result: their items are not in the counts."""
    runs: list[ShardRun] = Field(default_factory=list)
    keys_refused: list[int] = Field(default_factory=list)
    """Shards stopped because the API refused their worker's keys."""
    ignored_columns: list[str] = Field(default_factory=list)
    """Columns dropped by `ignore_unknown_columns` in any shard, each once."""

    def to_bulk_result(self) -> BulkResult:
        """The counts as a `BulkResult` (for the CLI's summary table); its `errors` are the
        listed items, by input index."""
        result = BulkResult(
            counts=self.counts(),
            requests=self.requests,
            retries=self.retries,
            unchanged=self.unchanged,
            elapsed=self.elapsed,
        )
        result.errors.explicit.extend(
            ItemError(
                e.index if e.index is not None else -1,
                e.key,
                e.state,
                e.reason,
                e.errors,
                e.duplicate_of,
            )
            for e in self.errors
        )
        if self.stopped or self.missing:
            result.stopped_by = ShardsIncomplete(self)
        return result

    def line_of(self, index: int) -> int | None:
        """The input line of item `index` (for the items listed in `errors`)."""
        return next((e.line for e in self.errors if e.index == index), None)


class ShardsIncomplete(Exception):
    """Some shard stopped early, or gave no result."""

    def __init__(self, report: ShardReport) -> None:
        parts = [f"shard {n}: {why}" for n, why in sorted(report.stopped.items())]
        if report.missing:
            parts.append(f"no result from shard(s) {', '.join(map(str, report.missing))}")
        super().__init__("; ".join(parts))


def _in_input(error: NotAccepted, offset: int | None) -> NotAccepted:
    """A shard's item named by its index in the whole input (None: unknown, a shard before
    it is missing), the first of a duplicate too, as a single run names them."""
    if offset is None:
        return error.model_copy(update={"index": None, "duplicate_of": None})
    update: dict[str, Any] = {"index": offset + (error.index or 0)}
    if error.duplicate_of is not None:
        first = offset + error.duplicate_of
        field = next(iter(error.errors), "key")
        update["duplicate_of"] = first
        update["errors"] = {field: [f"duplicate {field} {error.key!r}: the same as item {first}"]}
    return error.model_copy(update=update)


def fold(results: Iterable[ShardResult | Mapping[str, Any]], shards: int) -> ShardReport:
    """One report from the results of the `shards` shards of a plan (in any order; a shard
    given twice counts once)."""
    by_shard: dict[int, ShardResult] = {}
    for item in results:
        result = item if isinstance(item, ShardResult) else ShardResult.model_validate(item)
        by_shard.setdefault(result.shard, result)
    totals: dict[str, int] = dict.fromkeys(_Counted.model_fields, 0)
    errors: list[NotAccepted] = []
    offset: int | None = 0
    for number in range(shards):
        if number not in by_shard:
            offset = None
            continue
        result = by_shard[number]
        for name in totals:
            totals[name] += getattr(result, name)
        errors += [_in_input(error, offset) for error in result.errors]
        if offset is not None:
            offset += result.total
    present = by_shard.values()
    return ShardReport(
        **totals,
        shards=shards,
        elapsed=max((r.elapsed for r in present), default=0.0),
        errors=errors,
        errors_omitted=sum(r.errors_omitted for r in present),
        stopped={r.shard: r.stopped_by for r in present if r.stopped_by is not None},
        missing=[n for n in range(shards) if n not in by_shard],
        runs=[
            ShardRun(
                shard=n, worker=r.worker, total=r.total, requests=r.requests, elapsed=r.elapsed
            )
            for n, r in sorted(by_shard.items())
        ],
        keys_refused=sorted(r.shard for r in present if r.keys_refused),
        ignored_columns=list(
            dict.fromkeys(c for _, r in sorted(by_shard.items()) for c in r.ignored_columns)
        ),
    )
