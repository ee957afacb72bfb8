"""Shards: the planner's line-aligned ranges, the JSON spec, keys from the worker's
environment, `sync_shard` against a served emulator, per-account slots, and the fold."""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from conftest import billing_item
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import neofin_async as nf
from neofin_async.cli._sample import BILLING_COLUMNS, billings
from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator
from neofin_async.exports import ReadOptions, ReadSettings, Records, fields_of, write_records
from neofin_async.sharding import (
    PROVIDERS,
    FileRange,
    InlineRows,
    ShardResult,
    ShardSpec,
    ShardTarget,
    TenantBusy,
    fold,
    plan_file,
    split_file,
    sync_shard,
    tenant_slot,
)
from neofin_async.sharding._input import shard_items

UPSERTS = "POST /billing/"


def write_billings(
    path: Path, count: int, *, seed: int = 7, broken: dict[int, str] | None = None
) -> None:
    """`count` valid sample billings as CSV; `broken` replaces the amount of some rows."""
    rows: Iterator[dict[str, Any]] = billings(count, seed)
    if broken:
        rows = ({**row, "amount": broken.get(n, row["amount"])} for n, row in enumerate(rows))
    with open(path, "w", encoding="utf-8", newline="") as file:
        write_records(rows, BILLING_COLUMNS, file, "csv")


def comparable(record: Any) -> Any:
    if isinstance(record, nf.InvalidItemError):  # exceptions compare by identity
        return ("invalid", record.errors, record.integration_identifier)
    return record


BILLINGS = fields_of("billings")


async def read_shards(parts: list[FileRange]) -> list[tuple[Any, int | None]]:
    """Every record of every shard (as `Sourced` items, loaded), with its line in the whole
    file."""
    read: list[tuple[Any, int | None]] = []
    for part in parts:
        async with shard_items(part, BILLINGS, digests=True) as shard:
            loaded = [item.load() async for item in shard.items]  # type: ignore[union-attr]
            read += [(comparable(item), shard.line_of(n)) for n, item in enumerate(loaded)]
    return read


def whole(path: Path, read: ReadSettings | None = None) -> list[tuple[Any, int | None]]:
    """Every record of the file read at once, with its line."""
    settings = (read or ReadSettings()).model_dump()
    records = Records(ReadOptions(path=str(path), **settings), BILLINGS)
    return [(comparable(item), records.line_of(n)) for n, item in enumerate(records)]


# -- the planner --------------------------------------------------------------------------------


async def test_shards_cover_every_record_once_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_billings(path, 1000)
    parts = split_file(str(path), 8)
    assert len(parts) == 8
    data = path.read_bytes()
    assert parts[0].start == data.index(b"\n") + 1 == parts[0].head
    for before, after in itertools.pairwise(parts):
        assert before.end == after.start and data[after.start - 1 : after.start] == b"\n"
    assert parts[-1].end == len(data)
    assert await read_shards(parts) == whole(path)


CELL = st.text(alphabet='ab ,;"\n\r', max_size=12)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(st.tuples(CELL, CELL), max_size=40),
    shards=st.integers(1, 9),
    bom=st.booleans(),
    sep=st.booleans(),
)
async def test_quoted_line_breaks_are_never_cut(
    tmp_path: Path, cells: list[tuple[str, str]], shards: int, bom: bool, sep: bool
) -> None:
    """Cells holding line breaks and quotes, as Python's csv (and Excel) writes them, after
    a BOM and Excel's `sep=` line or not: the shards read exactly the records, and lines, of
    the whole file."""
    text = io.StringIO()
    if bom:
        text.write("\ufeff")
    if sep:
        text.write("sep=,\r\n")
    writer = csv.writer(text)  # lines end with \r\n, cells with \r or \n are quoted
    writer.writerow(["integration_identifier", "description", "nfe_number"])
    for number, (description, nfe) in enumerate(cells):
        writer.writerow([f"ID-{number}", description, nfe])
    path = tmp_path / "q.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    parts = split_file(str(path), shards)
    assert await read_shards(parts) == whole(path)


