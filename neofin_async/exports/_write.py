"""Writing records as an export (for `sample`): CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from ._options import Format


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
