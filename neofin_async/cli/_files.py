"""Reading input records from CSV or JSON Lines (and writing them, for `sample`).

Each record becomes a dict named like the API fields, or an `InvalidItemError` when it cannot be
parsed (the bulk engine counts it invalid and never sends it). `Records.lines[i]` is the input
line on which record `i` starts.
"""

from __future__ import annotations

import codecs
import csv
import errno
import json
import os
import sys
from array import array
from collections.abc import AsyncIterator, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from itertools import chain, islice
from typing import IO, Any, Literal

import anyio.to_thread

from .._exceptions import InvalidItemError
from ..models import centavos

Format = Literal["csv", "jsonl"]
AmountUnit = Literal["centavos", "reais"]

FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
BOOLEAN_FIELDS = frozenset(
    {"by_mail", "by_whatsapp", "ignore_existing_customer_upsert", "pause_notifications"}
)
TRUE = frozenset({"true", "1", "sim", "s", "yes", "y", "t", "verdadeiro"})
FALSE = frozenset({"false", "0", "não", "nao", "n", "no", "f", "falso"})
_BATCH = 256


def format_of(path: str, first_line: str, forced: Format | None) -> Format:
    """`--format`, else the file extension, else the content (`{` starts a JSON Lines file)."""
    if forced:
        return forced
    extension = os.path.splitext(path)[1].lower()
    if path != "-" and extension in FORMATS:
        return FORMATS[extension]
    return "jsonl" if first_line.lstrip().startswith("{") else "csv"