def test_an_excel_sep_line_goes_with_the_header_to_every_shard(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_billings(path, 50)
    body = path.read_bytes()
    path.write_bytes(b"sep=,\r\n" + body)
    parts = split_file(str(path), 3)
    assert {p.head for p in parts} == {len(b"sep=,\r\n") + body.index(b"\n") + 1}
    assert parts[0].first_line == 3


async def test_json_lines_have_no_header(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    text = io.StringIO()
    write_records(billings(100, 3), BILLING_COLUMNS, text, "jsonl")
    path.write_text(text.getvalue(), encoding="utf-8")
    parts = split_file(str(path), 3)
    assert [p.head for p in parts] == [0, 0, 0] and parts[0].start == 0
    assert parts[0].read.format == "jsonl"
    assert await read_shards(parts) == whole(path)


def test_a_short_file_gives_fewer_shards(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_billings(path, 3)
    assert len(split_file(str(path), 8)) == 3
    path.write_text("integration_identifier,amount\n", encoding="utf-8")
    (only,) = split_file(str(path), 8)
    assert only.start == only.end == only.size


async def test_a_file_changed_since_planning_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_billings(path, 10)
    (part,) = split_file(str(path), 1)
    path.write_bytes(path.read_bytes() + b"ERP-X,1\n")
    with pytest.raises(nf.ConfigurationError, match="changed, plan the shards again"):
        async with shard_items(part, BILLINGS):
            pass


# -- the spec -----------------------------------------------------------------------------------


def test_a_spec_travels_as_json(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_billings(path, 20)
    (spec,) = plan_file(
        str(path),
        1,
        read=ReadSettings(amount_unit="centavos"),
        resource="billings",
        target={"environment": "sandbox"},
        journal="postgresql://sync@db.internal/neofin",
        tenant="acme-co",
        options={"concurrency": 4, "detect_duplicates": True},
    )
    carried = json.loads(json.dumps(spec.model_dump(mode="json")))
    assert ShardSpec.model_validate(carried) == spec
    assert isinstance(spec.input, FileRange) and spec.input.path == str(path)


@pytest.mark.parametrize(
    "change",
    [
        {"api_key": "sk-live-123"},
        {"target": {"base_url": "http://x", "secret_key": "sk-live-123"}},
        {"options": {"concurrency": 2, "on_progress": "x"}},
    ],
)
def test_a_spec_carries_nothing_else(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted") as caught:
        ShardSpec.model_validate({"resource": "billings", "input": {"rows": []}, **change})
    assert "sk-live-123" not in str(caught.value)


def test_a_journal_password_is_refused_without_echoing_it() -> None:
    for journal in (
        "postgresql://sync:hunter2@db/neofin",
        "postgresql://db/neofin?password=hunter2",
    ):
        with pytest.raises(ValidationError, match="PGPASSWORD") as caught:
            ShardSpec(resource="billings", input=InlineRows(rows=[]), journal=journal)
        assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("tenant", ["", "-acme", "acme co", "ação", "a" * 64])
def test_tenant_names_are_checked(tenant: str) -> None:
    with pytest.raises(ValidationError, match="tenant"):
        ShardSpec(resource="billings", input=InlineRows(rows=[]), tenant=tenant)


# -- keys from the worker's environment ----------------------------------------------------------


NEOFIN = PROVIDERS["neofin"]


def test_a_tenant_reads_its_own_variables() -> None:
    environ = {
        "NEOFIN_ACME_CO_API_KEY": "ak-acme",
        "NEOFIN_ACME_CO_SECRET_KEY": "sk-acme",
        "NEOFIN_API_KEY": "ak-default",
        "NEOFIN_SECRET_KEY": "sk-default",
    }
    assert NEOFIN.credentials_for("acme-co", environ) == {
        "api_key": "ak-acme",
        "secret_key": "sk-acme",
    }
    assert NEOFIN.credentials_for("other", environ) == {
        "api_key": "ak-default",
        "secret_key": "sk-default",
    }
    assert NEOFIN.credentials_for(None, environ)["api_key"] == "ak-default"


def test_a_partial_set_is_refused_never_mixed_with_the_default() -> None:
    environ = {"NEOFIN_ACME_API_KEY": "ak-acme", "NEOFIN_SECRET_KEY": "sk-default"}
    with pytest.raises(nf.ConfigurationError, match="NEOFIN_ACME_SECRET_KEY is not set") as caught:
        NEOFIN.credentials_for("acme", environ)
    assert "ak-acme" not in str(caught.value) and "sk-default" not in str(caught.value)
    with pytest.raises(nf.ConfigurationError, match="no keys for tenant acme"):
        NEOFIN.credentials_for("acme", {"NEOFIN_API_KEY": "ak-default"})


async def test_unknown_provider_or_resource() -> None:
    with pytest.raises(nf.ConfigurationError, match="unknown provider 'stripe'"):
        await sync_shard({"provider": "stripe", "resource": "billings", "input": {"rows": []}})
    with pytest.raises(nf.ConfigurationError, match="no bulk resource 'invoices'"):
        await sync_shard({"resource": "invoices", "input": {"rows": []}})


# -- sync_shard against a served emulator ----------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, str]]:
    """An emulator on a real socket; the default keys in the environment, as a worker has."""
    monkeypatch.setenv("NEOFIN_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("NEOFIN_SECRET_KEY", DEFAULT_SECRET_KEY)
    emulator = Emulator()
    with emulator.serving() as server:
        yield emulator, server.base_url


async def test_every_shard_of_a_file_with_lines_in_errors_then_a_rerun_sends_nothing(
    tmp_path: Path, served: tuple[Emulator, str], postgres_url: str
) -> None:
    emulator, base_url = served
    path = tmp_path / "b.csv"
    write_billings(path, 600, broken={10: "-5", 333: "abc", 590: "0"})
    specs = plan_file(
        str(path), 4, resource="billings", target={"base_url": base_url}, journal=postgres_url
    )
    results = [await sync_shard(spec.model_dump(mode="json")) for spec in specs]
    report = fold(results, len(specs))
    assert (report.total, report.accepted, report.invalid) == (600, 597, 3)
    assert [(e.index, e.line) for e in report.errors] == [(10, 12), (333, 335), (590, 592)]
    assert len(emulator.billings) == 597
    requests = emulator.request_counts[UPSERTS]

    again = fold([await sync_shard(spec) for spec in reversed(specs)], len(specs))
    assert (again.total, again.accepted, again.unchanged, again.invalid) == (600, 597, 597, 3)
    assert again.requests == 0 and emulator.request_counts[UPSERTS] == requests


async def test_inline_rows_and_a_tenant_with_its_own_keys(
    served: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, base_url = served
    emulator.configure(api_key="ak-acme", secret_key="sk-acme")
    spec = ShardSpec(
        resource="billings",
        input=InlineRows(rows=[billing_item(integration_identifier=f"IN-{n}") for n in range(7)]),
        target=ShardTarget(base_url=base_url),
        tenant="acme",
    )
    refused = await sync_shard(spec)  # the default keys are not acme's
    assert refused.not_sent + refused.failed == 7 and "refused" in (refused.stopped_by or "")
    monkeypatch.setenv("NEOFIN_ACME_API_KEY", "ak-acme")
    monkeypatch.setenv("NEOFIN_ACME_SECRET_KEY", "sk-acme")
    result = await sync_shard(spec)
    assert result.ok and result.total == 7 and result.errors == []
    assert sorted(emulator.billings) == [f"IN-{n}" for n in range(7)]


async def test_errors_listed_are_bounded_but_all_counted(served: tuple[Emulator, str]) -> None:
    _, base_url = served
    rows = [billing_item(integration_identifier=f"BAD-{n}", amount=-1) for n in range(30)]
    spec = ShardSpec(
        resource="billings",
        input=InlineRows(rows=rows),
        target=ShardTarget(base_url=base_url),
        max_errors=5,
        shard=3,
    )
    result = await sync_shard(spec)
    assert result.invalid == 30 and len(result.errors) == 5 and result.errors_omitted == 25
    assert [e.index for e in result.errors] == [0, 1, 2, 3, 4] and result.shard == 3


async def test_a_row_that_is_not_csv_is_invalid_alone_named_by_its_line(
    tmp_path: Path, served: tuple[Emulator, str]
) -> None:
    """As in a single run: the row is refused, naming the file's own line, the rest goes."""
    emulator, base_url = served
    path = tmp_path / "b.csv"
    write_billings(path, 40)
    lines = path.read_bytes().split(b"\n")
    lines[30] = lines[30].replace(b",", b",\r", 1)  # line 31: a bare carriage return
    path.write_bytes(b"\n".join(lines))
    specs = plan_file(str(path), 2, resource="billings", target={"base_url": base_url})
    assert specs[1].input.first_line < 31  # type: ignore[union-attr]
    report = fold([await sync_shard(spec) for spec in specs], len(specs))
    assert (report.total, report.accepted, report.invalid) == (40, 39, 1)
    (bad,) = report.errors
    assert (bad.line, bad.index, bad.shard) == (31, 29, 1)
    assert "is not valid CSV: new-line character seen in unquoted field" in bad.reason
    assert len(emulator.billings) == 39


ROOT = Path(__file__).resolve().parents[1]
ERP_READ = ReadSettings(
    encoding="cp1252",
    amount_unit="reais",
    columns=json.loads((ROOT / "examples/data/erp_billings.columns.json").read_text("utf-8")),
)


async def test_an_erp_export_is_read_by_shards_with_every_reading_option(tmp_path: Path) -> None:
    """cp1252, Excel's `sep=;`, Portuguese headers mapped, reais, day-first dates: the shards
    read what one reader of the whole file reads, with the file's own lines."""
    path = tmp_path / "erp.csv"
    path.write_bytes((ROOT / "examples/data/erp_billings.csv").read_bytes())
    parts = split_file(str(path), 5, ERP_READ)
    assert len(parts) == 5 and parts[0].first_line == 3 and parts[0].read.format == "csv"
    read = await read_shards(parts)
    assert read == whole(path, ERP_READ)
    assert len(read) == 40 and all(isinstance(r, dict) for r, _ in read)
    assert read[0][0]["amount"] == 869450 and str(read[0][0]["due_date"]) == "2027-05-09"


async def test_every_reading_option_travels_in_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text(
        "Pedido,customer_document,Valor,Vencimento,installment_type,installments,type,Obs\n"
        "P-1,51491769000190,12.5,20300115,monthly,1,pix,x\n",
        encoding="utf-8",
    )
    read = ReadSettings(
        format="csv",
        amount_unit="reais",
        date_format="%Y%m%d",
        columns={"Pedido": "integration_identifier", "Valor": "amount", "Vencimento": "due_date"},
        ignore_unknown_columns=True,
    )
    (spec,) = plan_file(str(path), 1, read=read, resource="billings")
    carried = ShardSpec.model_validate(json.loads(json.dumps(spec.model_dump(mode="json"))))
    assert carried.input.read == read  # type: ignore[union-attr]
    async with shard_items(carried.input, BILLINGS) as shard:
        (item,) = [s.load() async for s in shard.items]  # type: ignore[union-attr]
        assert shard.ignored_columns == ("Obs",)
    assert (item["amount"], str(item["due_date"])) == (1250, "2030-01-15")


def test_the_header_is_checked_when_planning(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_billings(path, 5)
    path.write_bytes(path.read_bytes().replace(b"amount", b"Valor", 1))
    with pytest.raises(nf.ConfigurationError, match=r"'Valor'.*--ignore-unknown-columns"):
        plan_file(str(path), 2, resource="billings")
    with pytest.raises(nf.ConfigurationError, match="'amout' is not a billing field"):
        plan_file(str(path), 2, read=ReadSettings(columns={"Valor": "amout"}), resource="billings")
    path.write_text("integration_identifier\nA\n", encoding="utf-16")
    with pytest.raises(nf.ConfigurationError, match="UTF-16 or UTF-32 file cannot be cut"):
        plan_file(str(path), 2, resource="billings")


async def test_a_rerun_skips_unchanged_rows_without_parsing_them(
    tmp_path: Path,
    served: tuple[Emulator, str],
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Sourced fast path: with the shared journal, a re-run parses only the rows whose
    bytes changed (here 3 of 300), and sends only those."""
    emulator, base_url = served
    path = tmp_path / "b.csv"
    write_billings(path, 300)
    spec = {"resource": "billings", "target": {"base_url": base_url}, "journal": postgres_url}
    first = fold([await sync_shard(s) for s in plan_file(str(path), 3, **spec)], 3)
    assert first.accepted == 300
    write_billings(path, 300, broken={5: "777", 150: "778", 299: "779"})
    parsed: list[int] = []
    load = Records._load

    def counting(self: Records, *args: Any) -> Any:
        parsed.append(1)
        return load(self, *args)

    monkeypatch.setattr(Records, "_load", counting)
    requests = emulator.request_counts[UPSERTS]
    again = fold([await sync_shard(s) for s in plan_file(str(path), 3, **spec)], 3)
    assert (again.accepted, again.unchanged, again.requests) == (300, 297, 3)
    assert len(parsed) == 3 and emulator.request_counts[UPSERTS] == requests + 3
    assert emulator.billings["ERP-000151"].data["amount"] == 778


# -- per-account slots ----------------------------------------------------------------------------


async def test_at_most_limit_shards_of_an_account_at_once(postgres_url: str) -> None:
    running, most = 0, 0

    async def shard() -> None:
        nonlocal running, most
        async with tenant_slot(postgres_url, "acct-limit-test", 2, wait=30):
            running += 1
            most = max(most, running)
            await anyio.sleep(0.3)
            running -= 1

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(shard)
    assert most == 2


HOLDER = """
import anyio, sys
from neofin_async.sharding import tenant_slot
async def main():
    async with tenant_slot(sys.argv[1], "acct-dead-test", 1, wait=5):
        print("held", flush=True)
        await anyio.sleep(60)
anyio.run(main)
"""


async def test_a_full_account_is_busy_and_a_dead_holder_frees_its_slot(postgres_url: str) -> None:
    command = [sys.executable, "-c", HOLDER, postgres_url]
    async with await anyio.open_process(command) as holder:  # takes the only slot, then hangs
        assert holder.stdout is not None
        output = BufferedByteReceiveStream(holder.stdout)
        assert await output.receive_until(b"\n", 100) == b"held"
        with pytest.raises(TenantBusy, match="all 1 slots of acct-dead-test are taken"):
            async with tenant_slot(postgres_url, "acct-dead-test", 1, wait=0.5):
                pass
        holder.kill()  # SIGKILL: no clean-up code runs; the server sees the socket close
        await holder.wait()
    started = time.monotonic()
    async with tenant_slot(postgres_url, "acct-dead-test", 1, wait=10) as slot:
        assert slot == 0
    assert time.monotonic() - started < 5


async def test_a_limit_needs_a_postgres_journal() -> None:
    spec = ShardSpec(resource="billings", input=InlineRows(rows=[]), tenant_limit=2)
    with pytest.raises(nf.ConfigurationError, match="tenant_limit needs a postgresql://"):
        await sync_shard(spec)


# -- the fold -----------------------------------------------------------------------------------


def shard_result(shard: int, accepted: int, errors: list[tuple[int, int]]) -> ShardResult:
    return ShardResult.model_validate(
        {
            "shard": shard,
            "accepted": accepted,
            "invalid": len(errors),
            "elapsed": 1.0 + shard,
            "errors": [
                {
                    "index": i,
                    "line": line,
                    "key": None,
                    "state": "invalid",
                    "reason": "x",
                    "shard": shard,
                }
                for i, line in errors
            ],
        }
    )


def test_fold_adds_up_in_plan_order_and_counts_a_shard_once() -> None:
    results = [
        shard_result(2, 10, [(0, 40)]),
        shard_result(0, 9, [(4, 6)]),
        shard_result(1, 10, []),
        shard_result(0, 9, [(4, 6)]),  # delivered twice
    ]
    report = fold(results, 3)
    assert (report.total, report.accepted, report.invalid) == (31, 29, 2)
    assert [(e.index, e.line, e.shard) for e in report.errors] == [(4, 6, 0), (20, 40, 2)]
    assert report.missing == [] and report.elapsed == 3.0
    result = report.to_bulk_result()
    assert (result.total, result.accepted, result.stopped_by) == (31, 29, None)
    assert report.line_of(20) == 40


def test_fold_names_a_missing_shard() -> None:
    report = fold([shard_result(0, 5, []), shard_result(2, 5, [(1, 9)])], 3)
    assert report.missing == [1] and report.errors[0].index is None
    assert "no result from shard(s) 1" in str(report.to_bulk_result().stopped_by)
