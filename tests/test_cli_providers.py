"""`neofin-async upsert customers FILE --provider piriod|chargeover` and `sample customers
--provider ...`, run as a subprocess against each provider's served emulator: a mapped export
with a bad row named by its line, then a re-run with the journal sending nothing."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neofin_async.chargeover import CustomerInput as ChargeOverCustomer
from neofin_async.chargeover.emulator import Emulator as ChargeOverEmulator
from neofin_async.piriod import CustomerInput as PiriodCustomer
from neofin_async.piriod.emulator import Emulator as PiriodEmulator

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = ("NEOFIN_", "PIRIOD_", "CHARGEOVER_", "CELERY_")
"""Settings of the environment a test must not inherit."""


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    return subprocess.run(
        [sys.executable, "-m", "neofin_async.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
        timeout=120,
    )


def report_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def piriod() -> Iterator[tuple[PiriodEmulator, str]]:
    emulator = PiriodEmulator()
    with emulator.serving() as server:
        yield emulator, server.base_url


@pytest.fixture
def chargeover() -> Iterator[tuple[ChargeOverEmulator, str]]:
    emulator = ChargeOverEmulator()
    with emulator.serving() as server:
        yield emulator, server.base_url


def test_piriod_export_with_a_mapping_a_bad_row_and_a_rerun(
    tmp_path: Path, piriod: tuple[PiriodEmulator, str]
) -> None:
    emulator, base_url = piriod
    path = tmp_path / "clientes.csv"
    with open(path, "w", encoding="cp1252", newline="") as file:
        file.write("sep=;\r\n")
        rows = csv.writer(file, delimiter=";", lineterminator="\r\n")
        rows.writerow(["Código", "Razón Social", "RUT", "País", "Giro", "Segmento", "Vendedor"])
        rows.writerow(["CL-1", "Comercial Andes SpA", "76.086.428-5", "CL", "Venta", "retail", "x"])
        rows.writerow(["CL-2", "Beta SpA", "76.086.428-4", "CL", "", "", "y"])  # bad check digit
        rows.writerow(["CL-3", " Gamma Ltda. ", "77.261.280-K", "CL", "", "wholesale", ""])
    columns = tmp_path / "clientes.columns.json"
    columns.write_text(
        json.dumps(
            {
                "Código": "reference",
                "Razón Social": "name",
                "RUT": "tax_id",
                "País": "country",
                "Giro": "tax_settings.cl_activity_description",
                "Segmento": "metadata.segmento",
                "Vendedor": None,
            }
        ),
        encoding="utf-8",
    )
    args = [
        "upsert", "customers", str(path), "--provider", "piriod", "--base-url", base_url,
        "--encoding", "cp1252", "--columns", str(columns), "--journal", "sync.sqlite",
        "--report", "report.json",
    ]  # fmt: skip
    first = cli(*args, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert f"the Piriod emulator at {base_url}" in first.stdout
    assert "Nothing went to Piriod" in first.stderr
    report = report_of(tmp_path / "report.json")
    assert (report["provider"], report["total"], report["accepted"], report["invalid"]) == (
        "piriod", 3, 2, 1,
    )  # fmt: skip
    (bad,) = report["not_accepted"]
    assert (bad["line"], bad["reference"], bad["state"]) == (4, "CL-2", "invalid")
    assert "tax_id" in bad["reason"]
    assert "line 4 CL-2: invalid: tax_id" in first.stdout
    stored = {c["reference"]: c for c in emulator.customers()}
    assert set(stored) == {"CL-1", "CL-3"} and stored["CL-3"]["name"] == "Gamma Ltda."
    assert stored["CL-1"]["metadata"]["segmento"] == "retail"
    assert stored["CL-1"]["tax_settings"]["cl_activity_description"] == "Venta"

    sent = sum(emulator.request_counts.values())
    again = cli(*args, cwd=tmp_path)
    assert again.returncode == 1, again.stderr  # the bad row is still refused
    report = report_of(tmp_path / "report.json")
    assert (report["accepted"], report["unchanged"], report["requests"]) == (2, 2, 0)
    assert sum(emulator.request_counts.values()) == sent


def test_chargeover_export_with_booleans_tags_a_bad_row_and_a_rerun(
    tmp_path: Path, chargeover: tuple[ChargeOverEmulator, str]
) -> None:
    emulator, base_url = chargeover
    path = tmp_path / "customers.csv"
    path.write_text(
        "Customer ID,Company,Email,Country,Tax ID,Tax exempt,No dunning,tags\n"
        "CO-1,Acme Inc.,billing@acme.example.com,United States,,yes,no,vip;net 30\n"
        "CO-2,Beta Inc.,not-an-email,United States,,no,no,\n"
        "CO-3,Gamma SpA,pagos@gamma.example.com,Chile,76.086.428-5,0,1,\n",
        encoding="utf-8",
    )
    args = [
        "upsert", "customers", str(path), "--provider", "chargeover", "--base-url", base_url,
        "--column", "Customer ID=external_key", "--column", "Email=superuser_email",
        "--column", "Country=bill_country", "--column", "Tax ID=tax_ident",
        "--column", "Tax exempt=no_taxes", "--journal", "sync.sqlite", "--report", "report.json",
    ]  # fmt: skip
    first = cli(*args, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    report = report_of(tmp_path / "report.json")
    assert (report["provider"], report["total"], report["accepted"]) == ("chargeover", 3, 2)
    (bad,) = report["not_accepted"]
    assert (bad["line"], bad["external_key"], bad["state"]) == (3, "CO-2", "invalid")
    assert "superuser_email" in bad["reason"]
    acme = emulator.customer("CO-1")
    assert acme is not None and acme["no_taxes"] is True and acme["no_dunning"] is False
    assert acme["tags"] == ["vip", "net 30"]
    gamma = emulator.customer("CO-3")
    assert gamma is not None and gamma["no_dunning"] is True

    sent = sum(emulator.request_counts.values())
    again = cli(*args, cwd=tmp_path)
    assert again.returncode == 1, again.stderr
    report = report_of(tmp_path / "report.json")
    assert (report["accepted"], report["unchanged"], report["requests"]) == (2, 2, 0)
    assert sum(emulator.request_counts.values()) == sent


@pytest.mark.parametrize(
    ("provider", "model", "key"),
    [("piriod", PiriodCustomer, "reference"), ("chargeover", ChargeOverCustomer, "external_key")],
)
@pytest.mark.parametrize("extension", ["csv", "jsonl"])
def test_sample_writes_valid_customers_that_upsert_cleanly(
    tmp_path: Path, provider: str, model: Any, key: str, extension: str
) -> None:
    made = cli("sample", "customers", "60", "--provider", provider, "-o", f"c.{extension}",
               "--seed", "4", cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    if extension == "jsonl":
        records = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
        for record in records:
            model.model_validate(record)  # valid as written (RUTs, RFCs, tax ids)
        assert len({r[key] for r in records}) == 60
    done = cli("upsert", "customers", f"c.{extension}", "--provider", provider, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accepted" in done.stdout and "60" in done.stdout


def test_other_providers_refuse_what_they_do_not_have(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("reference,name\nA,B\n", encoding="utf-8")
    cases = {
        ("upsert", "billings", "c.csv", "--provider", "piriod"): "piriod has no resource",
        ("sample", "billings", "3", "--provider", "chargeover"): "chargeover has no billings",
        ("upsert", "customers", "c.csv", "--provider", "chargeover", "--target", "sandbox"):
            "ChargeOver has no sandbox environment",
        ("upsert", "customers", "c.csv", "--provider", "piriod", "--target", "production"):
            "PIRIOD_API_TOKEN",
        ("upsert", "customers", "c.csv", "--provider", "piriod", "--api-key", "x"):
            "--api-key and --secret-key are Neofin's keys",
    }  # fmt: skip
    for args, message in cases.items():
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_piriod_real_api_reads_its_variables_and_says_where(
    tmp_path: Path, piriod: tuple[PiriodEmulator, str]
) -> None:
    """`--target sandbox` is Piriod's test mode, with the keys of PIRIOD_* (here pointed at
    the served emulator through PIRIOD_BASE_URL)."""
    emulator, base_url = piriod
    (tmp_path / "c.csv").write_text(
        "reference,name,country,tax_id\nT-1,Test SpA,CL,76.086.428-5\n", encoding="utf-8"
    )
    env = {
        "PIRIOD_API_TOKEN": "emulator-piriod-token",
        "PIRIOD_WORKSPACE": "acc_emulator",
        "PIRIOD_BASE_URL": base_url,
    }
    done = cli("upsert", "customers", "c.csv", "--provider", "piriod", "--target", "sandbox",
               cwd=tmp_path, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Target: Piriod test mode" in done.stderr and "emulator-piriod-token" not in done.stderr
    assert [c["reference"] for c in emulator.customers(test_mode=True)] == ["T-1"]
    assert emulator.customers() == []  # live data untouched
