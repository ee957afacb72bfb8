"""Progress while items are sent (a rich bar on a terminal, plain lines otherwise) and the
summary at the end (a rich table when rich is installed, plain text otherwise)."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import IO, TYPE_CHECKING

import anyio

from ..bulk import STATES, BulkResult, Counts, Progress

if TYPE_CHECKING:
    from rich.console import RenderableType

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


def answered(counts: Counts, skipped: int = 0) -> int:
    """Items sent and answered (accepted, rejected or failed), not those never sent."""
    return counts.accepted - skipped + counts.rejected + counts.failed


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


class Reporter:
    """Receives the bulk engine's progress; shows it on `stream` while the run is open.

    On a terminal (and with rich installed): a bar, the count done of the (estimated) total,
    the rate of items answered and the time left, then the counts per state on a second line,
    within 80 columns. Otherwise: one plain line every `interval` seconds and one at the end.
    `estimate()` says how many items there are, when known: `(count, exact)` (an inexact count
    comes from the bytes read so far)."""

    def __init__(
        self,
        label: str,
        *,
        estimate: Callable[[], tuple[int, bool] | None] = lambda: None,
        stream: IO[str] | None = None,
        interval: float = 2.0,
        live: bool | None = None,
    ) -> None:
        self.label = label
        self.estimate = estimate
        self.stream = stream or sys.stderr
        self.interval = interval
        self.live = (self.stream.isatty() if live is None else live) and has_rich()
        self.last = Progress(Counts(), 0, 0, 0.0)
        self.skipped = 0
        """Items the journal found accepted before (counted accepted, never sent)."""
        self._started = time.perf_counter()
        self._final = False

    # -- engine callbacks -------------------------------------------------------------------

    def update(self, progress: Progress) -> None:
        self.last = progress
        self.skipped = progress.unchanged

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Reporter]:
        """Show progress while the block runs; the final line (or bar) at its end."""
        self._started = time.perf_counter()
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream)
            with Live(get_renderable=self.render, console=console, refresh_per_second=4):
                try:
                    yield self
                finally:
                    self._final = True
            return
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._ticker)
            try:
                yield self
            finally:
                tasks.cancel_scope.cancel()
        self._final = True
        print(self.line(), file=self.stream, flush=True)

    async def _ticker(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            print(self.line(), file=self.stream, flush=True)

    # -- what is shown ----------------------------------------------------------------------

    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def rate(self) -> float:
        """Items answered per second (journal skips, invalid and unsent items left out)."""
        elapsed = self.elapsed()
        return answered(self.last.counts, self.skipped) / elapsed if elapsed > 0 else 0.0

    def total(self) -> tuple[int, bool] | None:
        """`(items, exact)`: the total when known, else the estimate (never below the done)."""
        done = self.last.done
        if self._final:
            return done, True
        estimate = self.estimate()
        return None if estimate is None else (max(estimate[0], done), estimate[1])

    def eta(self) -> float | None:
        """Seconds left, from the pace of the items done so far (None: unknown, stopping)."""
        total, counts, elapsed = self.total(), self.last.counts, self.elapsed()
        done = self.last.done
        if total is None or counts.not_sent or done == 0 or elapsed <= 0:
            return None
        return (total[0] - done) * elapsed / done

    def _of(self, thousands: bool = False) -> str:
        """`/1000`, `/~1000` (an estimate), or nothing when unknown."""
        total = self.total()
        if total is None:
            return ""
        return ("/" if total[1] else "/~") + (f"{total[0]:,}" if thousands else str(total[0]))

    def _counts(self) -> list[tuple[str, int]]:
        counts = self.last.counts
        return [
            (state, getattr(counts, state))
            for state in STATES
            if getattr(counts, state) or state == "accepted"
        ]

    def line(self) -> str:
        """The plain progress line."""
        p = self.last
        counts = "  ".join(f"{state} {count}" for state, count in self._counts())
        retries = f"  retries {p.retries}" if p.retries else ""
        eta = self.eta()
        left = f", ETA {_clock(eta)}" if eta is not None and not self._final else ""
        return (
            f"{self.label}: {p.done}{self._of()} items  {counts}{retries}  "
            f"({self.rate():.0f} items/s{left}, {self.elapsed():.1f} s)"
        )

    def render(self) -> RenderableType:
        """The live view: a bar line and a counts line, wrapped to the console's width."""
        from rich.columns import Columns
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        p, total, eta = self.last, self.total(), self.eta()
        percent = f"{100 * p.done / total[0]:3.0f}% " if total and total[0] else ""
        left = "" if self._final else f"  ETA {_clock(eta) if eta is not None else '-:--:--'}"
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, min_width=10)
        grid.add_column(no_wrap=True, justify="right")
        grid.add_row(
            Text(self.label, style="bold"),
            ProgressBar(total=float(total[0]) if total else None, completed=p.done),
            Text(f"{percent}{p.done:,}{self._of(thousands=True)}  {self.rate():,.0f}/s{left}"),
        )
        cells = [
            Text(f"{state} {count:,}", style=STATE_STYLES[state] if count else "")
            for state, count in self._counts()
        ]
        if p.retries:
            cells.append(Text(f"retries {p.retries:,}"))
        cells.append(Text(f"elapsed {_clock(self.elapsed())}", style="dim"))
        return Group(grid, Columns(cells, padding=(0, 2)))


# -- summary ---------------------------------------------------------------------------------


def summary_rows(
    result: BulkResult, notes: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    sent = answered(result.counts, result.unchanged)
    rate = sent / result.elapsed if result.elapsed > 0 else 0.0
    rows: list[tuple[str, str]] = [(s, str(getattr(result, s))) for s in STATES]
    rows.append(("total", str(result.total)))
    if result.unchanged:
        rows.append(("unchanged, not sent (journal)", str(result.unchanged)))
    rows += [
        ("requests", str(result.requests)),
        ("retries", str(result.retries)),
        ("elapsed", f"{result.elapsed:.2f} s ({rate:.0f} items/s sent)"),
    ]
    rows += notes
    return rows


def print_summary(
    result: BulkResult,
    title: str,
    stream: IO[str] | None = None,
    notes: Sequence[tuple[str, str]] = (),
) -> None:
    """The counts per state, requests, retries and throughput, as a table."""
    stream = stream or sys.stdout
    rows = summary_rows(result, notes)
    if has_rich():
        from rich.console import Console
        from rich.table import Table

        console = Console(file=stream)
        # One line, whatever its length: a path or URL broken by inserted newlines can no
        # longer be copied or searched for (the terminal wraps it for the eye).
        console.print(title, markup=False, highlight=False, soft_wrap=True)
        table = Table(show_header=False)
        table.add_column("what")
        table.add_column("count", justify="right", overflow="fold")
        for name, value in rows:
            style = STATE_STYLES.get(name) if value != "0" else None
            table.add_row(name, value, style=style)
        console.print(table)
        return
    width = max(len(name) for name, _ in rows)
    print(title, file=stream)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}", file=stream)
