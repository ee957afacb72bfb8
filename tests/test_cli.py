"""The `neofin-async` command, run as a subprocess: exit codes, reports, targets, resume."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neofin_async.cli._sample import BILLING_COLUMNS, billings
from neofin_async.emulator import Emulator
from neofin_async.exports import write_records

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "data" / "billings.csv"
HEADER = (
    "integration_identifier,customer_document,amount,due_date,installment_type,installments,type"
)


def env() -> dict[str, str]:
    """The environment without any Neofin setting, so nothing can reach Neofin."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEOFIN_")}


def cli(
    *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "neofin_async.cli", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env(),
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("neofin-async: error: ")
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def load(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def write_sample(path: Path, count: int, seed: int = 1) -> list[str]:
    rows = list(billings(count, seed=seed))
    with open(path, "w", encoding="utf-8", newline="") as file:
        write_records(rows, BILLING_COLUMNS, file, "csv")
    return [row["integration_identifier"] for row in rows]


class RecordingEmulator(Emulator):
    """The emulator, also recording which identifiers each `POST /billing/` carried and in
    which `phase` (the phase current when the request arrived)."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.phase = 1
        self.sent: list[tuple[int, list[str]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("POST", "/billing/"):
            return await super().__call__(scope, receive, send)
        phase, body = self.phase, bytearray()

        async def recording_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    items = json.loads(bytes(body))["billings"]
                    self.sent.append((phase, [i["integration_identifier"] for i in items]))
            return message

        await super().__call__(scope, recording_receive, send)

    def sent_in(self, phase: int) -> list[str]:
        return [i for p, ids in self.sent if p == phase for i in ids]


@pytest.fixture
def served() -> Iterator[tuple[RecordingEmulator, str]]:
    emulator = RecordingEmulator()
    with emulator.serving() as server:
        yield emulator, server.base_url


# -- the README flow --------------------------------------------------------------------------


def test_readme_command_on_the_shipped_sample(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = cli("upsert", "billings", "examples/data/billings.csv", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "nothing went to neofin" in result.stderr.lower()
    assert "billings: 500/500 items  accepted 500" in result.stderr  # the final progress line
    summary = {
        cells[1]: cells[2]
        for line in result.stdout.splitlines()
        if len(cells := [c.strip() for c in line.split("│")]) == 4
    }
    assert summary["accepted"] == "500" and summary["total"] == "500"
    assert summary["failed"] == summary["invalid"] == summary["not_sent"] == "0"
    data = load(report)
    assert (data["total"], data["accepted"], data["ok"], data["not_accepted"]) == (
        500,
        500,
        True,
        [],
    )


def test_plain_progress_lines_are_periodic_when_stderr_is_not_a_terminal() -> None:
    result = cli(
        "upsert", "billings", "examples/data/billings.csv",
        "--emulator-latency-ms", "40", "--concurrency", "1", "--progress-every", "0.05",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("billings: ")]
    assert len(lines) >= 3
    assert lines[-1].startswith("billings: 500/500 items  accepted 500")
    assert all("items/s" in line for line in lines)


# -- bad input ----------------------------------------------------------------------------------


def test_bad_csv_rows_are_reported_invalid_with_their_lines_and_the_rest_is_sent(
    tmp_path: Path, served: tuple[RecordingEmulator, str]
) -> None:
    emulator, url = served
    source = tmp_path / "export.csv"
    source.write_text(
        f"{HEADER},by_mail,recipients\n"
        "ok-1,529.982.247-25,1000,2031-01-10,monthly,1,pix,false,a@example.com; b@example.com\n"
        "bad-doc,12345678900,1000,2031-01-10,monthly,1,pix,,\n"
        "bad-amount,52998224725,-5,2031-01-10,monthly,1,pix,sim,\n"
        "\n"
        'ok-2,51491769000190,2500,1924991999,custom,1,"boleto",não,\n'
        "bad-bool,52998224725,100,2031-01-10,monthly,1,pix,talvez,\n"
        "too-long,52998224725,100,2031-01-10,monthly,1,pix,0,,surplus\n"
        "no-type,52998224725,100,2031-01-10,monthly,1,,0,\n"
        "bad-date,52998224725,100,31/02/2031,monthly,1,pix,1,\n"
        "ok-3,52998224725,100,2031-01-10,monthly,3,bolepix,1,\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    result = cli("upsert", "billings", str(source), "--base-url", url, "--report", str(report))
    assert result.returncode == 1, result.stderr
    data = load(report)
    assert (data["total"], data["accepted"], data["invalid"]) == (9, 3, 6)
    bad = {e["line"]: (e["integration_identifier"], e["state"]) for e in data["not_accepted"]}
    assert bad == {
        3: ("bad-doc", "invalid"),
        4: ("bad-amount", "invalid"),
        7: ("bad-bool", "invalid"),
        8: ("too-long", "invalid"),
        9: ("no-type", "invalid"),
        10: ("bad-date", "invalid"),
    }
    reasons = {e["integration_identifier"]: e["reason"] for e in data["not_accepted"]}
    assert "CPF" in reasons["bad-doc"] and reasons["bad-amount"].startswith("amount:")
    assert "talvez" in reasons["bad-bool"] and reasons["no-type"].startswith("type:")
    assert "'-5'" in reasons["bad-amount"] and "'31/02/2031'" in reasons["bad-date"]
    assert "line 3 bad-doc: invalid" in result.stdout
    assert sorted(emulator.sent_in(1)) == ["ok-1", "ok-2", "ok-3"]  # the invalid never sent
    assert emulator.billings["ok-1"].data["recipients"] == ["a@example.com", "b@example.com"]
    assert emulator.billings["ok-2"].data["by_mail"] is False


def test_jsonl_from_stdin_with_amounts_in_reais(
    tmp_path: Path, served: tuple[RecordingEmulator, str]
) -> None:
    emulator, url = served
    base = {
        "customer_document": "51491769000190",
        "due_date": "2031-02-01",
        "installment_type": "monthly",
        "installments": 1,
        "type": "pix",
    }
    amounts = {"r1": "1.234,56", "r2": 10.5, "r3": "R$ 7,00", "r4": 99, "r5": "0,001"}
    lines = [
        json.dumps({"integration_identifier": k, "amount": v, **base}) for k, v in amounts.items()
    ]
    lines.insert(2, "{not json")
    report = tmp_path / "report.json"
    result = cli(
        "upsert", "billings", "-", "--amount-unit", "reais", "--base-url", url,
        "--report", str(report), stdin="\n".join(lines) + "\n",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert {k: emulator.billings[k].data["amount"] for k in ("r1", "r2", "r3", "r4")} == {
        "r1": 123456,
        "r2": 1050,
        "r3": 700,
        "r4": 9900,
    }
    data = load(report)
    assert data["input"] == "<stdin>"
    bad = {e["line"]: e["reason"] for e in data["not_accepted"]}
    assert set(bad) == {3, 6}
    assert "not valid JSON" in bad[3] and "fractions of a centavo" in bad[6]


def test_csv_from_stdin_is_detected_by_content() -> None:
    rows = SAMPLE.read_text(encoding="utf-8").splitlines()[:21]
    result = cli("upsert", "billings", "-", stdin="\n".join(rows) + "\n")
    assert result.returncode == 0, result.stderr
    assert "billings: 20/20 items  accepted 20" in result.stderr


def test_customers_jsonl(tmp_path: Path) -> None:
    source = tmp_path / "customers.jsonl"
    made = cli("sample", "customers", "30", "--seed", "4", "-o", str(source))
    assert made.returncode == 0 and len(source.read_text().splitlines()) == 30
    result = cli("upsert", "customers", str(source))
    assert result.returncode == 0, result.stderr
    assert "customers: 30/30 items  accepted 30" in result.stderr


# -- exit code 2 ---------------------------------------------------------------------------------


SHIPPED = "upsert billings examples/data/billings.csv"
SANDBOX = "upsert billings x.csv --target sandbox --api-key k --secret-key s"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (f"{SHIPPED} --target sandbox", "API keys"),
        ("upsert customers - --target production", "NEOFIN_API_KEY"),
        ("get billing x --target sandbox", "API keys"),
        ("upsert billings no/such/file.csv", "No such file"),
        ("upsert billings examples/data", "directory"),
        (f"{SHIPPED} --concurrency 0", "at least"),
        (f"{SHIPPED} --chunk-size 51", "between"),
        ("upsert invoices x.csv", "invalid choice"),
        ("upsert billings x.csv --bogus", "unrecognized"),
        ("upsert", "required"),
        ("", "required"),
        (f"{SHIPPED} --report no/dir/r.json", "does not exist"),
        (f"{SHIPPED} --journal no/dir/j.db", "journal"),
        (f"{SANDBOX} --emulator-fail-rate 0.1", "built-in emulator only"),
        (f"{SANDBOX} --base-url http://example.com", "https"),
        (f"{SHIPPED} --emulator-fail-rate 2", "between"),
    ],
)
def test_usage_and_configuration_errors_exit_2_with_one_line(command: str, expected: str) -> None:
    args = command.split()
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert expected in one_line_error(result)
    assert result.stdout == ""


def test_wrong_keys_stop_the_run_with_exit_2_and_a_full_report(
    tmp_path: Path, served: tuple[RecordingEmulator, str]
) -> None:
    emulator, url = served
    report = tmp_path / "report.json"
    result = cli(
        "upsert", "billings", str(SAMPLE), "--base-url", url, "--api-key", "wrong",
        "--concurrency", "1", "--report", str(report),
    )  # fmt: skip
    assert result.returncode == 2
    assert "403 Invalid API Keys" in result.stderr.splitlines()[-1]
    data = load(report)
    assert (data["failed"], data["not_sent"], data["total"]) == (50, 450, 500)
    assert emulator.request_counts["POST /billing/"] == 1  # no hammering


# -- faults ---------------------------------------------------------------------------------------


def test_every_item_of_a_faulty_run_is_accounted_for(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = cli(
        "upsert", "billings", "examples/data/billings.csv", "--emulator-fail-rate", "0.5",
        "--emulator-seed", "3", "--max-retries", "0", "--report", str(report),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    data = load(report)
    assert data["total"] == 500 and 0 < data["failed"] < 500
    assert data["accepted"] + data["failed"] == 500
    lines = [e["line"] for e in data["not_accepted"]]
    assert len(lines) == len(set(lines)) == data["failed"]
    assert set(lines) <= set(range(2, 502))
    assert {e["state"] for e in data["not_accepted"]} == {"failed"}
    assert all("500" in e["reason"] for e in data["not_accepted"])
    assert "nothing went to neofin" in result.stderr.lower()


def test_faulty_served_emulator_failed_and_accepted_items_partition_the_input(
    tmp_path: Path,
) -> None:
    source = tmp_path / "b.csv"
    identifiers = write_sample(source, 300, seed=8)
    emulator = Emulator(fail_rate=0.4, seed=11)
    report = tmp_path / "report.json"
    with emulator.serving() as server:
        result = cli(
            "upsert", "billings", str(source), "--base-url", server.base_url,
            "--max-retries", "0", "--chunk-size", "20", "--report", str(report),
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    data = load(report)
    failed = {e["integration_identifier"] for e in data["not_accepted"]}
    assert failed and failed.isdisjoint(emulator.billings)
    assert failed | set(emulator.billings) == set(identifiers)
    assert data["accepted"] == len(emulator.billings)


# -- journal: SIGKILL, then resume ---------------------------------------------------------------


def journal_accepted(path: Path) -> set[str]:
    """The keys the journal holds as accepted (read-only)."""
    if not path.exists():
        return set()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT key FROM items WHERE content IS NOT NULL")
            return {key for (key,) in rows}
    except sqlite3.OperationalError:  # not created yet
        return set()


def test_a_run_killed_with_sigkill_resumes_from_its_journal(tmp_path: Path) -> None:
    source, journal, report = tmp_path / "b.csv", tmp_path / "j.sqlite", tmp_path / "r.json"
    identifiers = write_sample(source, 400, seed=5)
    emulator = RecordingEmulator(latency_ms=100)
    with emulator.serving() as server:
        command = [
            "upsert", "billings", str(source), "--base-url", server.base_url,
            "--journal", str(journal), "--concurrency", "2", "--chunk-size", "10",
        ]  # fmt: skip
        first = subprocess.Popen(
            [sys.executable, "-m", "neofin_async.cli", *command],
            cwd=ROOT,
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while len(journal_accepted(journal)) < 60:
                assert first.poll() is None, "the first run ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.01)
            first.send_signal(signal.SIGKILL)
            assert first.wait(10) == -signal.SIGKILL
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        time.sleep(0.3)  # let requests already on the wire reach the emulator
        emulator.phase = 2
        journalled = journal_accepted(journal)
        assert 60 <= len(journalled) < 400
        assert journalled <= set(identifiers)

        second = cli(*command, "--report", str(report))
        assert second.returncode == 0, second.stderr

    data = load(report)
    assert (data["total"], data["accepted"], data["ok"]) == (400, 400, True)
    assert data["unchanged"] == len(journalled) and data["not_accepted"] == []
    resent = emulator.sent_in(2)
    assert set(resent).isdisjoint(journalled)  # nothing accepted was sent again
    assert len(resent) == len(set(resent)) == 400 - len(journalled)
    assert set(emulator.billings) == set(identifiers)  # nothing lost
    assert "unchanged, not sent (journal)" in second.stdout


# -- get, list, emulator -------------------------------------------------------------------------


def test_get_and_list_print_json_from_a_served_emulator(
    served: tuple[RecordingEmulator, str],
) -> None:
    _, url = served
    assert cli("upsert", "billings", str(SAMPLE), "--base-url", url).returncode == 0
    got = cli("get", "billing", "ERP-000007", "--base-url", url)
    assert got.returncode == 0, got.stderr
    billing = json.loads(got.stdout)
    with open(SAMPLE, encoding="utf-8") as file:
        row = next(r for r in csv.DictReader(file) if r["integration_identifier"] == "ERP-000007")
    assert billing["integration_identifier"] == "ERP-000007"
    assert billing["amount"] == int(row["amount"]) and billing["status"] == "pending"

    by_number = cli("get", "billing", billing["billing_number"], "--by-number", "--base-url", url)
    assert json.loads(by_number.stdout)["integration_identifier"] == "ERP-000007"
    customer = cli("get", "customer", row["customer_document"], "--by-document", "--base-url", url)
    assert json.loads(customer.stdout)["document"] == row["customer_document"]

    listed = cli("list", "billings", "--status", "pending", "--limit", "3", "--base-url", url)
    assert listed.returncode == 0, listed.stderr
    assert [b["status"] for b in json.loads(listed.stdout)] == ["pending"] * 3
    lines = cli("list", "billings", "--jsonl", "--base-url", url).stdout.splitlines()
    assert len(lines) == 500 and json.loads(lines[0])["integration_identifier"]
    assert json.loads(cli("list", "billings", "--status", "paid", "--base-url", url).stdout) == []

    missing = cli("get", "billing", "nope", "--base-url", url)
    assert missing.returncode == 1 and "404" in one_line_error(missing)


def test_get_on_a_fresh_builtin_emulator_explains_itself() -> None:
    result = cli("get", "billing", "ERP-000001")
    assert result.returncode == 1
    assert "fresh built-in emulator" in result.stderr and "404" in result.stderr.splitlines()[-1]


def test_emulator_command_serves_until_interrupted(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "neofin_async.cli", "emulator", "--port", "0", "--seed", "1"],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert banner.startswith("Neofin emulator on http://127.0.0.1:")
        url = banner.split()[3]
        assert "emulator-api-key" in server.stdout.readline()
        result = cli("upsert", "billings", str(SAMPLE), "--base-url", url)
        assert result.returncode == 0, result.stderr
        assert f"the Neofin emulator at {url}" in result.stderr
        server.send_signal(signal.SIGINT)
        assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for stream in (server.stdout, server.stderr):
            if stream is not None:
                stream.close()


def test_without_rich_the_summary_is_plain_text() -> None:
    code = "import sys; sys.modules['rich'] = None; from neofin_async.cli import main; "
    code += "raise SystemExit(main(['upsert', 'billings', 'examples/data/billings.csv']))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env()
    )
    assert result.returncode == 0, result.stderr
    assert "│" not in result.stdout
    assert re.search(r"^  accepted +500$", result.stdout, re.MULTILINE)


def test_help_and_version() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("upsert", "get", "list", "sample", "emulator"):
        assert command in result.stdout
    assert cli("--version").stdout.startswith("neofin-async ")


def test_more_than_ten_separate_failures_are_summarised_not_crashed(tmp_path: Path) -> None:
    """Failures on rows far apart are one group each; past the tenth, the summary counts
    the rest (it crashed unpacking a group of one)."""
    path = tmp_path / "b.csv"
    rows = [
        f"X-{n},51491769000190,{-1 if n % 2 else 100},2030-01-15,monthly,1,pix" for n in range(30)
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = cli("upsert", "billings", str(path))
    assert result.returncode == 1, result.stderr
    assert "line 21 X-19: invalid" in result.stdout and "line 23" not in result.stdout
    assert "... and 5 more (--report FILE.json lists every item not accepted)" in result.stdout
