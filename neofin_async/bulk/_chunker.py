"""Pull items from any sync or async iterable into chunks of valid items, lazily."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .._exceptions import InvalidItemError
from ..models._base import identifier_of
from ._result import ItemError

T = TypeVar("T")

Prepare = Callable[[Any, int], T]
"""Validate input item number `index`; raise `InvalidItemError` to refuse it."""


@dataclass(slots=True)
class Entry(Generic[T]):
    index: int
    identifier: str | None
    item: T


@dataclass(slots=True)
class Chunk(Generic[T]):
    number: int
    entries: list[Entry[T]] = field(default_factory=list)
    invalid: list[ItemError] = field(default_factory=list)
    skipped: list[tuple[int, str | None]] = field(default_factory=list)


async def aiterate(items: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


class Chunker(Generic[T]):
    """Turns an input stream into chunks of at most `size` valid items.

    Invalid items (and duplicates, if `detect_duplicates`) become `invalid` errors of the chunk
    being filled; they are never sent. Items for which `skip(index, identifier)` is true (already
    accepted by an earlier run) are counted as accepted without being validated or sent.
    `remaining()` drains what was not pulled yet."""

    def __init__(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        prepare: Prepare[T],
        *,
        size: int,
        detect_duplicates: bool = False,
        skip: Callable[[int, str | None], bool] | None = None,
    ) -> None:
        self._items = aiterate(items)
        self._prepare = prepare
        self._skip = skip
        self._size = size
        self._seen: dict[str, int] | None = {} if detect_duplicates else None
        self._index = 0
        self._number = 0
        self.exhausted = False

    async def next_chunk(self) -> Chunk[T] | None:
        """The next chunk, or None when the input is exhausted."""
        if self.exhausted:
            return None
        chunk: Chunk[T] = Chunk(self._number)
        self._number += 1
        async for raw in self._items:
            index = self._index
            self._index += 1
            if self._skip is not None and self._skip(index, identifier_of(raw)):
                chunk.skipped.append((index, identifier_of(raw)))
                continue
            try:
                item = self._prepare(raw, index)
            except InvalidItemError as exc:
                chunk.invalid.append(
                    ItemError(index, exc.integration_identifier, "invalid", str(exc), exc.errors)
                )
                continue
            identifier = identifier_of(item)
            if self._is_duplicate(identifier, index, chunk):
                continue
            chunk.entries.append(Entry(index, identifier, item))
            if len(chunk.entries) >= self._size:
                return chunk
        self.exhausted = True
        return chunk if chunk.entries or chunk.invalid or chunk.skipped else None

    def _is_duplicate(self, identifier: str | None, index: int, chunk: Chunk[T]) -> bool:
        if self._seen is None or identifier is None:
            return False
        first = self._seen.setdefault(identifier, index)
        if first == index:
            return False
        message = f"duplicate integration_identifier {identifier!r} (first at index {first})"
        errors = {"integration_identifier": [message]}
        chunk.invalid.append(ItemError(index, identifier, "invalid", message, errors))
        return True

    async def remaining(self) -> AsyncIterator[Entry[None]]:
        """Drain the input without validating it: index and identifier of each unpulled item."""
        async for raw in self._items:
            yield Entry(self._index, identifier_of(raw), None)
            self._index += 1
        self.exhausted = True

    async def aclose(self) -> None:
        await self._items.aclose()  # type: ignore[attr-defined]
