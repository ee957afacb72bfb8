"""The notebook helpers, and examples/notebook.ipynb executed in a real Jupyter kernel."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import neofin_async as nf
from neofin_async.bulk import Counts, ItemError
from neofin_async.contrib.notebook import ProgressBar, Table, result_table

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"


def progress(accepted: int, invalid: int = 0, requests: int = 1) -> nf.Progress:
    return nf.Progress(Counts(accepted=accepted, invalid=invalid), requests, 0, 0.25)


# -- the helpers ---------------------------------------------------------------------------


class Displays:
    """Stands in for IPython.display: records shown and updated objects as HTML."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.updates: list[str] = []

    def display(self, obj: Any, display_id: bool = False) -> Displays:
        assert display_id
        self.shown.append(obj._repr_html_())
        return self

    def update(self, obj: Any) -> None:
        self.updates.append(obj._repr_html_())


@pytest.fixture
def displays(monkeypatch: pytest.MonkeyPatch) -> Displays:
    display = pytest.importorskip("IPython.display")
    recorder = Displays()
    monkeypatch.setattr(display, "display", recorder.display)
    return recorder


async def test_the_bar_is_drawn_once_then_updated_in_place_and_ends_exact(
    displays: Displays,
) -> None:
    bar = ProgressBar(total=120, interval=0.05)
    bar(progress(50))
    bar(progress(100, requests=2))  # within the interval: deferred
    assert len(displays.shown) == 1 and displays.updates == []
    assert '<progress value="50" max="120"' in displays.shown[0]
    await asyncio.sleep(0.1)  # the trailing redraw shows the deferred state
    assert len(displays.updates) == 1 and 'value="100"' in displays.updates[0]
    bar(progress(118, invalid=2, requests=3))  # the total: drawn at once
    assert len(displays.updates) == 2
    assert '<progress value="120" max="120"' in displays.updates[-1]
    assert "120/120 items: 118 accepted, 2 invalid · 3 requests, 0 retries" in repr(bar)


def test_without_a_total_the_bar_is_indeterminate_and_html_is_escaped(
    displays: Displays,
) -> None:
    bar = ProgressBar()
    assert repr(bar) == "0 items"
    bar(progress(50))
    assert "<progress style=" in displays.shown[0] and "max=" not in displays.shown[0]
    table = Table([{"a": "<b>", "b": None}], caption="x & y")
    assert table._repr_html_() == (
        "<table><caption>x &amp; y</caption><thead><tr><th>a</th><th>b</th></tr></thead>"
        "<tbody><tr><td>&lt;b&gt;</td><td></td></tr></tbody></table>"
    )


def test_tables_take_mappings_or_models_and_print_aligned() -> None:
    billing = nf.Billing(integration_identifier="order-1", status="pending", amount=15000)
    table = Table(
        [billing, {"integration_identifier": "order-22", "status": "paid"}],
        ["integration_identifier", "status", "amount"],
    )
    assert repr(table).splitlines() == [
        "integration_identifier  status   amount",
        "order-1                 pending  15000",
        "order-22                paid",
    ]
    assert repr(Table([])) == ""


def test_result_table_summarises_and_lists_the_items_not_accepted() -> None:
    result = nf.BulkResult(counts=Counts(accepted=8, invalid=1, failed=1), requests=2, elapsed=1.5)
    result.errors = [
        ItemError(7, "order-7", "failed", "server error"),
        ItemError(3, "order-3", "invalid", "amount: must be > 0"),
    ]
    table = result_table(result, max_errors=1)
    assert table.caption == (
        "10 items: 8 accepted, 1 invalid, 1 failed · 2 requests, 0 retries · 1.50 s"
        " (first 1 of 2 shown)"
    )
    assert table.rows == [
        {
            "index": 3,
            "integration_identifier": "order-3",
            "status": "invalid",
            "message": "amount: must be > 0",
            "errors": {},
        }
    ]
    assert table.columns == ["index", "integration_identifier", "status", "message"]


# -- examples/notebook.ipynb ---------------------------------------------------------------


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = json.loads(NOTEBOOK.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)


def output(cell: Any, output_type: str, mime: str = "text/html") -> str:
    [shown] = [o for o in cell.outputs if o.output_type == output_type]
    return "".join(shown["data"][mime])


def test_the_notebook_runs_in_a_jupyter_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no path-migration warning
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    kernelspec = pytest.importorskip("ipykernel.kernelspec")
    from jupyter_client.kernelspec import KernelSpecManager

    # A kernel spec of this very interpreter, found first on JUPYTER_PATH: the kernel imports
    # this checkout whatever other Python kernels the machine has.
    kernelspec.write_kernel_spec(tmp_path / "kernels" / "neofin-test")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert KernelSpecManager().get_kernel_spec("neofin-test").argv[0] == sys.executable

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook,
        kernel_name="neofin-test",
        timeout=60,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    progress_cell = next(c for c in cells if "ProgressBar(total" in c.source)
    bar = output(progress_cell, "display_data")
    assert '<progress value="500" max="500"' in bar  # updated in place to the end
    text = output(progress_cell, "display_data", "text/plain")
    assert text.startswith("500/500 items: 498 accepted, 2 invalid")
    table = output(progress_cell, "execute_result")
    assert table.startswith("<table><caption>500 items: 498 accepted, 2 invalid")
    assert "<td>nb-0042</td><td>invalid</td>" in table
    assert "<td>nb-0099</td><td>invalid</td>" in table

    confirm_cell = next(c for c in cells if "confirm(" in c.source)
    assert "498 confirmed, 0 missing" in "".join(o.get("text", "") for o in confirm_cell.outputs)
    billings_cell = next(c for c in cells if c.source.startswith("found ="))
    assert output(billings_cell, "execute_result").count("<td>pending</td>") == 5
