"""A shard's items: its byte range of a file, read by `exports.Records`, or inline rows.

A range is read in place: the file's header, then the range, through one buffered reader
(no copy), numbered with the file's own lines. Records come as `Sourced` items, so with a
journal an unchanged row is skipped without being parsed.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread

from .._exceptions import ConfigurationError
from ..exports import Fields, ReadOptions, Records
from ._spec import FileRange, InlineRows, ShardInput

_BUFFER = 1 << 16
LineOf = Callable[[int], "int | None"]
"""The input line of a shard's item `index` (None for inline rows)."""


class ShardItems:
    """What a shard sends: its items, where each one is in the file, and the columns
    `ignore_unknown_columns` dropped."""

    def __init__(self, items: Iterable[Any] | AsyncIterator[Any], records: Records | None) -> None:
        self.items = items
        self._records = records

    def line_of(self, index: int) -> int | None:
        return self._records.line_of(index) if self._records is not None else None

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        return self._records.ignored_columns if self._records is not None else ()


@asynccontextmanager
async def shard_items(
    part: ShardInput, fields: Fields, *, digests: bool = False
) -> AsyncIterator[ShardItems]:
    """The items of a shard: inline rows as they are, a file range as `Sourced` records
    (with `digests` for a journal to compare)."""
    if isinstance(part, InlineRows):
        yield ShardItems(part.rows, None)
        return
    stream = await anyio.to_thread.run_sync(open_range, part)
    try:
        options = ReadOptions(path=part.path, **part.read.model_dump())
        records = await anyio.to_thread.run_sync(
            lambda: Records(options, fields, file=stream, first_line=part.first_line)
        )
        try:
            yield ShardItems(records.asourced(digests=digests), records)
        finally:
            records.close()
    finally:
        stream.close()


def open_range(part: FileRange) -> io.BufferedReader:
    """The file's header and the shard's range as one binary stream, read in place."""
    try:
        size = os.path.getsize(part.path)
    except OSError as exc:
        raise ConfigurationError(f"shard input {part.path}: {exc.strerror}") from None
    if size != part.size:
        raise ConfigurationError(
            f"shard input {part.path} is {size} bytes, {part.size} when it was planned: "
            "the file changed, plan the shards again"
        )
    raw = open(part.path, "rb", buffering=0)  # noqa: SIM115 (closed with the stream)
    return io.BufferedReader(_Range(raw, part), _BUFFER)


class _Range(io.RawIOBase):
    """The bytes a shard reads: the file's first `head` bytes, then `start` to `end`."""

    def __init__(self, file: io.FileIO, part: FileRange) -> None:
        super().__init__()
        self._file = file
        self._spans = [(0, part.head), (part.start, part.end)]
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._spans:
            start, end = self._spans[0]
            if start >= end:
                self._spans.pop(0)
                continue
            if self._at != start:
                self._file.seek(start)
            count = self._file.readinto(view[: min(len(view), end - start)]) or 0
            if not count:
                raise ConfigurationError("the shard's input file ended before its range did")
            self._spans[0] = (start + count, end)
            self._at = start + count
            return count
        return 0

    def close(self) -> None:
        self._file.close()
        super().close()
