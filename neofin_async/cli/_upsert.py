"""`neofin-async upsert billings|customers FILE`: a file through the bulk engine, with a report."""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from .._errormap import describe
from .._exceptions import APIConnectionError, AuthenticationError, ConfigurationError
from ..bulk import (
    BulkOptions,
    BulkResult,
    BulkStream,
    ItemError,
    JournalStore,
    open_journal,
)
from ..exports import Fields, Layout, Records
from ._interrupt import REASON, Interrupt
from ._options import UpsertOptions
from ._progress import Reporter, print_summary
from ._target import Target, connect, notice

SHOWN_ERRORS = 10


class Source(Protocol):
    """What the summary and the report name the items by: a file's `Records`, or a sharded
    run's report."""

    @property
    def name(self) -> str: ...
    @property
    def fields(self) -> Fields: ...
    @property
    def layout(self) -> Layout: ...
    @property
    def ignored_columns(self) -> tuple[str, ...]: ...
    def line_of(self, index: int) -> int | None: ...


async def upsert(options: UpsertOptions) -> int:
    if options.sharding is not None:
        from ._sharded import upsert_sharded

        return await upsert_sharded(options)
    check_writable(options.report.path, "--report")
    journal = options.send.journal
    if journal is not None and not is_dsn(journal):
        check_writable(journal, "--journal")
    async with connect(options.target) as target:
        records = Records(options.read, options.fields)  # unknown columns: refused here
        try:
            result, interrupted = await _send(options, target, records)
        finally:
            records.close()
    resource = options.fields.resource
    print_summary(
        result, f"{resource} from {records.name} -> {target.description}", notes=notes(records)
    )
    show_errors(result, records)
    _show_stop(result, interrupted, journal)
    if options.report.path:
        write_report(options.report.path, result, records, target.description)
        print(f"Report: {options.report.path}", file=sys.stderr)
    notice(target, done=True)
    if interrupted:
        return 130
    if isinstance(result.stopped_by, AuthenticationError):
        raise result.stopped_by  # bad keys: a configuration error (exit 2)
    return 0 if result.ok else 1


def notes(records: Source) -> list[tuple[str, str]]:
    """The columns left out, named once (not on every row)."""
    notes = []
    if records.ignored_columns:
        notes.append(("ignored columns", ", ".join(records.ignored_columns)))
    if records.layout.missing:
        notes.append(("mapped columns not in the file", ", ".join(records.layout.missing)))
    return notes


async def _send(
    options: UpsertOptions, target: Target, records: Records
) -> tuple[BulkResult, bool]:
    """Stream the records through the bulk engine; the result, and whether Ctrl-C stopped it."""
    send = options.send
    journal = _journal(send.journal) if send.journal else None
    try:
        notice(target)
        reporter = Reporter(
            options.fields.resource,
            estimate=records.estimate,
            interval=options.report.progress_every,
        )
        settings = BulkOptions(
            concurrency=send.concurrency,
            chunk_size=send.chunk_size,
            deadline=send.deadline,
            detect_duplicates=send.detect_duplicates,
            on_progress=reporter.update,
            journal=journal,
            max_connection_failures=send.max_connection_failures,
        )
        resource = getattr(target.client, options.fields.resource)
        stream: BulkStream = resource.stream_upsert(
            records.for_engine(digests=journal is not None), settings
        )
        async with reporter.running(), stream:
            with Interrupt(stream) as interrupt, _startup_frozen():
                async for _ in stream:
                    pass
        return stream.result, interrupt.stopped
    finally:
        if journal is not None:
            await journal.aclose()


