"""Progress while items are sent (a rich bar on a terminal, plain lines otherwise) and the
summary at the end (a rich table when rich is installed, plain text otherwise)."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO, Any

import anyio

from ..bulk import STATES, BulkResult, Counts, Progress

STATE_STYLES = {
    "accepted": "green",
    "rejected": "red",
    "invalid": "yellow",
    "failed": "red",
    "not_sent": "magenta",
}


def has_rich() -> bool:
    """rich is optional (the `cli` extra): without it, plain lines and a plain table."""
    try:
        importlib.import_module("rich")
    except ImportError:
        return False
    return True


def _counts_text(counts: Counts) -> str:
    return "  ".join(f"{state} {getattr(counts, state)}" for state in STATES)


class Reporter:
    """Receives the bulk engine's progress; shows it on `stream` while the run is open.

    On a terminal (and with rich installed): a live bar with items/s and counts per state.
    Otherwise: one plain line every `interval` seconds and one at the end."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None,
        stream: IO[str] | None = None,
        interval: float = 2.0,
        live: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.interval = interval
        self.live = (self.stream.isatty() if live is None else live) and has_rich()
        self.last = Progress(Counts(), 0, 0, 0.0)
        self._started = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    # -- engine callbacks -------------------------------------------------------------------

    def update(self, progress: Progress) -> None:
        self.last = progress
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=progress.done,
                rate=self._rate(),
                counts=self._rich_counts(progress.counts),
            )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Reporter]:
        """Show progress while the block runs; the final line (or bar state) at its end."""
        self._started = time.perf_counter()
        if self.live:
            self._start_bar()
            try:
                yield self
            finally:
                done = self.last.done
                self._bar.update(self._task, completed=done, total=max(done, self.total or 0))
                self._bar.stop()
            return
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._ticker)
            try:
                yield self
            finally:
                tasks.cancel_scope.cancel()
        self.total = self.last.done  # the estimate was only an estimate
        self._line()

    async def _ticker(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            self._line()

    def _line(self) -> None:
        p = self.last
        of = f"/{self.total}" if self.total is not None else ""
        retries = f"  retries {p.retries}" if p.retries else ""
        print(
            f"{self.label}: {p.done}{of} items  {_counts_text(p.counts)}{retries}  "
            f"({self._rate():.0f} items/s, {self._elapsed():.1f} s)",
            file=self.stream,
            flush=True,
        )

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} items/s"),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=Console(file=self.stream),
        )
        self._task = self._bar.add_task(
            self.label, total=self.total, rate=0.0, counts=self._rich_counts(Counts())
        )
        self._bar.start()

    def _rich_counts(self, counts: Counts) -> str:
        return " ".join(
            f"[{STATE_STYLES[state]}]{state} {getattr(counts, state)}[/]"
            for state in STATES
            if getattr(counts, state) or state == "accepted"
        )

    def _elapsed(self) -> float:
        return time.perf_counter() - self._started

    def _rate(self) -> float:
        elapsed = self._elapsed()
        return self.last.done / elapsed if elapsed > 0 else 0.0


# -- summary ---------------------------------------------------------------------------------


def summary_rows(result: BulkResult) -> list[tuple[str, str]]:
    rate = result.total / result.elapsed if result.elapsed > 0 else 0.0
    rows: list[tuple[str, str]] = [(s, str(getattr(result, s))) for s in STATES]
    rows.append(("total", str(result.total)))
    if result.skipped:
        rows.append(("accepted by an earlier run (journal)", str(result.skipped)))
    rows += [
        ("requests", str(result.requests)),
        ("retries", str(result.retries)),
        ("elapsed", f"{result.elapsed:.2f} s ({rate:.0f} items/s)"),
    ]
    return rows


def print_summary(result: BulkResult, title: str, stream: IO[str] | None = None) -> None:
    """The counts per state, requests, retries and throughput, as a table."""
    stream = stream or sys.stdout
    rows = summary_rows(result)
    if has_rich():
        from rich.console import Console
        from rich.table import Table

        console = Console(file=stream)
        console.print(title, markup=False, highlight=False)
        table = Table(show_header=False)
        table.add_column("what")
        table.add_column("count", justify="right")
        for name, value in rows:
            style = STATE_STYLES.get(name) if value != "0" else None
            table.add_row(name, value, style=style)
        console.print(table)
        return
    width = max(len(name) for name, _ in rows)
    print(title, file=stream)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}", file=stream)
