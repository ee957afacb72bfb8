"""Runs across time through the command: the nightly re-run with a journal, duplicates,
Ctrl-C, a dead host, old and foreign journal files (subprocesses)."""

from __future__ import annotations

import contextlib
import csv
import gc
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_cli import (
    HEADER,
    ROOT,
    RecordingEmulator,
    cli,
    env,
    journal_accepted,
    load,
    one_line_error,
    served,
    write_sample,
)

from neofin_async.cli import _progress, main
from neofin_async.cli._sample import BILLING_COLUMNS
from neofin_async.exports import write_records

__all__ = ["served"]  # the fixture, used by name


def rewrite(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        write_records(rows, BILLING_COLUMNS, file, "csv")


def read_rows(path: Path) -> list[dict[str, object]]:
    with open(path, encoding="utf-8", newline="") as file:
        return [dict(row) for row in csv.DictReader(file)]


# -- the nightly re-run ---------------------------------------------------------------------------


def test_a_nightly_rerun_sends_only_the_rows_that_changed(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    export, journal = tmp_path / "export.csv", tmp_path / "sync.sqlite"
    write_sample(export, 300, seed=3)
    nightly = ["upsert", "billings", str(export), "--base-url", url, "--journal", str(journal)]

    first = cli(*nightly, "--report", str(tmp_path / "night1.json"))
    assert first.returncode == 0, first.stderr
    assert len(emulator.sent_in(1)) == 300

    rows = read_rows(export)
    for row in rows[10:15]:  # five amounts edited in the ERP
        row["amount"] = str(int(str(row["amount"])) + 100)
    rows[20]["integration_identifier"] = f"  {rows[20]['integration_identifier']} "  # padding only
    rows[30]["description"] = f"{rows[30]['description']}"  # untouched
    new = [dict(rows[0], integration_identifier=f"NEW-{i}") for i in range(3)]
    rewrite(export, rows[150:] + new + rows[:150])  # reordered: positions do not matter
    emulator.phase = 2
    report = tmp_path / "night2.json"
    second = cli(*nightly, "--report", str(report))
    assert second.returncode == 0, second.stderr
    resent = emulator.sent_in(2)
    edited = {str(row["integration_identifier"]) for row in rows[10:15]}
    assert sorted(resent) == sorted(edited | {f"NEW-{i}" for i in range(3)})
    for row in rows[10:15]:
        assert emulator.billings[str(row["integration_identifier"])].data["amount"] == int(
            str(row["amount"])
        )
    data = load(report)
    assert (data["total"], data["accepted"], data["unchanged"]) == (303, 303, 295)
    assert "unchanged, not sent (journal)" in second.stdout
    summary = {
        cells[1]: cells[2]
        for line in second.stdout.splitlines()
        if len(cells := [c.strip() for c in line.split("│")]) == 4
    }
    assert summary["unchanged, not sent (journal)"] == "295"
    assert summary["requests"] == "1"  # 8 items changed: one chunk

    emulator.phase = 3
    third = cli(*nightly)
    assert third.returncode == 0 and emulator.sent_in(3) == []  # nothing changed: no request


def test_two_exports_sharing_a_journal_do_not_disturb_each_other(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    journal = tmp_path / "sync.sqlite"
    billings_file, customers_file = tmp_path / "b.csv", tmp_path / "c.jsonl"
    write_sample(billings_file, 60, seed=4)
    assert (
        cli("sample", "customers", "40", "--seed", "4", "-o", str(customers_file)).returncode == 0
    )
    for resource, path in (("billings", billings_file), ("customers", customers_file)):
        done = cli("upsert", resource, str(path), "--base-url", url, "--journal", str(journal))
        assert done.returncode == 0, done.stderr
    emulator.phase = 2
    again = cli("upsert", "billings", str(billings_file), "--base-url", url, "--journal",
                str(journal), "--report", str(tmp_path / "r.json"))  # fmt: skip
    assert again.returncode == 0 and load(tmp_path / "r.json")["unchanged"] == 60
    assert emulator.sent_in(2) == []


def test_a_run_leaves_its_startup_objects_out_of_collection_only_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Full collections would walk every module and schema loaded before the run, over and
    over in a long re-run: the command freezes them while it streams, and unfreezes them
    after (a caller of `main()` in its own process gets them back)."""
    export = tmp_path / "export.csv"
    write_sample(export, 120)
    frozen: list[int] = []
    update = _progress.Reporter.update

    def recording(self: _progress.Reporter, progress: Any) -> None:
        frozen.append(gc.get_freeze_count())
        update(self, progress)

    monkeypatch.setattr(_progress.Reporter, "update", recording)
    assert gc.get_freeze_count() == 0
    assert main(["upsert", "billings", str(export)]) == 0, capsys.readouterr().err
    assert frozen and min(frozen) > 1000  # everything loaded before the run: thousands
    assert gc.get_freeze_count() == 0


# -- duplicates ----------------------------------------------------------------------------------


def test_duplicates_are_refused_by_default_naming_both_lines(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    export = tmp_path / "export.csv"
    row = "52998224725,1000,2031-01-10,monthly,1,pix"
    export.write_text(
        f"{HEADER}\nA,{row}\nB,{row}\n A ,{row.replace('1000', '2000')}\nC,{row}\nB,{row}\n"
    )
    report = tmp_path / "report.json"
    result = cli("upsert", "billings", str(export), "--base-url", url, "--report", str(report))
    assert result.returncode == 1
    assert "line 4 A: invalid: integration_identifier: duplicate 'A', the same as line 2" in (
        result.stdout
    )
    assert "line 6 B: invalid: integration_identifier: duplicate 'B', the same as line 3" in (
        result.stdout
    )
    bad = {e["line"]: e["duplicate_of_line"] for e in load(report)["not_accepted"]}
    assert bad == {4: 2, 6: 3}
    assert emulator.billings["A"].data["amount"] == 1000  # the first one, not the last

    emulator.phase = 2
    allowed = cli("upsert", "billings", str(export), "--base-url", url, "--allow-duplicates")
    assert allowed.returncode == 0, allowed.stdout
    assert emulator.billings["A"].data["amount"] == 2000  # the last one wins
    alias = cli("upsert", "billings", str(export), "--base-url", url, "--detect-duplicates")
    assert alias.returncode == 1 and "the same as line 2" in alias.stdout


# -- Ctrl-C ---------------------------------------------------------------------------------------


def start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "neofin_async.cli", *command],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, "the run ended too early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_ctrl_c_stops_cleanly_with_summary_report_and_journal(tmp_path: Path) -> None:
    export, journal, report = tmp_path / "b.csv", tmp_path / "j.sqlite", tmp_path / "r.json"
    identifiers = write_sample(export, 2000, seed=6)
    emulator = RecordingEmulator(latency_ms=150)
    with emulator.serving() as server:
        command = [
            "upsert", "billings", str(export), "--base-url", server.base_url,
            "--journal", str(journal), "--concurrency", "2", "--chunk-size", "10",
            "--report", str(report),
        ]  # fmt: skip
        run = start(command)
        try:
            wait_for(lambda: len(journal_accepted(journal)) >= 40, run)
            run.send_signal(signal.SIGINT)
            out, err = run.communicate(timeout=30)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
        assert run.returncode == 130, err
        assert "Stopping (interrupted (Ctrl-C))" in err and "Traceback" not in err
        assert "The run stopped early: interrupted (Ctrl-C)." in out
        assert f"(with the same --journal {journal})" in out
        data = load(report)
        assert data["total"] == 2000 and 40 <= data["accepted"] < 2000
        assert data["accepted"] + data["failed"] + data["not_sent"] == 2000
        assert data["not_sent"] > 1000  # the rest of the file, counted, never sent
        ranges = data["not_sent_ranges"]
        assert ranges and ranges[-1]["last_line"] == 2001
        journalled = journal_accepted(journal)
        assert len(journalled) == data["accepted"]  # every answer kept was journalled
        sent_before = set(emulator.sent_in(1))

        emulator.phase = 2
        rest = cli(*command[:-2], "--concurrency", "8")
        assert rest.returncode == 0, rest.stderr
    assert set(emulator.sent_in(2)).isdisjoint(journalled)
    assert set(emulator.billings) == set(identifiers)  # nothing lost
    assert sent_before  # the first run did send


class ArrivalEmulator(RecordingEmulator):
    """Also counts requests as they arrive (the latency is added before the body is read)."""

    arrived = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.arrived += 1
        await super().__call__(scope, receive, send)


def test_a_second_ctrl_c_aborts_at_once(tmp_path: Path) -> None:
    export, report = tmp_path / "b.csv", tmp_path / "r.json"
    write_sample(export, 200, seed=7)
    emulator = ArrivalEmulator(latency_ms=20_000)  # answers would take longer than the grace
    with emulator.serving() as server:
        run = start(["upsert", "billings", str(export), "--base-url", server.base_url,
                     "--report", str(report)])  # fmt: skip
        try:
            wait_for(lambda: emulator.arrived, run)  # a request is in flight
            run.send_signal(signal.SIGINT)
            time.sleep(0.3)
            started = time.monotonic()
            run.send_signal(signal.SIGINT)
            _, err = run.communicate(timeout=30)
            took = time.monotonic() - started
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
    assert run.returncode == 130
    assert err.strip().splitlines()[-1] == "neofin-async: error: interrupted"
    assert not report.exists() and took < 4  # well before the 5 s grace would end


def test_ctrl_c_gives_up_on_slow_requests_after_the_grace(tmp_path: Path) -> None:
    export, report = tmp_path / "b.csv", tmp_path / "r.json"
    write_sample(export, 500, seed=7)
    emulator = ArrivalEmulator(latency_ms=30_000)
    with emulator.serving() as server:
        run = start(["upsert", "billings", str(export), "--base-url", server.base_url,
                     "--concurrency", "2", "--report", str(report)])  # fmt: skip
        try:
            wait_for(lambda: emulator.arrived >= 2, run)
            started = time.monotonic()
            run.send_signal(signal.SIGINT)
            out, _ = run.communicate(timeout=30)
            took = time.monotonic() - started
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
    assert run.returncode == 130 and took < 15  # the grace (5 s), not the 30 s answers
    data = load(report)
    assert (data["failed"], data["not_sent"], data["total"]) == (100, 400, 500)
    assert all("may or may not hold" in e["reason"] for e in data["not_accepted"])
    assert "The run stopped early: interrupted (Ctrl-C)." in out


# -- a dead host -----------------------------------------------------------------------------------


def test_an_unreachable_host_stops_the_run_after_a_few_chunks(tmp_path: Path) -> None:
    export, report = tmp_path / "b.csv", tmp_path / "r.json"
    write_sample(export, 20_000, seed=8)
    result = cli(
        "upsert", "billings", str(export), "--base-url", "http://127.0.0.1:1",
        "--report", str(report), "--max-retries", "1",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "The run stopped early: the API could not be reached" in result.stdout
    assert "--journal FILE" in result.stdout and "--max-connection-failures" in result.stdout
    data = load(report)
    assert data["total"] == 20_000 and data["accepted"] == 0
    assert 0 < data["failed"] <= (8 + 3) * 50  # the chunks that failed, and those in flight
    assert data["failed"] + data["not_sent"] == 20_000
    assert "could not be reached" in data["stopped_by"]


# -- journal files -------------------------------------------------------------------------------


def test_an_old_journal_is_migrated_with_a_message_and_a_foreign_file_refused(
    served: tuple[RecordingEmulator, str], tmp_path: Path
) -> None:
    emulator, url = served
    export = tmp_path / "b.csv"
    write_sample(export, 30, seed=9)
    old = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(old)) as db:
        db.execute("CREATE TABLE items (idx INTEGER PRIMARY KEY, identifier TEXT, "
                   "state TEXT NOT NULL, message TEXT NOT NULL DEFAULT '')")  # fmt: skip
        db.execute("INSERT INTO items VALUES (0, 'ERP-000001', 'accepted', '')")
        db.commit()
    migrated = cli("upsert", "billings", str(export), "--base-url", url, "--journal", str(old))
    assert migrated.returncode == 0, migrated.stderr
    assert "written by an older neofin-async" in migrated.stderr
    assert len(emulator.sent_in(1)) == 30  # the old journal held no content: sent once more

    foreign = tmp_path / "other.sqlite"
    with contextlib.closing(sqlite3.connect(foreign)) as db:
        db.execute("CREATE TABLE items (sku TEXT)")
        db.commit()
    newer = tmp_path / "newer.sqlite"
    with contextlib.closing(sqlite3.connect(newer)) as db:
        db.execute("PRAGMA user_version = 99")
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database, but long enough to have a header " * 4)
    for path, expected in (
        (foreign, "unknown table layout"),
        (newer, "newer neofin-async"),
        (not_sqlite, "not a neofin-async journal"),
    ):
        emulator.phase += 1
        refused = cli("upsert", "billings", str(export), "--base-url", url, "--journal", str(path))
        assert refused.returncode == 2, refused.stderr
        assert expected in one_line_error(refused)
        assert emulator.sent_in(emulator.phase) == []


def test_a_postgres_journal_on_one_machine_goes_through_open_journal(
    tmp_path: Path,
    served: tuple[RecordingEmulator, str],
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--journal postgresql://...` without --shards: the library's `open_journal` picks the
    PostgreSQL journal; a second run sends nothing, and the DSN is never printed."""
    from neofin_async.bulk import PostgresJournal
    from neofin_async.cli import _upsert, main

    emulator, base_url = served
    path = tmp_path / "b.csv"
    write_sample(path, 120)
    opened: list[Any] = []
    real = _upsert.open_journal

    def spy(value: str) -> Any:
        store, migrated = real(value)
        opened.append(store)
        return store, migrated

    monkeypatch.setattr(_upsert, "open_journal", spy)
    args = ["upsert", "billings", str(path), "--base-url", base_url, "--journal", postgres_url]
    assert main(args) == 0
    assert len(emulator.sent_in(1)) == 120
    emulator.phase = 2
    assert main([*args, "--report", str(tmp_path / "r.json")]) == 0
    assert emulator.sent_in(2) == [] and load(tmp_path / "r.json")["unchanged"] == 120
    assert len(opened) == 2 and all(isinstance(s, PostgresJournal) for s in opened)
    assert postgres_url not in capsys.readouterr().out
