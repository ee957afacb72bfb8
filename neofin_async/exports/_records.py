"""Reading input records from CSV or JSON Lines (and writing them, for `sample`).

Each record becomes a dict named like the API fields (through the column mapping), or an
`InvalidItemError` when it cannot be read (the bulk engine counts it invalid and never sends
it). `Records.lines[i]` is the input line on which record `i` starts.

For the journal, `Records.sourced()` yields each record as a `Sourced`: its key and a digest of
its raw bytes and of every reading option, read without parsing the record, which is parsed
only if `load()` is called. Equal digests mean equal records, so a nightly re-run can skip an
unchanged row without parsing or validating it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import stat
import sys
from array import array
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import islice
from typing import IO, Any, TypeVar

import anyio.to_thread

from .._constants import MAX_REQUEST_BYTES
from .._exceptions import InvalidItemError
from ..bulk import Sourced
from ._columns import Layout, converters, field_named, normalize, resolve
from ._fields import Fields
from ._options import Format, ReadOptions

FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DELIMITERS = ",;\t|"
READER_VERSION = 1
"""Part of every digest: bump it when a change here reads the same bytes differently."""
_BATCH = 256
_T = TypeVar("_T")


def format_of(path: str, first_line: str, forced: Format | None) -> Format:
    """`--format`, else the file extension, else the content (`{` starts a JSON Lines file)."""
    if forced:
        return forced
    extension = os.path.splitext(path)[1].lower()
    if path != "-" and extension in FORMATS:
        return FORMATS[extension]
    return "jsonl" if first_line.lstrip().startswith("{") else "csv"


Row = tuple[int, bytes, "str | None", "list[str] | None", bool]
"""(first line, raw bytes without the line end, text of a one-line record or None, cells
parsed by `csv` or None, whether a line did not decode)."""


class Records:
    """The records of one input file (`-` = stdin), read lazily, line by line.

    Lines are decoded one at a time with the encoding; a record with a line that does not
    decode is an invalid item (the others are still sent). The CSV header is read (and an
    unknown column refused) when the object is made, before anything is sent."""

    def __init__(
        self,
        options: ReadOptions,
        fields: Fields,
        *,
        file: IO[bytes] | None = None,
        name: str | None = None,
        first_line: int | None = None,
    ) -> None:
        """Read `options.path`, or the open binary `file` (left open: its owner closes it;
        `options.path` still names its format by extension). `name` names the input in
        messages (default: the path). `first_line` is the line number of the first line
        after the CSV header (for JSON Lines, of the first line), when `file` holds a part
        of a larger file (its header, then a line-aligned byte range of it)."""
        try:
            "a".encode(options.encoding)  # a text encoding (not e.g. rot13 or base64)
        except LookupError:
            raise ValueError(f"unknown encoding {options.encoding!r}") from None
        self.options = options
        self.fields = fields
        self.path = options.path
        self.name = name or ("<stdin>" if self.path == "-" else self.path)
        self.encoding = options.encoding
        self.lines: array[int] = array("I")
        """`lines[i]`: the line on which record `i` starts."""
        self.size = _size(self.path) if file is None else None
        """The file's size in bytes, None for a pipe (the progress bar's estimate)."""
        self.exhausted = False
        self.layout = Layout(())
        self.delimiter = ","
        self._ignored: dict[str, None] = {}
        self._json_names: dict[str, str | None] = {}
        self._names: tuple[str | None, ...] = ()
        self._key_at: int | None = None
        self._owned = file is None and self.path != "-"  # never close stdin or a given file
        self._file = file or (sys.stdin.buffer if self.path == "-" else _open(self.path))
        self._closed = False
        self._line = 0
        """The last physical line read."""
        self._source: Iterator[bytes] = iter(self._file)
        wide = _wide_encoding(self._file, options.encoding)
        if wide is not None:  # UTF-16 or UTF-32: decoded by io, then read as UTF-8 lines
            self.encoding = "utf-8"
            self._source = _recoded(self._file, wide)
        self._source_encoding = wide or options.encoding
        first = self._next_line()
        if first.startswith(codecs.BOM_UTF8):
            first = first[len(codecs.BOM_UTF8) :]
        text = first.decode(self.encoding, errors="replace")
        self.format = format_of(self.path, text, options.format)
        try:
            if self.format == "jsonl":
                if text.lstrip().startswith("["):
                    raise ValueError(
                        f"{self.name} is a JSON array; write one object per line "
                        "(JSON Lines) instead"
                    )
                self._first = first
                self._convert = self._converter(fields.names, from_text=False)
                if first_line is not None:
                    self._line += first_line - 1
            else:
                self._start_csv(first, text)
                if first_line is not None:
                    self._line = first_line - 1
        except BaseException:
            self.close()
            raise
        self._prefix = self._digest_prefix()

    # -- what the rest of the CLI reads ----------------------------------------------------

    @property
    def count(self) -> int:
        """Records read so far."""
        return len(self.lines)

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        """Columns (or JSON keys) dropped by `--ignore-unknown-columns`."""
        return self.layout.ignored + tuple(self._ignored)

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has come, in bytes (0 for a pipe)."""
        try:
            return self._file.tell() if self.size is not None else 0
        except (OSError, ValueError):  # closed
            return self.size or 0

    def estimate(self) -> tuple[int, bool] | None:
        """`(records, exact)`: how many records the input holds, extrapolated from the bytes
        read so far (exact once read to the end); None while nothing is known (a pipe)."""
        if self.exhausted:
            return self.count, True
        if not self.size or not self.bytes_read or not self.count:
            return None
        return max(self.count, round(self.count * self.size / self.bytes_read)), False

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if 0 <= index < len(self.lines) else None

    def __iter__(self) -> Iterator[dict[str, Any] | InvalidItemError]:
        """Every record, parsed."""
        load, lines = self._load, self.lines
        with self._reading() as rows:
            for line, _, text, cells, bad in rows:
                lines.append(line)
                yield load(text, cells, bad)

    def sourced(self, *, digests: bool = True) -> Iterator[Sourced]:
        """Every record as a `Sourced`: key and digest now, the record on `load()`. Without
        `digests` (no journal to compare them with), the digest is left empty. The hot path
        of a nightly re-run, which reads every row and loads few: one loop, no call a row."""
        lines, load, prefix, jsonl = self.lines, self._load, self._prefix, self.format == "jsonl"
        at, delimiter = self._key_at, self.delimiter
        with self._reading() as rows:
            for line, raw, text, cells, bad in rows:
                lines.append(line)
                digest = b""
                if digests:
                    hashed = prefix.copy()
                    hashed.update(raw)
                    digest = hashed.digest()
                if jsonl:
                    yield self._sourced_json(text, bad, digest)
                    continue
                key = None
                if cells is not None:
                    key = self._key_of(cells)
                elif at is not None and text is not None:
                    parts = text.split(delimiter, at + 1)
                    key = (parts[at].strip() or None) if at < len(parts) else None
                yield Sourced(key, digest, partial(load, text, cells, bad))

    async def __aiter__(self) -> AsyncIterator[dict[str, Any] | InvalidItemError]:
        """The records, read in a worker thread so a slow input never blocks the event loop."""
        async for record in in_thread(iter(self)):
            yield record

    def asourced(self, *, digests: bool = True) -> AsyncIterator[Sourced]:
        """`sourced()`, read in a worker thread."""
        return in_thread(self.sourced(digests=digests))

    def for_engine(self, *, digests: bool) -> Iterable[Sourced] | AsyncIterable[Sourced]:
        """What to hand the bulk engine: a regular file as `sourced()` (the engine reads a
        chunk at a time between other work, from the page cache: a third faster than
        through a thread), with the records it holds as a length hint; a pipe or stdin as
        `asourced()` (a slow producer never blocks the event loop)."""
        if self.size is None:
            return self.asourced(digests=digests)
        return _Estimated(self.sourced(digests=digests), self)

    def close(self) -> None:
        if not self._closed and self._owned:
            self._file.close()
        self._closed = True

    # -- reading ----------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Iterator[Row]]:
        try:
            yield self._csv_rows() if self.format == "csv" else self._jsonl_rows()
            self.exhausted = True
        finally:
            self.close()

    def _next_line(self) -> bytes:
        raw = next(self._source, b"")
        if raw:
            self._line += 1
        return raw

    def _decode(self, raw: bytes) -> tuple[str, bool]:
        try:
            return raw.decode(self.encoding), False
        except UnicodeDecodeError:
            return raw.decode(self.encoding, errors="replace"), True

    def _start_csv(self, first: bytes, text: str) -> None:
        csv.field_size_limit(max(csv.field_size_limit(), MAX_REQUEST_BYTES))
        stripped = text.strip()
        if stripped.lower().startswith("sep=") and len(stripped) == 5:  # Excel's first line
            self.delimiter = stripped[4]
            first = self._next_line()
            text = first.decode(self.encoding, errors="replace")
        else:
            self.delimiter = max(DELIMITERS, key=text.count) if text.strip() else ","
        self._first = first
        self._convert = self._converter((), from_text=True)
        header = next(self._csv_rows(), None)
        if header is None:
            return
        _, _, line, cells, bad = header
        if bad:
            raise ValueError(
                f"{self.name}: the header is not {self._source_encoding} text; pass --encoding "
                "(e.g. --encoding cp1252) to read this file"
            )
        names = cells if cells is not None else (line or "").split(self.delimiter)
        self.layout = resolve(
            names,
            self.options.columns,
            self.fields,
            ignore_unknown=self.options.ignore_unknown_columns,
            source=self.name,
        )
        self._names = self.layout.names
        self._key_at = self.layout.index_of(self.fields.key)
        self._convert = self._converter(
            [n for n in self.layout.names if n is not None], from_text=True
        )

    def _csv_rows(self) -> Iterator[Row]:
        """The records, each from one line (split on the delimiter) or, when it has quotes,
        from as many lines as `csv` needs (a quoted cell may hold a newline)."""
        delimiter = self.delimiter
        blank = b" \t\r\n" + delimiter.encode("ascii", errors="ignore")
        feed = _Feed(self)
        reader = csv.reader(feed, delimiter=delimiter)
        raw, self._first = self._first or self._next_line(), b""
        while raw:
            start = self._line
            cr = raw.find(b"\r")
            # find(), not `in`: bytes' `in` first tries its operand as an int, and raises
            if raw.find(b'"') < 0 and (cr == -1 or cr >= len(raw) - 2):
                if raw.strip(blank):
                    body = raw.rstrip(b"\r\n")
                    try:
                        yield start, body, body.decode(self.encoding), None, False
                    except UnicodeDecodeError:
                        text = body.decode(self.encoding, errors="replace")
                        yield start, body, text, None, True
            else:
                feed.push(raw)
                try:
                    cells = next(reader)
                except csv.Error as exc:
                    cells = [f"\x00{exc}"]  # reported by _load as an unreadable row
                taken = b"".join(feed.taken).rstrip(b"\r\n")
                bad, feed.taken, feed.bad = feed.bad, [], False
                if any(cell.strip() for cell in cells):
                    yield start, taken, None, cells, bad
            raw = self._next_line()

    def _jsonl_rows(self) -> Iterator[Row]:
        raw, self._first = self._first or self._next_line(), b""
        while raw:
            if raw.strip():
                body = raw.rstrip(b"\r\n")
                text, bad = self._decode(body)
                yield self._line, body, text, None, bad
            raw = self._next_line()

    # -- records ----------------------------------------------------------------------------

    def _load(
        self, text: str | None, cells: list[str] | None, bad: bool
    ) -> dict[str, Any] | InvalidItemError:
        if self.format == "jsonl":
            return self._load_json(text or "", bad)
        if cells is None:
            cells = (text or "").split(self.delimiter)
        names = self._names
        if bad or len(cells) != len(names):
            problem = self._misfit(cells, bad)
            if problem is not None:
                return problem
            cells += [""] * (len(names) - len(cells))
        record = {
            name: value
            for name, cell in zip(names, cells, strict=True)
            if name is not None and (value := cell.strip())
        }
        return self._convert(record)

    def _misfit(self, cells: list[str], bad: bool) -> InvalidItemError | None:
        """Why a row that did not decode, or has more cells than the header, is invalid."""
        if len(cells) == 1 and cells[0].startswith("\x00"):  # marked by _csv_rows
            return _invalid("(row)", f"is not valid CSV: {cells[0][1:]}", None)
        if bad:
            return self._undecoded(self._key_of(cells))
        if len(cells) > len(self._names):
            message = f"has {len(cells)} cells but the header has {len(self._names)}"
            return _invalid("(row)", message, self._key_of(cells))
        return None

    def _load_json(self, text: str, bad: bool) -> dict[str, Any] | InvalidItemError:
        if bad:
            return self._undecoded(None)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return _invalid("(line)", f"is not valid JSON: {exc.msg} (column {exc.colno})", None)
        if not isinstance(value, dict):
            return _invalid("(line)", f"must be a JSON object, got {type(value).__name__}", None)
        record: dict[str, Any] = {}
        for name, item in value.items():
            field = self._json_field(name)
            if field is None:
                continue
            if isinstance(item, str):
                item = item.strip()
                if not item:
                    continue
            record[field] = item
        return self._convert(record)

    def _json_field(self, name: str) -> str | None:
        """The field a JSON key fills: mapped, an API field, or (unknown) itself, so the model
        refuses it, unless `--ignore-unknown-columns` drops it."""
        mapped = self._json_names.get(name, _UNSEEN)
        if mapped is not _UNSEEN:
            return mapped  # type: ignore[return-value]
        key = normalize(name)
        by_source = {normalize(s): f for s, f in self.options.columns.items()}
        if key in by_source:
            field = by_source[key]
        elif (named := field_named(name, self.fields)) is not None:
            field = named
        elif self.options.ignore_unknown_columns:
            self._ignored[name] = None
            field = None
        else:
            field = name
        if len(self._json_names) < 1000:  # keys are few; a pathological file stays bounded
            self._json_names[name] = field
        return field

    def _converter(
        self, names: Iterable[str], *, from_text: bool
    ) -> Callable[[dict[str, Any]], dict[str, Any] | InvalidItemError]:
        plan = converters(
            self.fields,
            names,
            amount_unit=self.options.amount_unit,
            date_format=self.options.date_format,
            from_text=from_text,
        )
        key = self.fields.key

        def convert(record: dict[str, Any]) -> dict[str, Any] | InvalidItemError:
            errors: dict[str, list[str]] | None = None
            for name, change in plan:
                value = record.get(name)
                if value is None:
                    continue
                try:
                    record[name] = change(value)
                except ValueError as exc:
                    errors = errors or {}
                    errors[name] = [str(exc)]
            if errors:
                identifier = record.get(key) if key else None
                return InvalidItemError(
                    -1, errors, identifier if isinstance(identifier, str) else None
                )
            return record

        return convert

    def _key_of(self, cells: list[str]) -> str | None:
        at = self._key_at
        if at is None or at >= len(cells) or cells[0].startswith("\x00"):
            return None
        return cells[at].strip() or None

    def _undecoded(self, identifier: str | None) -> InvalidItemError:
        message = (
            f"is not {self._source_encoding} text; pass --encoding (e.g. cp1252) to read this file"
        )
        return _invalid("(line)", message, identifier)

    # -- sourced ----------------------------------------------------------------------------

    def _digest_prefix(self) -> Any:
        """A blake2b state holding every reading option: equal digests, equal records."""
        options = self.options
        described = {
            "reader": READER_VERSION,
            "resource": self.fields.resource,
            "format": self.format,
            "encoding": codecs.lookup(self._source_encoding).name,
            "delimiter": self.delimiter,
            "fields": list(self.layout.names),
            "columns": sorted(options.columns.items()) if self.format == "jsonl" else None,
            "ignore_unknown": options.ignore_unknown_columns,
            "amount_unit": options.amount_unit,
            "date_format": options.date_format,
        }
        text = json.dumps(described, sort_keys=True, ensure_ascii=False)
        return hashlib.blake2b(text.encode(), digest_size=16)

    def _sourced_json(self, text: str | None, bad: bool, digest: bytes) -> Sourced:
        """A JSON object is parsed to find its key (`json` is fast; converting is not)."""
        loaded = self._load(text, None, bad)
        key = self.fields.key
        found = loaded.get(key) if key and isinstance(loaded, dict) else None
        if isinstance(loaded, InvalidItemError):
            found = loaded.integration_identifier
        return Sourced(found if isinstance(found, str) else None, digest, lambda: loaded)


