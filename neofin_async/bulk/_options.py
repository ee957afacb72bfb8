"""`BulkOptions`: every setting of a bulk run, in one place."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from .._constants import DEFAULT_CONCURRENCY, DEFAULT_DRAIN_LIMIT, DEFAULT_MAX_CONNECTION_FAILURES
from ..models import ExtraFields

if TYPE_CHECKING:
    from ._engine import ChunkRetry
    from ._journal import JournalStore
    from ._result import Progress


@dataclass(frozen=True, kw_only=True)
class BulkOptions:
    """How a bulk run goes. Pass one to `bulk_upsert(items, options)`, or the same names as
    keywords (`bulk_upsert(items, concurrency=16)`); keywords override the object's values."""

    concurrency: int = DEFAULT_CONCURRENCY
    """Requests (chunks) in flight."""
    chunk_size: int | None = None
    """Items per request; default and maximum: the provider's (Neofin 50, ChargeOver 25)."""
    deadline: float | None = None
    """Seconds after which no new chunk starts; the rest is `not_sent`."""
    detect_duplicates: bool = False
    """Refuse (`invalid`) an item whose key was already seen in this run. Memory: about
    24 bytes per distinct key (a table of 64-bit hashes, not of the keys)."""
    on_progress: Callable[[Progress], None] | None = None
    """Called after every chunk with a snapshot of the counts."""
    on_retry: Callable[[ChunkRetry], None] | None = None
    """Called before a chunk's request is retried."""
    journal: JournalStore | str | os.PathLike[str] | None = None
    """Where outcomes are remembered across runs: a SQLite path, a `postgresql://` DSN, or a
    `JournalStore`. An item is then sent only if its key was not accepted before with the
    same content. A journal the run opens, it also closes."""
    tenant: str | None = None
    """Whose items these are, in a journal shared by several accounts (default: the
    client's account)."""
    max_connection_failures: int | None = DEFAULT_MAX_CONNECTION_FAILURES
    """Stop the run after this many chunks in a row failed without reaching the API
    (connection errors, every attempt timing out); None: never."""
    drain_limit: int | None = DEFAULT_DRAIN_LIMIT
    """After a stop, at most this many more input items are read to be counted `not_sent`
    (None: read to the end); beyond it `BulkResult.input_unread` is set."""
    extra_fields: ExtraFields = None
    """Fields the input model does not know, let through unchanged: names (added to the
    client's `extra_fields`), or `"allow"` for any."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {self.chunk_size}")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be a positive number of seconds")
        for name in ("max_connection_failures", "drain_limit"):
            value = getattr(self, name)
            if value is not None and value < (1 if name == "max_connection_failures" else 0):
                raise ValueError(f"{name} must be positive, got {value}")

    def replace(self, **changes: object) -> BulkOptions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


class BulkChanges(TypedDict, total=False):
    """The fields of `BulkOptions`, as keywords of `bulk_upsert` and `stream_upsert`."""

    concurrency: int
    chunk_size: int | None
    deadline: float | None
    detect_duplicates: bool
    on_progress: Callable[[Progress], None] | None
    on_retry: Callable[[ChunkRetry], None] | None
    journal: JournalStore | str | os.PathLike[str] | None
    tenant: str | None
    max_connection_failures: int | None
    drain_limit: int | None
    extra_fields: ExtraFields