@contextmanager
def _startup_frozen() -> Iterator[None]:
    """Leave what exists before the run (modules, schemas, the client: ~60,000 objects) out
    of the garbage collector's full collections while it streams: each full collection walked
    all of it, a tenth of a nightly re-run's time. Unfrozen after, so that a caller running
    `main()` in its own process loses nothing to collection."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _journal(value: str) -> JournalStore:
    try:
        store, _ = open_journal(value)  # a newer or foreign file: a ConfigurationError (exit 2)
    except ImportError as exc:
        raise ConfigurationError(
            f"--journal: a PostgreSQL journal needs the postgres extra "
            f"(pip install 'neofin-async[postgres]'): {exc}"
        ) from None
    return store  # an old file is migrated; the journal says so on stderr (a warning)


def is_dsn(journal: str) -> bool:
    return journal.startswith(("postgresql://", "postgres://"))


def _show_stop(result: BulkResult, interrupted: bool, journal: str | None) -> None:
    """Why the run stopped early, and how to send the rest."""
    cause = result.stopped_by
    if cause is None or isinstance(cause, AuthenticationError):
        return
    why = REASON if interrupted else str(cause)
    if isinstance(cause, APIConnectionError) and not interrupted:
        why += " (check --base-url and the network; --max-connection-failures sets the limit)"
    print(f"The run stopped early: {why}.")
    if journal is not None:
        shown = "" if is_dsn(journal) else f" {journal}"  # a DSN may hold a password
        print(
            f"Run the same command again (with the same --journal{shown}) to send the rest: "
            "what was accepted is not sent again."
        )
    else:
        print(
            "Run it again to send the rest; with --journal FILE, a run that stops can be "
            "resumed without sending again what was accepted."
        )


def check_writable(path: str | None, flag: str) -> None:
    """Refuse a report path in a missing directory before sending anything."""
    if path is None:
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ConfigurationError(f"{flag} {path}: directory {directory} does not exist")
    if os.path.isdir(path):
        raise ConfigurationError(f"{flag} {path} is a directory")


def reason(error: ItemError, records: Source) -> str:
    """Why an item was not accepted, naming lines (not input indexes)."""
    if error.duplicate_of is not None:
        first = records.line_of(error.duplicate_of)
        where = f"line {first}" if first is not None else f"item {error.duplicate_of}"
        key = records.fields.key or "key"
        return (
            f"{key}: duplicate {error.key!r}, the same as {where} (--allow-duplicates sends both)"
        )
    return describe(error.errors) if error.errors else error.message


def not_accepted(error: ItemError, records: Source) -> dict[str, Any]:
    entry = {
        "line": records.line_of(error.index),
        "index": error.index,
        records.fields.key or "key": error.key,
        "state": error.status,
        "reason": reason(error, records),
        "errors": error.errors,
    }
    if error.duplicate_of is not None:
        entry["duplicate_of_line"] = records.line_of(error.duplicate_of)
    return entry


def write_report(
    path: str,
    result: BulkResult,
    records: Source,
    target: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """The totals, every item not accepted (line, identifier, state, reason), and the items
    never read into a chunk after a stop as ranges of lines, as JSON (`extra`: more keys)."""
    summary = result.to_dict()
    del summary["errors"], summary["not_sent_ranges"]
    report = {
        "input": records.name,
        "provider": records.fields.provider,
        "resource": records.fields.resource,
        "target": target,
        **summary,
        "ignored_columns": list(records.ignored_columns),
        "not_accepted": [
            not_accepted(e, records) for e in sorted(result.errors.explicit, key=lambda e: e.index)
        ],
        "not_sent_ranges": [
            {
                "first_line": records.line_of(r.start),
                "last_line": records.line_of(r.stop - 1),
                "items": len(r),
                "reason": r.reason,
            }
            for r in result.errors.ranges
        ],
        **(extra or {}),
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(report, file, ensure_ascii=False, indent=2)
        file.write("\n")


def show_errors(result: BulkResult, records: Source, omitted: int = 0) -> None:
    """The first items not accepted; neighbours failing the same way share one line.
    `omitted`: items not accepted that are counted but not listed (a sharded run's)."""
    if result.ok:
        return
    groups: list[list[ItemError]] = []
    for error in sorted(result.errors.explicit, key=lambda e: e.index):
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and error.index == last.index + 1
            and (error.status, reason(error, records)) == (last.status, reason(last, records))
        ):
            groups[-1].append(error)
        else:
            groups.append([error])
    for not_sent in result.errors.ranges:
        first = ItemError(not_sent.start, None, "not_sent", not_sent.reason)
        groups.append([first, ItemError(not_sent.stop - 1, None, "not_sent", not_sent.reason)])
    for group in groups[:SHOWN_ERRORS]:
        first, last = group[0], group[-1]
        text = _one_line(reason(first, records))
        print(f"  {_where(first, last, records)}: {first.status}: {text}")
    if len(groups) > SHOWN_ERRORS:
        more = sum(group[-1].index - group[0].index + 1 for group in groups[SHOWN_ERRORS:])
        print(f"  ... and {more} more (--report FILE.json lists every item not accepted)")
    if omitted:
        print(f"  ... and {omitted} more that the shards counted but did not list")


def _where(first: ItemError, last: ItemError, records: Source) -> str:
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
