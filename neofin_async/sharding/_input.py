"""A shard's items: its byte range of a file, read by the CLI's `Records`, or inline rows.

`Records` reads a path, so the range (after the file's header) is copied to a temporary
file, unlinked as soon as it is open. Once `Records` takes an open binary file, the copy
goes away and `_RangeReader` is handed to it directly.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread

from .._exceptions import ConfigurationError
from ..cli._files import Records
from ._spec import FileRange, InlineRows, ShardInput

LineOf = Callable[[int], "int | None"]
"""The input line of a shard's item `index` (None for inline rows)."""

_BLOCK = 1 << 20


@asynccontextmanager
async def shard_items(part: ShardInput) -> AsyncIterator[tuple[Iterable[Any], LineOf]]:
    """The items of a shard, and where each one is in the file."""
    if isinstance(part, InlineRows):
        yield part.rows, lambda index: None
        return
    records, line_of = await anyio.to_thread.run_sync(_open_range, part)
    try:
        yield _Located(records, part, line_of), line_of
    finally:
        records.close()


def _open_range(part: FileRange) -> tuple[Records, LineOf]:
    """`Records` over the file's header and the shard's range."""
    try:
        size = os.path.getsize(part.path)
    except OSError as exc:
        raise ConfigurationError(f"shard input {part.path}: {exc.strerror}") from None
    if size != part.size:
        raise ConfigurationError(
            f"shard input {part.path} is {size} bytes, {part.size} when it was planned: "
            "the file changed, plan the shards again"
        )
    suffix = os.path.splitext(part.path)[1]
    descriptor, name = tempfile.mkstemp(prefix="neofin-shard-", suffix=suffix)
    try:
        with os.fdopen(descriptor, "wb") as copy, open(part.path, "rb") as source:
            shutil.copyfileobj(_RangeReader(source, part), copy, _BLOCK)
        read = part.read
        records = Records(
            name, format=read.format, amount_unit=read.amount_unit, encoding=read.encoding
        )
        records.name = part.path
    except ValueError as exc:  # e.g. a JSON array: name the file, not the copy
        raise ValueError(str(exc).replace(name, part.path)) from None
    finally:
        os.unlink(name)  # Records holds it open; nothing is left behind if we die
    head_lines = _lines_in_head(part)

    def line_of(index: int) -> int | None:
        line = records.line_of(index)
        return None if line is None else line - head_lines + part.first_line - 1

    return records, line_of


class _Located:
    """A shard's records; a CSV error names the file's own line, not the copy's."""

    def __init__(self, records: Records, part: FileRange, line_of: LineOf) -> None:
        self._records = records
        self._part = part
        self._line_of = line_of

    def __iter__(self) -> Iterator[Any]:
        return iter(self._records)

    async def __aiter__(self) -> AsyncIterator[Any]:
        try:
            async for record in self._records:
                yield record
        except ValueError as exc:
            if not isinstance(exc.__context__, csv.Error):
                raise
            count = len(self._records.lines)
            line = self._line_of(count - 1) if count else self._part.first_line
            message = f"{self._part.path}: CSV error after line {line}: {exc.__context__}"
            raise ValueError(message) from None


class _RangeReader:
    """The bytes a shard reads: the file's first `head` bytes, then `start` to `end`."""

    def __init__(self, file: Any, part: FileRange) -> None:
        self._file = file
        self._spans = [(0, part.head), (part.start, part.end)]

    def read(self, size: int = -1) -> bytes:
        while self._spans:
            start, end = self._spans[0]
            if start >= end:
                self._spans.pop(0)
                continue
            count = end - start if size < 0 else min(size, end - start)
            self._file.seek(start)
            data: bytes = self._file.read(count)
            if not data:
                raise ConfigurationError("the shard's input file ended before its range did")
            self._spans[0] = (start + len(data), end)
            return data
        return b""


def _lines_in_head(part: FileRange) -> int:
    if not part.head:
        return 0
    with open(part.path, "rb") as file:
        return file.read(part.head).count(b"\n")
