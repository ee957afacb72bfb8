"""Pull items from any sync or async iterable into chunks of valid, changed items, lazily."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from operator import length_hint
from typing import Any, Generic, TypeVar, cast

import anyio

from .._constants import JOURNAL_WINDOW, MAX_SETTLED
from .._exceptions import InvalidItemError
from ._answer import Sourced
from ._journal import (
    JournalEntry,
    JournalRecord,
    JournalScope,
    JournalStore,
    changed_sources,
    content_hash,
)
from ._result import ItemError, NotSentRange
from ._seen import SeenKeys

T = TypeVar("T")

Prepare = Callable[[Any, int], T]
"""Validate input item number `index`; raise `InvalidItemError` to refuse it."""
KeyOf = Callable[[Any], "str | None"]
"""The upsert key of an item (raw or validated), or None."""

_DRAIN_BATCH = 1024


@dataclass(slots=True)
class Entry(Generic[T]):
    index: int
    key: str | None
    item: T
    content: bytes | None = None
    """Hash of the item as sent (when a journal is kept)."""
    source: bytes | None = None
    previous: JournalEntry | None = None
    """What the journal holds as accepted for this key, when the item changed."""


@dataclass(slots=True)
class Chunk(Generic[T]):
    number: int
    entries: list[Entry[T]] = field(default_factory=list)
    invalid: list[ItemError] = field(default_factory=list)
    unchanged: list[tuple[int, str | None]] = field(default_factory=list)
    resourced: list[JournalRecord] = field(default_factory=list)
    """Unchanged items read from a changed source: their new source digest, to journal."""


class _Source:
    """The input, read in batches: a sync iterable without an async generator per item, an
    async one item by item. A checkpoint per batch keeps the loop responsive, also for an
    async input that never suspends. The input's iterator is the caller's: it is not closed
    here."""

    def __init__(self, items: Iterable[Any] | AsyncIterable[Any]) -> None:
        self._async = aiter(items) if isinstance(items, AsyncIterable) else None
        self._sync = iter(items) if self._async is None else None  # type: ignore[arg-type]

    async def read(self, count: int) -> list[Any]:
        """Up to `count` items; fewer only at the end of the input."""
        if self._sync is not None:
            batch = list(islice(self._sync, count))
        else:
            assert self._async is not None
            batch = []
            for _ in range(count):
                try:
                    batch.append(await anext(self._async))
                except StopAsyncIteration:
                    break
        await anyio.lowlevel.checkpoint()
        return batch


@dataclass
class Journaled:
    """The journal side of a run: where to look keys up, and under which scope."""

    store: JournalStore
    scope: JournalScope
    content: Callable[[Any], bytes]
    """The item as sent, whose hash decides whether it changed."""


class Chunker(Generic[T]):
    """Turns an input stream into chunks of at most `size` valid items.

    Invalid items (and duplicates, with `detect_duplicates`) become `invalid` errors of the
    chunk being filled; they are never sent. With a journal, items whose key was accepted
    before with the same content are counted accepted and unchanged, and not sent. The input
    is read ahead by up to `JOURNAL_WINDOW` items so the journal is asked in one query;
    `drain()` counts what was never pulled."""

    def __init__(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        prepare: Prepare[T],
        *,
        size: int,
        key: KeyOf,
        key_field: str = "key",
        detect_duplicates: bool = False,
        journal: Journaled | None = None,
    ) -> None:
        self._items = _Source(items)
        self._prepare = prepare
        self._key = key
        self._key_field = key_field
        self._size = size
        self._seen = SeenKeys(expected=lambda: length_hint(items)) if detect_duplicates else None
        self._journal = journal
        self._window: deque[tuple[int, Any]] = deque()
        self._known: dict[str, JournalEntry | None] = {}
        self._asked: set[str] = set()
        """The keys `_known` answers for in full: what was accepted for them, or None."""
        self._index = 0
        self._number = 0
        self._filling: Chunk[T] | None = None
        self.exhausted = False

    async def next_chunk(self) -> Chunk[T] | None:
        """The next chunk, or None when the input is exhausted. A chunk holds `size` items to
        send (fewer at the end), or `MAX_SETTLED` items settled without sending (invalid or
        unchanged) and none to send: the items to send met so far wait for the rest of their
        chunk (`take_filling`), so that a run which sends little still reports progress,
        keeps its memory flat, and sends full requests."""
        chunk, self._filling = self._filling or self._new_chunk(), None
        window, entries, size = self._window, chunk.entries, self._size
        while len(entries) < size:
            if not window and not await self._read_ahead():
                break
            if self._journal is None:
                index, raw = window.popleft()
                entry = self._validated(
                    index, raw.load() if isinstance(raw, Sourced) else raw, chunk
                )
                if entry is not None:
                    entries.append(entry)
                    continue  # nothing settled: no need to count
            elif not self._skip_unchanged(chunk):
                index, raw = window.popleft()
                entry = self._candidate(index, raw, chunk)
                if entry is not None:
                    if entry.key is not None and entry.key not in self._asked:
                        await self._ask({entry.key})  # validation changed the key
                    self._place(entry, chunk)
            if len(chunk.unchanged) + len(chunk.invalid) >= MAX_SETTLED:
                if entries:
                    self._filling, chunk = chunk, self._settled_part(chunk)
                break
        return chunk if chunk.entries or chunk.invalid or chunk.unchanged else None

    def take_filling(self) -> Chunk[T] | None:
        """The chunk being filled, if any (items to send met before a run stopped)."""
        chunk, self._filling = self._filling, None
        return chunk

    def _new_chunk(self) -> Chunk[T]:
        self._number += 1
        return Chunk(self._number - 1)

    def _settled_part(self, chunk: Chunk[T]) -> Chunk[T]:
        """A chunk of `chunk`'s settled items alone, which leave it."""
        settled = self._new_chunk()
        settled.invalid, chunk.invalid = chunk.invalid, settled.invalid
        settled.unchanged, chunk.unchanged = chunk.unchanged, settled.unchanged
        settled.resourced, chunk.resourced = chunk.resourced, settled.resourced
        return settled

    async def _read_ahead(self) -> bool:
        """Pull the next chunk's worth of items (a window, with a journal); False at the end."""
        want = JOURNAL_WINDOW if self._journal is not None else self._size
        if not self.exhausted:
            batch = await self._items.read(want)
            self.exhausted = len(batch) < want
            self._window.extend(enumerate(batch, start=self._index))
            self._index += len(batch)
        if self._journal is not None and self._window:
            await self._learn(self._window)
        return bool(self._window)

    async def _learn(self, window: deque[tuple[int, Any]]) -> None:
        """Ask the journal about the window's keys: of `Sourced` items, only those whose
        source digest changed (`_known` holds what was accepted for them, or None); of other
        items, what was accepted."""
        assert self._journal is not None
        self._known, self._asked = {}, set()
        sourced = [raw for _, raw in window if type(raw) is Sourced and raw.key is not None]
        if len(sourced) < len(window):  # items of other kinds
            others = {self._raw_key(raw) for _, raw in window if type(raw) is not Sourced}
            others.discard(None)
            await self._ask(cast(set[str], others))
        if sourced:
            keys = cast(list[str], [s.key for s in sourced])  # None left out above
            digests = [s.digest for s in sourced]
            store, scope = self._journal.store, self._journal.scope
            changed = await changed_sources(store, scope, keys, digests)
            self._known.update(changed)
            self._asked.update(changed)  # the others were accepted as they are: unchanged

    async def _ask(self, keys: set[str]) -> None:
        """Learn from the journal what was accepted for `keys`."""
        assert self._journal is not None
        self._known.update(await self._journal.store.accepted(self._journal.scope, keys))
        self._asked |= keys

    def _raw_key(self, raw: Any) -> str | None:
        if isinstance(raw, Sourced):
            return raw.key
        if isinstance(raw, InvalidItemError):
            return raw.integration_identifier
        key = self._key(raw)
        return key.strip() if key is not None else None

    def _validated(self, index: int, raw: Any, chunk: Chunk[T]) -> Entry[T] | None:
        """The item as an entry, or None after recording why it is refused (invalid, or a
        duplicate key)."""
        try:
            item = self._prepare(raw, index)
        except InvalidItemError as exc:
            errors, message = exc.errors, str(exc)
            chunk.invalid.append(
                ItemError(index, exc.integration_identifier, "invalid", message, errors)
            )
            return None
        key = self._key(item)
        first = self._duplicate_of(key, index) if self._seen is not None else None
        if first is not None:
            message = f"duplicate {self._key_field} {key!r}: the same as item {first}"
            errors = {self._key_field: [message]}
            chunk.invalid.append(ItemError(index, key, "invalid", message, errors, first))
            return None
        return Entry(index, key, item)

    def _skip_unchanged(self, chunk: Chunk[T]) -> bool:
        """Count the window's leading `Sourced` items whose key was accepted before with the
        same source digest (the journal did not name it), and is not a duplicate, as
        unchanged: the nightly re-run's usual item, in one loop. False when the window's
        first item is another kind: it takes the ordinary path (`_candidate`)."""
        window, known, unchanged, seen = self._window, self._known, chunk.unchanged, self._seen
        room = MAX_SETTLED - len(unchanged) - len(chunk.invalid)
        while window and room:
            index, raw = window[0]
            if type(raw) is not Sourced or (key := raw.key) is None or key in known:
                return False
            if seen is not None and seen.first(key, index) != index:
                return False  # a duplicate: `_candidate` refuses it
            window.popleft()
            unchanged.append((index, key))
            room -= 1
        return True

    def _candidate(self, index: int, raw: Any, chunk: Chunk[T]) -> Entry[T] | None:
        """With a journal: the item as an entry with its content hash, or None when it is
        refused, or skipped as unchanged on its source digest (`Sourced`)."""
        assert self._journal is not None
        source = None
        if isinstance(raw, Sourced):
            source = raw.digest
            known = self._known.get(raw.key) if raw.key is not None else None
            duplicate = self._duplicate_of(raw.key, index)
            if known is not None and known.source == source and duplicate is None:
                chunk.unchanged.append((index, raw.key))
                return None
            raw = raw.load()
        entry = self._validated(index, raw, chunk)
        if entry is not None:
            entry.source = source
            if entry.key is not None:
                entry.content = content_hash(self._journal.content(entry.item))
        return entry

    def _place(self, entry: Entry[T], chunk: Chunk[T]) -> None:
        """Skip an entry whose key was accepted before with the same content, else send it."""
        known = self._known.get(entry.key) if entry.key is not None else None
        if known is not None and known.content == entry.content:
            chunk.unchanged.append((entry.index, entry.key))
            if entry.source is not None and entry.source != known.source:
                assert entry.key is not None  # so that the next run skips it on its digest
                chunk.resourced.append(
                    JournalRecord(entry.key, "accepted", entry.content, entry.source)
                )
            return
        entry.previous = known
        chunk.entries.append(entry)

    def _duplicate_of(self, key: str | None, index: int) -> int | None:
        """The index of the first item with `key`, if it is not `index` (duplicates only)."""
        if self._seen is None or key is None:
            return None
        first = self._seen.first(key, index)
        return None if first == index else first

    async def drain(self, reason: str, limit: int | None) -> tuple[list[NotSentRange], bool]:
        """Count what was not pulled yet, as ranges of input indexes; read at most `limit`
        more items. Returns the ranges and whether input was left unread."""
        start = self._window[0][0] if self._window else self._index
        self._window.clear()
        read = 0
        unread = False
        while not self.exhausted:
            want = _DRAIN_BATCH if limit is None else min(_DRAIN_BATCH, limit - read)
            if want <= 0:
                unread = True
                break
            count = len(await self._items.read(want))
            self._index += count
            read += count
            self.exhausted = count < want
        ranges = [NotSentRange(start, self._index, reason)] if self._index > start else []
        return ranges, unread
