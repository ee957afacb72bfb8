"""Shards for Piriod and ChargeOver: their entries of the provider registry (keys and, for
ChargeOver, the instance URL per tenant; what `sandbox` and `production` mean), and a file's
shards synced to each one's served emulator, then a re-run with the journal sending nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neofin_async as nf
from neofin_async.chargeover import CUSTOMER_COLUMNS as CO_COLUMNS
from neofin_async.chargeover import ChargeOverClient
from neofin_async.chargeover import sample_customers as co_customers
from neofin_async.chargeover.emulator import DEFAULT_PRIVATE_KEY, DEFAULT_PUBLIC_KEY
from neofin_async.chargeover.emulator import Emulator as ChargeOverEmulator
from neofin_async.exports import write_records
from neofin_async.piriod import CUSTOMER_COLUMNS as PIRIOD_COLUMNS
from neofin_async.piriod import PiriodClient, flat
from neofin_async.piriod import sample_customers as piriod_customers
from neofin_async.piriod.emulator import DEFAULT_API_TOKEN, DEFAULT_WORKSPACE
from neofin_async.piriod.emulator import Emulator as PiriodEmulator
from neofin_async.sharding import PROVIDERS, ShardTarget, fold, plan_file, sync_shard

PIRIOD, CHARGEOVER = PROVIDERS["piriod"], PROVIDERS["chargeover"]


@pytest.fixture(autouse=True)
def no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PIRIOD_API_TOKEN", "PIRIOD_WORKSPACE", "PIRIOD_BASE_URL",
        "CHARGEOVER_PUBLIC_KEY", "CHARGEOVER_PRIVATE_KEY", "CHARGEOVER_BASE_URL",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_piriod_reads_a_token_and_workspace_per_tenant() -> None:
    environ = {
        "PIRIOD_ACME_API_TOKEN": "tok-acme",
        "PIRIOD_ACME_WORKSPACE": "acc_acme",
        "PIRIOD_API_TOKEN": "tok-default",
        "PIRIOD_WORKSPACE": "acc_default",
    }
    assert PIRIOD.credentials_for("acme", environ) == {
        "api_token": "tok-acme",
        "workspace": "acc_acme",
    }
    assert PIRIOD.credentials_for(None, environ)["workspace"] == "acc_default"
    with pytest.raises(nf.ConfigurationError, match="PIRIOD_BETA_WORKSPACE is not set"):
        PIRIOD.credentials_for("beta", {"PIRIOD_BETA_API_TOKEN": "tok-beta"})


def test_chargeover_reads_the_instance_with_the_keys_unless_the_spec_gives_it() -> None:
    keys = {"CHARGEOVER_ACME_PUBLIC_KEY": "pub", "CHARGEOVER_ACME_PRIVATE_KEY": "priv"}
    assert CHARGEOVER.credentials_for("acme", keys) == {"public_key": "pub", "private_key": "priv"}
    with pytest.raises(nf.ConfigurationError, match="CHARGEOVER_ACME_BASE_URL is not set") as e:
        # acme's keys are never sent to the default instance
        CHARGEOVER.credentials_for(
            "acme", {**keys, "CHARGEOVER_BASE_URL": "https://default.chargeover.com"},
            with_url=True,
        )  # fmt: skip
    assert "pub" not in str(e.value) and "priv" not in str(e.value)
    found = CHARGEOVER.credentials_for(
        "acme", {**keys, "CHARGEOVER_ACME_BASE_URL": "https://acme.chargeover.com"}, with_url=True
    )
    assert found["base_url"] == "https://acme.chargeover.com"


async def test_what_the_named_environments_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIRIOD_API_TOKEN", "tok")
    monkeypatch.setenv("PIRIOD_WORKSPACE", "acc_x")
    async with PIRIOD.connect(ShardTarget(environment="sandbox"), None) as client:
        assert isinstance(client, PiriodClient) and client.test_mode
    async with PIRIOD.connect(ShardTarget(environment="production"), None) as client:
        assert not client.test_mode
    monkeypatch.setenv("CHARGEOVER_PUBLIC_KEY", "pub")
    monkeypatch.setenv("CHARGEOVER_PRIVATE_KEY", "priv")
    monkeypatch.setenv("CHARGEOVER_BASE_URL", "https://acme.chargeover.com")
    async with CHARGEOVER.connect(ShardTarget(environment="production"), None) as client:
        assert isinstance(client, ChargeOverClient)
        assert client.base_url.startswith("https://acme.chargeover.com")
    with pytest.raises(nf.ConfigurationError, match="ChargeOver has no sandbox environment"):
        CHARGEOVER.connect(ShardTarget(environment="sandbox"), None)


def write_csv(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        write_records(rows, columns, file, "csv")


@pytest.fixture
def piriod(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PiriodEmulator, str]]:
    monkeypatch.setenv("PIRIOD_API_TOKEN", DEFAULT_API_TOKEN)
    monkeypatch.setenv("PIRIOD_WORKSPACE", DEFAULT_WORKSPACE)
    emulator = PiriodEmulator()
    with emulator.serving() as server:
        yield emulator, server.base_url


@pytest.fixture
def chargeover(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ChargeOverEmulator, str]]:
    monkeypatch.setenv("CHARGEOVER_PUBLIC_KEY", DEFAULT_PUBLIC_KEY)
    monkeypatch.setenv("CHARGEOVER_PRIVATE_KEY", DEFAULT_PRIVATE_KEY)
    emulator = ChargeOverEmulator()
    with emulator.serving() as server:
        yield emulator, server.base_url


async def test_a_piriod_file_in_shards_then_a_rerun_sends_nothing(
    tmp_path: Path, piriod: tuple[PiriodEmulator, str], postgres_url: str
) -> None:
    emulator, base_url = piriod
    rows = [flat(c) for c in piriod_customers(120, seed=3)]
    rows[70]["tax_id"] = "76.086.428-4"  # a wrong check digit: invalid, never sent
    path = tmp_path / "clientes.csv"
    write_csv(path, rows, PIRIOD_COLUMNS)
    spec = {
        "provider": "piriod",
        "resource": "customers",
        "target": {"base_url": base_url},
        "journal": postgres_url,
    }
    specs = plan_file(str(path), 3, **spec)
    report = fold([await sync_shard(s) for s in specs], len(specs))
    assert (report.total, report.accepted, report.invalid) == (120, 119, 1)
    (bad,) = report.errors
    assert (bad.line, bad.key) == (72, rows[70]["reference"]) and "tax_id" in bad.errors
    assert len(emulator.customers()) == 119 and set(emulator.references().values()) == {1}
    sent = sum(emulator.request_counts.values())

    again = fold([await sync_shard(s) for s in plan_file(str(path), 3, **spec)], 3)
    assert (again.accepted, again.unchanged, again.requests) == (119, 119, 0)
    assert sum(emulator.request_counts.values()) == sent


async def test_a_chargeover_file_in_shards_then_a_rerun_sends_nothing(
    tmp_path: Path, chargeover: tuple[ChargeOverEmulator, str], postgres_url: str
) -> None:
    emulator, base_url = chargeover
    rows = list(co_customers(90, seed=5))
    rows[40]["company"] = " "  # blank: invalid, never sent
    path = tmp_path / "customers.csv"
    write_csv(path, rows, CO_COLUMNS)
    spec = {
        "provider": "chargeover",
        "resource": "customers",
        "target": {"base_url": base_url},
        "journal": postgres_url,
    }
    report = fold([await sync_shard(s) for s in plan_file(str(path), 4, **spec)], 4)
    assert (report.total, report.accepted, report.invalid) == (90, 89, 1)
    assert [(e.line, e.key) for e in report.errors] == [(42, "CO-000041")]
    keys = [c["external_key"] for c in emulator.customers.values()]
    assert len(keys) == len(set(keys)) == 89
    sent = sum(emulator.request_counts.values())

    again = fold([await sync_shard(s) for s in plan_file(str(path), 4, **spec)], 4)
    assert (again.accepted, again.unchanged, again.requests) == (89, 89, 0)
    assert sum(emulator.request_counts.values()) == sent