_UNSEEN = object()


class _Estimated(Iterable[_T]):
    """A file's rows with a length hint (`operator.length_hint`): the records the file holds
    as far as it is read, so that the engine sizes its table of keys once."""

    def __init__(self, rows: Iterator[_T], records: Records) -> None:
        self._rows = rows
        self._records = records

    def __iter__(self) -> Iterator[_T]:
        return self._rows

    def __length_hint__(self) -> int:
        estimate = self._records.estimate()
        return estimate[0] if estimate is not None else 0


class _Feed:
    """Lines for `csv.reader`: the one pushed, then (a quoted cell spanning lines) more from
    the file; keeps the raw bytes it handed out and whether one did not decode."""

    __slots__ = ("bad", "pending", "records", "taken")

    def __init__(self, records: Records) -> None:
        self.records = records
        self.pending: bytes | None = None
        self.taken: list[bytes] = []
        self.bad = False

    def push(self, raw: bytes) -> None:
        self.pending = raw

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        raw = self.pending
        self.pending = None
        if raw is None:
            raw = self.records._next_line()
            if not raw:
                raise StopIteration
        self.taken.append(raw)
        text, bad = self.records._decode(raw)
        self.bad = self.bad or bad
        return text


async def in_thread(items: Iterator[_T]) -> AsyncIterator[_T]:
    """`items`, pulled in batches in a worker thread."""
    while batch := await anyio.to_thread.run_sync(
        lambda: list(islice(items, _BATCH)), abandon_on_cancel=True
    ):
        for item in batch:
            yield item


