"""Jupyter helpers: a live progress bar for bulk runs, and results as HTML tables.

    bar = ProgressBar(total=len(billings))
    result = await client.billings.bulk_upsert(billings, on_progress=bar)
    result_table(result)        # the last expression of a cell renders as a table

Both render as HTML in Jupyter (classic, Lab, VS Code) and as text elsewhere. They need only
IPython, which every Jupyter kernel has; it is imported when a bar is first drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import importlib
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..bulk import STATES, BulkResult, Progress

__all__ = ["ProgressBar", "Table", "result_table"]


def _summary(counts: Mapping[str, int], requests: int, retries: int, elapsed: float) -> str:
    states = ", ".join(f"{counts[state]} {state}" for state in STATES if counts[state])
    return f"{states or 'nothing yet'} · {requests} requests, {retries} retries · {elapsed:.2f} s"


class ProgressBar:
    """An `on_progress` callback drawing a bar and the counts per state, updated in place.

    `total` (the number of items, when known) gives the bar its length. Redraws happen at
    most every `interval` seconds; the last state is always drawn, so the bar ends exact.
    """

    def __init__(self, total: int | None = None, *, interval: float = 0.2) -> None:
        self.total = total
        self.interval = interval
        self.latest: Progress | None = None
        self._handle: Any = None  # IPython's DisplayHandle, once shown
        self._drawn_at = -float("inf")
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, progress: Progress) -> None:
        self.latest = progress
        wait = self._drawn_at + self.interval - time.monotonic()
        if wait <= 0 or progress.done == self.total:
            self.draw()
        elif self._timer is None:
            # A trailing redraw, so the final state shows even when throttled; without a
            # running asyncio loop the next call draws.
            with contextlib.suppress(RuntimeError):
                self._timer = asyncio.get_running_loop().call_later(wait, self.draw)

    def draw(self) -> None:
        """Draw the latest state now."""
        display = importlib.import_module("IPython.display").display  # typed or not: Any
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._drawn_at = time.monotonic()
        if self._handle is None:
            self._handle = display(self, display_id=True)
        else:
            self._handle.update(self)

    def __repr__(self) -> str:
        p = self.latest
        of = f"/{self.total}" if self.total is not None else ""
        if p is None:
            return f"0{of} items"
        summary = _summary(p.counts.as_dict(), p.requests, p.retries, p.elapsed)
        return f"{p.done}{of} items: {summary}"

    def _repr_html_(self) -> str:
        done = self.latest.done if self.latest is not None else 0
        length = f' value="{done}" max="{self.total}"' if self.total else ""  # indeterminate
        return (
            f'<div style="font-family: monospace"><progress{length} style="width: 30ch;'
            f' vertical-align: middle"></progress> {html.escape(repr(self))}</div>'
        )


class Table:
    """Rows (mappings or pydantic models) shown as an HTML table, or aligned text.

    `columns` picks and orders the columns (default: the keys of the first row).
    """

    def __init__(
        self,
        rows: Iterable[Mapping[str, Any] | Any],
        columns: Sequence[str] | None = None,
        *,
        caption: str = "",
    ) -> None:
        self.rows = [row if isinstance(row, Mapping) else row.model_dump() for row in rows]
        self.columns = list(columns or (self.rows[0] if self.rows else ()))
        self.caption = caption

    def _cells(self) -> list[list[str]]:
        return [
            ["" if row.get(c) is None else str(row.get(c)) for c in self.columns]
            for row in self.rows
        ]

    def __repr__(self) -> str:
        cells = [self.columns, *self._cells()]
        widths = [max(len(line[i]) for line in cells) for i in range(len(self.columns))]
        lines = [
            "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
            for line in cells
        ]
        return "\n".join([self.caption, *lines] if self.caption else lines)

    def _repr_html_(self) -> str:
        def row(tag: str, values: list[str]) -> str:
            return "<tr>" + "".join(f"<{tag}>{html.escape(v)}</{tag}>" for v in values) + "</tr>"

        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        body = "".join(row("td", values) for values in self._cells())
        return (
            f"<table>{caption}<thead>{row('th', self.columns)}</thead><tbody>{body}</tbody></table>"
        )


def result_table(result: BulkResult, *, max_errors: int = 20) -> Table:
    """A bulk run's summary (the caption) and its first `max_errors` items not accepted."""
    errors = sorted(result.errors, key=lambda error: error.index)
    shown = errors[:max_errors]
    more = f" (first {len(shown)} of {len(errors)} shown)" if len(errors) > len(shown) else ""
    counts = result.counts.as_dict()
    summary = _summary(counts, result.requests, result.retries, result.elapsed)
    return Table(
        [error.to_dict() for error in shown],
        ["index", "integration_identifier", "status", "message"],
        caption=f"{result.total} items: {summary}{more}",
    )
