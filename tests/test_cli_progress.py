"""Progress a person can read: within 80 columns, an ETA, a rate of items answered; and
`sample` streams its output."""

from __future__ import annotations

import io
import itertools
import re
import time
import tracemalloc

import pytest
from rich.console import Console

from neofin_async.bulk import BulkResult, Counts, Progress
from neofin_async.cli import _sample
from neofin_async.cli._progress import Reporter, print_summary


def reporter(
    counts: Counts, *, total: tuple[int, bool] | None, elapsed: float, retries: int = 0
) -> Reporter:
    shown = Reporter("billings", estimate=lambda: total, stream=io.StringIO(), live=False)
    shown.update(Progress(counts, 100, retries, elapsed))
    shown._started = time.perf_counter() - elapsed  # as if the run began `elapsed` s ago
    return shown


def rendered(shown: Reporter, width: int = 80) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)
    console.print(shown.render())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize(
    "counts",
    [
        Counts(accepted=451_200, rejected=12, invalid=488),
        Counts(accepted=999_999, rejected=999_999, invalid=999_999, failed=999_999),
    ],
)
def test_the_live_view_fits_80_columns_and_cuts_nothing(counts: Counts) -> None:
    shown = reporter(counts, total=(4_000_000, False), elapsed=3725.0, retries=1234)
    lines = rendered(shown)
    assert all(len(line) <= 80 for line in lines), lines
    text = "\n".join(lines)
    assert f"{counts.total:,}/~4,000,000" in text
    assert re.search(r"ETA \d+:\d\d:\d\d", text)
    for state in ("accepted", "rejected", "invalid", "failed"):
        count = getattr(counts, state)
        assert (f"{state} {count:,}" in text) == bool(count)
    assert "retries 1,234" in text and "elapsed 1:02:05" in text
    assert "━" in lines[0]  # the bar is there, not squeezed out


def test_the_summary_title_is_one_line_whatever_its_length() -> None:
    title = "customers from /" + "d/" * 60 + "x.csv -> the Piriod emulator at http://127.0.0.1:1"
    out = io.StringIO()
    print_summary(BulkResult(), title, out)
    assert out.getvalue().splitlines()[0] == title


def test_the_rate_counts_items_answered_not_those_never_sent() -> None:
    counts = Counts(accepted=300, rejected=50, invalid=40, failed=50, not_sent=100_000)
    shown = reporter(counts, total=(100_440, True), elapsed=10.0)
    assert shown.rate() == pytest.approx(40.0, rel=0.05)  # (300 + 50 + 50) / 10 s
    shown.skipped = 200  # accepted by an earlier run: never sent
    assert shown.rate() == pytest.approx(20.0, rel=0.05)
    assert shown.eta() is None  # not_sent: the run is stopping, no time left to guess


def test_the_eta_comes_from_the_pace_so_far_and_the_estimate() -> None:
    shown = reporter(Counts(accepted=250), total=(1000, False), elapsed=10.0)
    assert shown.eta() == pytest.approx(30.0, rel=0.05)
    line = shown.line()
    assert line.startswith("billings: 250/~1000 items  accepted 250  (25 items/s, ETA 0:00:30")
    unknown = reporter(Counts(accepted=250), total=None, elapsed=10.0)
    assert unknown.eta() is None and "ETA" not in unknown.line()
    assert unknown.line().startswith("billings: 250 items  accepted 250")
    assert "ETA -:--:--" in "\n".join(rendered(unknown))


def test_sample_billings_streams_a_large_count() -> None:
    identifiers, documents = set(), set()
    tracemalloc.start()
    try:
        for row in itertools.islice(_sample.billings(10_000_000, seed=1), 20_000):
            identifiers.add(row["integration_identifier"])
            documents.add(row["customer_document"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(identifiers) == 20_000
    assert peak < 10 * 1024 * 1024  # a pool of every customer would be ~1 GB here
    assert 500 < len(documents) < 20_000  # customers repeat
