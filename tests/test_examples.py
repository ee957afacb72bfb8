"""The examples run: the FastAPI app against the in-process emulator (which delivers signed
webhooks back into it), and the nightly ERP job as a subprocess."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from conftest import VALID_CNPJ, VALID_CPF
from fastapi import FastAPI

import neofin_async as nf
from neofin_async.contrib.fastapi import NeofinIntegration
from neofin_async.emulator import DEFAULT_SECRET_KEY, Emulator
from neofin_async.webhooks import SIGNATURE_HEADER, sign

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
APP_URL = "http://app.localhost"
HOOK = f"{APP_URL}/neofin/webhooks"


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def billing(identifier: str, **fields: Any) -> dict[str, Any]:
    return {
        "integration_identifier": identifier,
        "customer_document": VALID_CNPJ,
        "customer_name": "Padaria Pão Quente Ltda",
        "amount": 15000,
        "due_date": "2030-01-10",
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
        **fields,
    }


# -- examples/fastapi_app ------------------------------------------------------------------


class Wired:
    """The example app and an emulator delivering its webhooks into it, both in-process."""

    def __init__(self) -> None:
        module = load(EXAMPLES / "fastapi_app" / "app.py")
        neofin = NeofinIntegration(lambda: self.emulator.client(max_retries=0))
        self.app: FastAPI = module.create_app(neofin, webhook_secret_key=DEFAULT_SECRET_KEY)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=APP_URL)
        self.emulator = Emulator(webhook_client=self.http)  # delivers to the app's ASGI transport

    async def events(self) -> list[dict[str, Any]]:
        response = await self.http.get("/events")
        assert response.status_code == 200
        events: list[dict[str, Any]] = response.json()
        return events


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    wired = Wired()
    async with wired.app.router.lifespan_context(wired.app), wired.http:
        client = wired.app.state.neofin_client
        for topic in (nf.WebhookTopic.CREATED, nf.WebhookTopic.PAID):
            await client.webhooks.register(topic, HOOK)
        yield wired
    await wired.emulator.aclose()


async def test_fastapi_app_upserts_and_receives_the_signed_webhook(wired: Wired) -> None:
    response = await wired.http.post("/billings", json=billing("order-1001"))
    assert response.status_code == 202
    assert response.json()["message"] == "Billings successfully queued."

    [attempt] = await wired.emulator.tick()  # the emulator POSTs payments/created to the app
    assert attempt.status_code == 200  # 401 if the signature had not verified
    [delivery] = wired.emulator.deliveries
    assert delivery.destination == HOOK
    assert delivery.state == "delivered"
    assert await wired.events() == [
        {
            "topic": "payments/created",
            "webhook_id": delivery.webhook_id,
            "integration_identifier": "order-1001",
            "payment_status": "pending",
        }
    ]

    # The same delivery again (Neofin retries): answered 200, not handled twice.
    copy = await wired.http.post(HOOK, content=delivery.body, headers=attempt.headers)
    assert copy.status_code == 200
    assert copy.json() == {"status": "duplicate"}
    assert len(await wired.events()) == 1

    # A body that does not match its signature is refused.
    forged = delivery.body.replace(b'"pending"', b'"paid"')
    refused = await wired.http.post(HOOK, content=forged, headers=attempt.headers)
    assert refused.status_code == 401
    headers = {**attempt.headers, SIGNATURE_HEADER: sign(forged, "not-the-secret-key")}
    assert (await wired.http.post(HOOK, content=forged, headers=headers)).status_code == 401
    assert len(await wired.events()) == 1

    # The customer pays: payments/paid arrives too.
    wired.emulator.simulate_payment("order-1001")
    assert [a.status_code for a in await wired.emulator.tick()] == [200]
    assert [(e["topic"], e["payment_status"]) for e in await wired.events()] == [
        ("payments/created", "pending"),
        ("payments/paid", "paid"),
    ]


async def test_fastapi_app_bulk_endpoint_answers_the_report(wired: Wired) -> None:
    items = [billing(f"order-{n}", customer_document=VALID_CPF) for n in range(120)]
    items[7]["customer_document"] = "123.456.789-00"
    items[99]["amount"] = -5
    response = await wired.http.post("/billings/bulk", json=items)
    assert response.status_code == 200
    report = response.json()
    assert report["accepted"] == 118
    assert report["invalid"] == 2
    assert report["total"] == 120
    assert [(e["index"], e["status"]) for e in report["errors"]] == [
        (7, "invalid"),
        (99, "invalid"),
    ]
    assert "customer_document" in report["errors"][0]["errors"]

    attempts = await wired.emulator.tick()
    assert len(attempts) == 118 and {a.status_code for a in attempts} == {200}
    assert len(await wired.events()) == 118


async def test_fastapi_app_refuses_an_invalid_billing(wired: Wired) -> None:
    response = await wired.http.post("/billings", json=billing("order-1", amount="lots"))
    assert response.status_code == 422
    assert wired.emulator.queued == 0 and not wired.emulator.billings


# -- examples/erp_sync.py ------------------------------------------------------------------


def run_erp_sync(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run the job in `tmp_path` with no NEOFIN_* variables but those of `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEOFIN_")}
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, str(EXAMPLES / "erp_sync.py"), "--report", str(report), *args]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, json.loads(report.read_text()) if report.exists() else None


def test_erp_sync_creates_its_database_and_runs_against_the_in_process_emulator(
    tmp_path: Path,
) -> None:
    done, report = run_erp_sync(tmp_path, "--rows", "120")
    assert done.returncode == 0, done.stderr
    assert "created erp.sqlite with 120 sample receivables" in done.stdout
    assert "to the in-process emulator: nothing goes to Neofin" in done.stdout
    assert "120 confirmed at Neofin, 0 not yet" in done.stdout
    assert report["accepted"] == report["total"] == report["confirmed"] == 120
    assert report["requests"] == 3 and report["target"] == "emulator"
    assert not list(tmp_path.glob("*.journal"))


def test_erp_sync_against_a_served_api_reports_and_resumes_with_its_journal(
    tmp_path: Path,
) -> None:
    erp_sync = load(EXAMPLES / "erp_sync.py")
    erp_sync.create_database(tmp_path / "erp.sqlite", 120)
    with contextlib.closing(sqlite3.connect(tmp_path / "erp.sqlite")) as db, db:
        db.execute("UPDATE receivables SET customer_tax_id = '123.456.789-00' WHERE id = 5")
        db.execute("UPDATE receivables SET total = '12,50' WHERE id = 9")
        db.execute("UPDATE receivables SET status = 'paid' WHERE id > 100")
    emulator = Emulator(processing_delay=0.3)
    with emulator.serving() as server:
        keys = {
            "NEOFIN_API_KEY": emulator.config.api_key,
            "NEOFIN_SECRET_KEY": emulator.config.secret_key,
            "NEOFIN_BASE_URL": server.base_url,
        }
        done, report = run_erp_sync(tmp_path, "--confirm-interval", "0.1", env=keys)
        assert done.returncode == 1, done.stderr
        assert f"syncing 100 open receivables from erp.sqlite to {server.base_url}" in done.stdout
        assert (report["total"], report["accepted"], report["invalid"]) == (100, 98, 2)
        assert report["confirmed"] == 98 and report["target"] == "sandbox"
        assert [(e["integration_identifier"], e["status"]) for e in report["errors"]] == [
            ("NF-000005", "invalid"),
            ("NF-000009", "invalid"),
        ]
        assert "customer_document" in report["errors"][0]["errors"]
        assert "'12,50' is not an amount in reais" in report["errors"][1]["message"]
        assert "row 5 NF-000005: invalid" in done.stdout
        assert "journal kept" in done.stdout
        assert len(emulator.billings) == 98

        # The same night, after the ERP fixed the two rows: only those are sent.
        with contextlib.closing(sqlite3.connect(tmp_path / "erp.sqlite")) as db, db:
            db.execute("UPDATE receivables SET customer_tax_id = '529.982.247-25' WHERE id = 5")
            db.execute("UPDATE receivables SET total = '12.50' WHERE id = 9")
        done, report = run_erp_sync(tmp_path, "--confirm-interval", "0.1", env=keys)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (report["accepted"], report["unchanged"], report["requests"]) == (100, 98, 1)
        assert report["confirmed"] == 100
        assert emulator.billings["NF-000009"].data["amount"] == 1250
    assert emulator.request_counts["POST /billing/"] == 2 + 1
    assert not list(tmp_path.glob("*.journal"))  # all accepted and confirmed


def test_erp_sync_without_keys_says_so_in_one_line(tmp_path: Path) -> None:
    done, report = run_erp_sync(tmp_path, "--rows", "3", "--target", "sandbox")
    assert done.returncode == 2
    assert done.stderr.startswith("error: Missing API key") and "Traceback" not in done.stderr
    assert report is None
