"""`neofin-async upsert billings|customers FILE`: a file through the bulk engine, with a report."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from typing import Any

from .._errormap import describe
from .._exceptions import AuthenticationError, ConfigurationError
from ..bulk import BulkResult, ItemError, Journal
from ._files import Records
from ._options import UpsertOptions
from ._progress import Reporter, print_summary
from ._target import Target, connect, notice

SHOWN_ERRORS = 10


async def upsert(options: UpsertOptions) -> int:
    _check_writable(options.report.path, "--report")
    async with connect(options.target) as target:
        records = Records(options.read, options.fields)  # unknown columns: refused here
        try:
            result = await _send(options, target, records)
        finally:
            records.close()
    resource = options.fields.resource
    print_summary(
        result, f"{resource} from {records.name} -> {target.description}", notes=_notes(records)
    )
    _show_errors(result, records)
    if options.report.path:
        write_report(options.report.path, result, records, resource, target.description)
        print(f"Report: {options.report.path}", file=sys.stderr)
    notice(target, done=True)
    if isinstance(result.stopped_by, AuthenticationError):
        raise result.stopped_by  # bad keys: a configuration error (exit 2)
    return 0 if result.ok else 1


def _notes(records: Records) -> list[tuple[str, str]]:
    """The columns left out, named once (not on every row)."""
    notes = []
    if records.ignored_columns:
        notes.append(("ignored columns", ", ".join(records.ignored_columns)))
    if records.layout.missing:
        notes.append(("mapped columns not in the file", ", ".join(records.layout.missing)))
    return notes


async def _send(options: UpsertOptions, target: Target, records: Records) -> BulkResult:
    send = options.send
    journal = _journal(send.journal) if send.journal else None
    try:
        notice(target)
        reporter = Reporter(
            options.fields.resource,
            estimate=records.estimate,
            interval=options.report.progress_every,
        )
        resource = getattr(target.client, options.fields.resource)
        async with reporter.running():
            result: BulkResult = await resource.bulk_upsert(
                records,
                concurrency=send.concurrency,
                chunk_size=send.chunk_size,
                deadline=send.deadline,
                detect_duplicates=send.detect_duplicates,
                on_progress=reporter.update,
                journal=journal,
            )
        return result
    finally:
        if journal is not None:
            journal.close()


def _journal(path: str) -> Journal:
    try:
        return Journal(path)
    except sqlite3.Error as exc:
        raise ConfigurationError(f"--journal {path}: cannot open it as SQLite ({exc})") from None


def _check_writable(path: str | None, flag: str) -> None:
    """Refuse a report path in a missing directory before sending anything."""
    if path is None:
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ConfigurationError(f"{flag} {path}: directory {directory} does not exist")
    if os.path.isdir(path):
        raise ConfigurationError(f"{flag} {path} is a directory")


def reason(error: ItemError) -> str:
    return describe(error.errors) if error.errors else error.message


def not_accepted(error: ItemError, records: Records) -> dict[str, Any]:
    return {
        "line": records.line_of(error.index),
        "index": error.index,
        "integration_identifier": error.integration_identifier,
        "state": error.status,
        "reason": reason(error),
        "errors": error.errors,
    }


def write_report(
    path: str, result: BulkResult, records: Records, resource: str, target: str
) -> None:
    """The totals and every item not accepted (line, identifier, state, reason) as JSON."""
    summary = result.to_dict()
    del summary["errors"]
    report = {
        "input": records.name,
        "resource": resource,
        "target": target,
        **summary,
        "ignored_columns": list(records.ignored_columns),
        "not_accepted": [
            not_accepted(e, records) for e in sorted(result.errors, key=lambda e: e.index)
        ],
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(report, file, ensure_ascii=False, indent=2)
        file.write("\n")


def _show_errors(result: BulkResult, records: Records) -> None:
    """The first items not accepted; neighbours failing the same way share one line."""
    if result.ok:
        return
    if result.stopped_by is not None:
        print(f"The run stopped early: {result.stopped_by}")
    groups: list[list[ItemError]] = []
    for error in sorted(result.errors, key=lambda e: e.index):
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and error.index == last.index + 1
            and (error.status, reason(error)) == (last.status, reason(last))
        ):
            groups[-1].append(error)
        else:
            groups.append([error])
    for group in groups[:SHOWN_ERRORS]:
        first, last = group[0], group[-1]
        print(f"  {_where(first, last, records)}: {first.status}: {_one_line(reason(first))}")
    if len(groups) > SHOWN_ERRORS:
        more = sum(len(group) for group in groups[SHOWN_ERRORS:])
        print(f"  ... and {more} more (--report FILE.json lists every item not accepted)")


def _where(first: ItemError, last: ItemError, records: Records) -> str:
    start, end = records.line_of(first.index), records.line_of(last.index)
    if first is last:
        where = f"line {start}" if start is not None else f"item {first.index}"
        name = first.integration_identifier
        return f"{where} {name}" if name else where
    count = last.index - first.index + 1
    if start is None or end is None:
        return f"items {first.index}-{last.index} ({count} items)"
    return f"lines {start}-{end} ({count} items)"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