class Records:
    """The records of one input file (`-` = stdin), read lazily, line by line.

    Lines are decoded one at a time with `encoding`; a record with a line that does not
    decode is an invalid item (the others are still sent)."""

    def __init__(
        self,
        path: str,
        *,
        format: Format | None = None,
        amount_unit: AmountUnit = "centavos",
        encoding: str = "utf-8",
    ) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        self.path = path
        self.name = "<stdin>" if path == "-" else path
        self.amount_unit = amount_unit
        self.encoding = encoding
        self.lines: array[int] = array("q")
        """`lines[i]`: the line on which record `i` starts."""
        self._undecodable: set[int] = set()
        self._file = sys.stdin.buffer if path == "-" else _open(path)
        self._closed = False
        raw = self._file.readline().removeprefix(codecs.BOM_UTF8)
        first = self._decode(1, raw)
        self._lines: Iterator[str] = chain(
            [first] if raw else [],
            (self._decode(n, line) for n, line in enumerate(self._file, start=2)),
        )
        self.format = format_of(path, first, format)
        if self.format == "jsonl" and first.lstrip().startswith("["):
            self.close()
            raise ValueError(
                f"{self.name} is a JSON array; write one object per line (JSON Lines) instead"
            )

    def estimate(self) -> int | None:
        """About how many records a regular file holds (for a progress bar), or None."""
        if self.path == "-" or not os.path.isfile(self.path):
            return None
        lines, last = 0, b"\n"
        with open(self.path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                lines, last = lines + block.count(b"\n"), block[-1:]
        lines += last != b"\n"
        return max(0, lines - 1) if self.format == "csv" else lines

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if 0 <= index < len(self.lines) else None

    def __iter__(self) -> Iterator[dict[str, Any] | InvalidItemError]:
        rows = self._csv() if self.format == "csv" else self._jsonl()
        try:
            for line, record in rows:
                self.lines.append(line)
                yield record
        except csv.Error as exc:
            line = self.lines[-1] if self.lines else 1
            raise ValueError(f"{self.name}: CSV error after line {line}: {exc}") from None
        finally:
            self.close()

    async def __aiter__(self) -> AsyncIterator[dict[str, Any] | InvalidItemError]:
        """The records, read in a worker thread so a slow input never blocks the event loop."""
        records = iter(self)
        while batch := await anyio.to_thread.run_sync(
            lambda: list(islice(records, _BATCH)), abandon_on_cancel=True
        ):
            for record in batch:
                yield record

    def close(self) -> None:
        if not self._closed and self.path != "-":  # leave the process's stdin open
            self._file.close()
        self._closed = True

    def _decode(self, number: int, raw: bytes) -> str:
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError:
            self._undecodable.add(number)
            return raw.decode(self.encoding, errors="replace")

    def _undecoded(
        self, first: int, last: int, identifier: str | None = None
    ) -> InvalidItemError | None:
        """An error if a line from `first` to `last` did not decode."""
        bad = [n for n in range(first, last + 1) if n in self._undecodable]
        if not bad:
            return None
        self._undecodable.difference_update(bad)
        message = f"is not {self.encoding} text; pass --encoding (e.g. cp1252) to read this file"
        return InvalidItemError(-1, {"(line)": [message]}, identifier)

    def _csv(self) -> Iterator[tuple[int, dict[str, Any] | InvalidItemError]]:
        first = next(self._lines, "")
        delimiter = max(",;\t", key=first.count) if first else ","
        reader = csv.reader(chain([first], self._lines), delimiter=delimiter)
        header = [name.strip().lower() for name in next(reader, [])]
        previous = reader.line_num
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            undecoded = self._undecoded(start, previous, _identifier(header, row))
            if undecoded is not None:
                yield start, undecoded
            elif len(row) > len(header):
                message = f"has {len(row)} cells but the header has {len(header)}"
                yield start, InvalidItemError(-1, {"(row)": [message]}, _identifier(header, row))
            else:
                cells = zip(header, row, strict=False)
                raw = {name: cell for name, cell in cells if name and cell.strip()}
                yield start, self._convert(raw, from_text=True)

    def _jsonl(self) -> Iterator[tuple[int, dict[str, Any] | InvalidItemError]]:
        for number, text in enumerate(self._lines, start=1):
            if not text.strip():
                continue
            undecoded = self._undecoded(number, number)
            if undecoded is not None:
                yield number, undecoded
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                error = f"is not valid JSON: {exc.msg} (column {exc.colno})"
                yield number, InvalidItemError(-1, {"(line)": [error]})
                continue
            if not isinstance(value, dict):
                error = f"must be a JSON object, got {type(value).__name__}"
                yield number, InvalidItemError(-1, {"(line)": [error]})
                continue
            yield number, self._convert(value, from_text=False)

    def _convert(
        self, record: dict[str, Any], *, from_text: bool
    ) -> dict[str, Any] | InvalidItemError:
        """Booleans, `;`-separated recipients, JSON objects in cells, amounts in reais."""
        errors: dict[str, list[str]] = {}
        for name, value in record.items():
            try:
                if name in BOOLEAN_FIELDS and isinstance(value, str):
                    record[name] = parse_bool(value)
                elif name == "recipients" and isinstance(value, str):
                    record[name] = split_list(value)
                elif name == "boleto" and from_text:
                    record[name] = json.loads(value)
                elif name == "amount" and self.amount_unit == "reais":
                    record[name] = parse_reais(value)
            except ValueError as exc:
                errors[name] = [str(exc)]
        if errors:
            identifier = record.get("integration_identifier")
            return InvalidItemError(-1, errors, identifier if isinstance(identifier, str) else None)
        return record


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean (true/false, 1/0, sim/não)")


def split_list(text: str) -> list[str]:
    """`"a@x.com; b@x.com"` (or comma-separated) -> `["a@x.com", "b@x.com"]`."""
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


def parse_reais(value: Any) -> int:
    """`"1234.56"`, `"1.234,56"`, `"1234,56"` or a JSON number in reais -> centavos."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not an amount in reais")
    text = str(value).strip().removeprefix("R$").strip()
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount in reais (e.g. 1234.56)")
    try:
        return centavos(amount)
    except ValueError:
        raise ValueError(f"{value!r} reais has fractions of a centavo") from None


def _identifier(header: list[str], row: list[str]) -> str | None:
    if "integration_identifier" in header:
        return row[header.index("integration_identifier")].strip() or None
    return None


def _open(path: str) -> IO[bytes]:
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    return open(path, "rb")


# -- writing ---------------------------------------------------------------------------------


def write_records(
    records: Iterable[dict[str, Any]], columns: tuple[str, ...], file: IO[str], format: Format
) -> int:
    """Write records as CSV (lists joined with `;`, absent fields empty) or JSON Lines."""
    count = 0
    if format == "csv":
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow([_cell(record.get(column)) for column in columns])
            count += 1
    else:
        for record in records:
            compact = {k: v for k, v in record.items() if v is not None}
            file.write(json.dumps(compact, ensure_ascii=False) + "\n")
            count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)
