"""Splitting a file into shards: line-aligned byte ranges of about equal size.

A cut is made at the first line start after each `size / N` mark. In a CSV file a line
start inside a quoted cell (a cell holding a line break) is not a record start: a cut is
made only where the quotes seen so far pair up (RFC 4180, as Python's `csv` and Excel
write; a bare `"` inside an unquoted cell can only make a cut move later, or shards fewer).
The file is read once, up to the last cut, counting lines so that every shard knows the
line numbers of its records.
"""

from __future__ import annotations

import codecs
import os
from typing import Any

from .._exceptions import ConfigurationError
from ..exports import ReadOptions, ReadSettings, Records, check_mapping, fields_of, format_of
from ._providers import provider
from ._spec import FileRange, ShardSpec

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def split_file(path: str, shards: int, read: ReadSettings | None = None) -> list[FileRange]:
    """At most `shards` ranges covering every record of the file at `path` once (fewer when
    the file has fewer lines). The path is made absolute: workers must see the same one."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    read = read or ReadSettings()
    path = os.path.abspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        first = file.readline()
        _refuse_wide(path, first, read.encoding)
        text = first.removeprefix(codecs.BOM_UTF8).decode(read.encoding, errors="replace")
        read = read.model_copy(update={"format": format_of(path, text, read.format)})
        head, line, quotes = 0, 1, 0
        if read.format == "csv":  # the header (and an Excel `sep=` line) go to every shard
            head, line, quotes = len(first), 2, first.count(b'"')
            if text.strip().lower().startswith("sep="):
                first = file.readline()
                head, line, quotes = head + len(first), 3, quotes + first.count(b'"')
            while quotes % 2 and (more := file.readline()):  # a header cell with a line break
                head, line, quotes = head + len(more), line + 1, quotes + more.count(b'"')
        file.seek(head)
        cuts = [(head, line), *_cuts(file, head, line, size, shards, csv=read.format == "csv")]
    ends = [*(start for start, _ in cuts[1:]), size]
    return [
        FileRange(
            path=path, start=start, end=end, head=head, first_line=first_line, size=size, read=read
        )
        for (start, first_line), end in zip(cuts, ends, strict=True)
    ]


def _cuts(
    file: Any, head: int, line: int, size: int, shards: int, *, csv: bool
) -> list[tuple[int, int]]:
    """`(byte offset, line number)` of the record starts where shards 2..N begin."""
    marks = [mark for n in range(1, shards) if (mark := head + (size - head) * n // shards) > head]
    cuts: list[tuple[int, int]] = []
    position, odd = head, False
    for raw in file:
        if not marks:
            break
        if not odd and position >= marks[0]:
            cuts.append((position, line))
            marks = [mark for mark in marks if mark > position]
        position += len(raw)
        line += 1
        if csv and raw.count(b'"') % 2:
            odd = not odd
    return cuts


def plan_file(
    path: str, shards: int, *, read: ReadSettings | None = None, **spec: Any
) -> list[ShardSpec]:
    """The specs of the shards of a file: `spec` holds the other `ShardSpec` fields
    (`resource`, `provider`, `target`, `journal`, `tenant`, `tenant_limit`, `options`).

    The header is read here, so that an unknown column, a bad mapping or an unknown encoding
    is refused before any shard is sent."""
    read = read or ReadSettings()
    base = ShardSpec.model_validate({**spec, "input": {"rows": []}})
    provider(base.provider, base.resource)
    fields = fields_of(base.resource, base.provider)
    check_mapping(read.columns, fields)
    Records(ReadOptions(path=path, **read.model_dump()), fields).close()
    return [
        base.model_copy(update={"input": part, "shard": number})
        for number, part in enumerate(split_file(path, shards, read))
    ]


def _refuse_wide(path: str, first: bytes, encoding: str) -> None:
    """UTF-16 and UTF-32 files are not cut by lines of bytes: refused, with what to do."""
    try:
        wide = first.startswith(_WIDE_BOMS) or "\n".encode(encoding) != b"\n"
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    if wide:
        raise ConfigurationError(
            f"{path}: a UTF-16 or UTF-32 file cannot be cut into shards; convert it to UTF-8 "
            "first (e.g. iconv -f UTF-16 -t UTF-8)"
        )