def _wide_encoding(file: IO[bytes], encoding: str) -> str | None:
    """The UTF-16 or UTF-32 codec to read `file` with (its BOM, or `encoding`), or None for
    the byte-oriented encodings (UTF-8, cp1252, ...) that lines can be split in."""
    head = file.peek(4)[:4] if isinstance(file, io.BufferedReader) else b""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return encoding if "a;\n".encode(encoding) != b"a;\n" else None


def _recoded(file: IO[bytes], encoding: str) -> Iterator[bytes]:
    """The lines of a UTF-16/32 file as UTF-8 bytes; where the file did not decode, a byte
    that is not UTF-8 either, so that its record is refused as not text."""
    text = io.TextIOWrapper(file, encoding=encoding, errors="replace", newline="")
    try:
        for line in text:
            raw = line.encode("utf-8", errors="surrogatepass")
            yield raw.replace("\ufffd".encode(), b"\xff") if "\ufffd" in line else raw
    finally:
        with contextlib.suppress(ValueError):  # already closed
            text.detach()  # the caller closes the file (and never stdin)


def _invalid(field: str, message: str, identifier: str | None) -> InvalidItemError:
    return InvalidItemError(-1, {field: [message]}, identifier)


def _size(path: str) -> int | None:
    try:
        status = os.stat(path) if path != "-" else os.fstat(sys.stdin.fileno())
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _open(path: str) -> IO[bytes]:
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    return open(path, "rb")
