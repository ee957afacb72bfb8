"""The client against the emulator, as user code would run it: every client endpoint
in-process, then over a real uvicorn socket on 127.0.0.1 (and `python -m`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest

import neofin_async as nf
from neofin_async.emulator import (
    DEFAULT_API_KEY,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorTransport,
    ManualClock,
)

START = 1_750_000_000  # 2025-06-15T15:06:40Z
DAY = 86_400
CPF = "24540707078"


def billing(identifier: str = "inv-1", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "integration_identifier": identifier,
        "customer_document": "51.491.769/0001-90",
        "amount": 15000,
        "due_date": date(2025, 6, 30),
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
        "customer_name": "Empresa Teste LTDA",
        "customer_phone": "(11) 98765-4321",
    }
    item.update(fields)
    return item


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, page_size=2)


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[nf.NeofinClient]:
    async with emulator.client() as client:
        yield client


# -- in-process: every endpoint ----------------------------------------------------------------


async def test_the_one_liner() -> None:
    client = Emulator().client()
    queued = await client.billings.upsert(billing(due_date=date.today() + timedelta(days=30)))
    assert (queued.message, queued.errors) == ("Billings successfully queued.", {})
    assert queued.request_id is not None and len(queued.request_id) == 36  # x-amzn-requestid
    assert (await client.billings.retrieve("inv-1")).status == "pending"
    assert client.base_url == "http://emulator.localhost"


async def test_upsert_and_retrieve(client: nf.NeofinClient, emulator: Emulator) -> None:
    await client.billings.upsert([billing(), billing("inv-2", installments=2)])
    found = await client.billings.retrieve("inv-1")
    assert (found.status, found.amount, found.installments, found.type) == (
        "pending",
        15000,
        1,
        "bolepix",
    )
    assert found.due_date == datetime(2025, 6, 30, 3, tzinfo=timezone.utc)  # 00:00 in São Paulo
    assert found.customer_phone == "+5511987654321"
    assert found.billing_url == f"https://sandbox.neofin.com.br/pay?billing={found.billing_number}"
    assert found.billing_number is not None
    by_number = await client.billings.retrieve_by_number(found.billing_number)
    assert by_number == found
    two = await client.billings.retrieve("inv-2")
    assert [p.payment_number for p in two.payments] == [
        f"{two.billing_number}-1",
        f"{two.billing_number}-2",
    ]


async def test_not_found_while_queued(
    client: nf.NeofinClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.configure(processing_delay=600)
    await client.billings.upsert(billing())
    with pytest.raises(nf.NotFoundError) as caught:
        await client.billings.retrieve("inv-1")
    assert caught.value.message.startswith("Billing not found.")
    assert caught.value.request_id is not None
    clock.advance(600)
    assert (await client.billings.retrieve("inv-1")).status == "pending"


async def test_bulk_upsert_and_confirm(client: nf.NeofinClient, emulator: Emulator) -> None:
    result = await client.billings.bulk_upsert(billing(f"inv-{n}") for n in range(120))
    assert (result.accepted, result.requests, result.ok) == (120, 3, True)
    assert emulator.request_counts["POST /billing/"] == 3
    confirmed = await client.billings.confirm(["inv-0", "inv-119"], timeout=1, interval=0.01)
    assert confirmed.missing == []


async def test_server_side_validation_errors(client: nf.NeofinClient, emulator: Emulator) -> None:
    emulator.configure(required_fields="howto")
    with pytest.raises(nf.BadRequestError) as caught:
        await client.billings.upsert(billing())
    assert caught.value.errors["address_city[0]"] == ["Field not found."]
    assert emulator.queued == 0


async def test_wrong_keys(client: nf.NeofinClient) -> None:
    with pytest.raises(nf.AuthenticationError, match="Invalid API Keys"):
        await client.with_options(api_key="not-the-key").billings.retrieve("inv-1")


async def test_mark_paid_cancel_v2_and_reopen(client: nf.NeofinClient, emulator: Emulator) -> None:
    await client.billings.upsert([billing("a"), billing("b"), billing("c", installments=2)])
    paid = await client.billings.mark_paid("a")
    assert paid.message == "Billing successfully paid."
    with pytest.raises(nf.BadRequestError, match="cannot be cancelled in status 'paid'"):
        await client.billings.cancel("a")
    cancelled = await client.billings.cancel("b")
    assert cancelled.message == "Billing successfully canceled."
    number_b = (await client.billings.retrieve("b")).billing_number
    assert number_b is not None
    reopened = await client.billings.reopen(number_b)
    assert reopened.message == "Request accepted for billing reopening."
    assert (await client.billings.retrieve("b")).status == "pending"
    number_c = emulator.billings["c"].billing_number
    await client.billings.mark_paid_v2(number_c, paid_amount=7500, paid_at=date(2025, 6, 14))
    assert (await client.billings.retrieve("c")).status == "partially_paid"
    await client.billings.mark_paid_v2(number_c)
    assert (await client.billings.retrieve("c")).status == "paid"


async def test_lists_follow_every_page(
    client: nf.NeofinClient, emulator: Emulator, clock: ManualClock
) -> None:
    await client.billings.upsert([billing(f"inv-{n}") for n in range(5)])
    clock.advance(DAY)
    await client.billings.upsert(billing("late"))
    await client.billings.cancel("inv-1")
    await client.billings.cancel("inv-3")
    everything = [b.integration_identifier async for b in client.billings.list()]
    assert everything == [*(f"inv-{n}" for n in range(5)), "late"]
    pages = [page.count async for page in client.billings.list().pages()]
    assert pages == [2, 2, 2]
    cancelled = [b.integration_identifier async for b in client.billings.list("cancelled")]
    assert cancelled == ["inv-1", "inv-3"]
    day_two = datetime(2025, 6, 16, tzinfo=timezone.utc)
    updated = [b.integration_identifier async for b in client.billings.list_updated(day_two)]
    assert updated == ["inv-1", "inv-3", "late"]  # in creation order
    window = client.billings.list_updated(
        date(2025, 6, 15), datetime(2025, 6, 16, tzinfo=timezone.utc)
    )
    assert [b.integration_identifier async for b in window] == ["inv-0", "inv-2", "inv-4"]


async def test_events(client: nf.NeofinClient, emulator: Emulator, clock: ManualClock) -> None:
    await client.billings.upsert(billing("a"))
    clock.advance(60)
    await client.billings.cancel("a")
    feed = [e async for e in client.billings.list_events()]
    assert [e.event_status for e in feed] == ["processing", "pending", "cancelled"]
    since = client.billings.list_events(since=datetime.fromtimestamp(START + 60, timezone.utc))
    assert [e.event_type async for e in since] == ["status_changed"]
    own = [e async for e in client.billings.list_events("a")]
    assert own == feed
    assert own[-1].event_time == datetime.fromtimestamp(START + 60, timezone.utc)
    assert own[-1].billing_number == emulator.billings["a"].billing_number


async def test_paid_installments(
    client: nf.NeofinClient, emulator: Emulator, clock: ManualClock
) -> None:
    await client.billings.upsert([billing("a", installments=3), billing("b")])
    await client.billings.mark_paid("a")
    clock.advance(DAY)
    emulator.simulate_payment("b")
    paid = [i async for i in client.billings.list_paid_installments()]
    assert [(i.integration_identifier, i.installment_order) for i in paid] == [
        ("a", "1"),
        ("a", "2"),
        ("a", "3"),
        ("b", "1"),
    ]
    assert paid[0].paid_at == datetime.fromtimestamp(START, timezone.utc)
    assert paid[0].billing is not None and paid[0].billing.status == "paid"
    today = client.billings.list_paid_installments(date(2025, 6, 16), date(2025, 6, 16))
    assert [i.integration_identifier async for i in today] == ["b"]


async def test_attachments(client: nf.NeofinClient, emulator: Emulator, tmp_path: Any) -> None:
    await client.billings.upsert(billing())
    pdf = tmp_path / "nf-21.pdf"
    pdf.write_bytes(b"%PDF-1.4 nf")
    assert (await client.billings.attach_nf("inv-1", pdf)).message == "NF successfully uploaded."
    boleto = await client.billings.attach_boleto("inv-1", b"%PDF-1.4 boleto")
    assert boleto.message == "Boleto successfully uploaded."
    files = await client.billings.attach_files("inv-1", [pdf, ("contrato.pdf", b"%PDF c")])
    assert (files.files_uploaded, files.files_failed) == (["nf-21.pdf", "contrato.pdf"], [])
    record = emulator.billings["inv-1"]
    assert (record.nf_file, record.boleto_file) == (b"%PDF-1.4 nf", b"%PDF-1.4 boleto")
    assert record.files == {"nf-21.pdf": b"%PDF-1.4 nf", "contrato.pdf": b"%PDF c"}


async def test_customers(client: nf.NeofinClient) -> None:
    queued = await client.customers.upsert(
        {"document": "245.407.070-78", "integration_identifier": "c-1", "name": "Ana Souza"}
    )
    assert queued.message == "Customers successfully queued."
    by_id = await client.customers.retrieve("c-1")
    assert (by_id.document, by_id.name, by_id.situation) == (CPF, "Ana Souza", "regular")
    assert await client.customers.retrieve_by_document("245.407.070-78") == by_id
    with pytest.raises(nf.NotFoundError, match=r"Customer not found\."):
        await client.customers.retrieve("c-2")


async def test_webhook_registration(client: nf.NeofinClient, emulator: Emulator) -> None:
    answer = await client.webhooks.register(nf.WebhookTopic.PAID, "https://erp.example.com/hook")
    assert answer.message == "Webhook successfully registered."
    assert emulator.webhook_registrations[0].topic == "payments/paid"


async def test_unknown_route_is_explained(client: nf.NeofinClient) -> None:
    transport = client._pipeline  # the documented-but-wrong PATCH of some integrators
    with pytest.raises(nf.AuthenticationError, match="route or HTTP method that does not exist"):
        await transport.request("PATCH", "/billing/123", retryable=False)


# -- over a real socket ------------------------------------------------------------------------


def served_client(base_url: str, **options: Any) -> nf.NeofinClient:
    return nf.NeofinClient(DEFAULT_API_KEY, DEFAULT_SECRET_KEY, base_url=base_url, **options)


async def test_served_with_uvicorn() -> None:
    emulator = Emulator(clock=ManualClock(START), page_size=2)
    with emulator.serving() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        async with served_client(server.base_url) as client:
            await client.billings.upsert([billing(f"inv-{n}") for n in range(3)])
            assert (await client.billings.retrieve("inv-2")).status == "pending"
            assert len([b async for b in client.billings.list()]) == 3
            response = await client.http_client.get(server.base_url + "/billing/integration/x")
            assert response.status_code == 403
            assert response.content == b'{"message":"Invalid API Keys","errors":{}}'
            assert response.headers["x-amzn-requestid"]
    assert emulator.request_counts["POST /billing/"] == 1


async def test_served_faults_look_like_network_failures() -> None:
    emulator = Emulator(clock=ManualClock(START), seed=1)
    with emulator.serving() as server:
        async with served_client(server.base_url, max_retries=0, timeout=10) as client:
            emulator.configure(drop_rate=1.0)
            with pytest.raises(nf.APIConnectionError) as dropped:
                await client.billings.upsert(billing())
            assert not isinstance(dropped.value, nf.APITimeoutError)
            # closed without an answer: "disconnected" or, when the close resets the socket
            # before the client reads (a race of the two processes), a read error
            assert re.search(
                r"RemoteProtocolError: Server disconnected|ReadError: the connection broke",
                str(dropped.value),
            )
            emulator.configure(drop_rate=0.0, hang_rate=1.0)
            with pytest.raises(nf.APITimeoutError):  # a short timeout only where it must hit
                await client.with_options(timeout=0.3).billings.retrieve("inv-1")
            emulator.configure(hang_rate=0.0, throttle_rate=1.0, retry_after=3)
            with pytest.raises(nf.RateLimitError) as throttled:
                await client.billings.retrieve("inv-1")
            assert throttled.value.retry_after == 3.0
            emulator.configure(throttle_rate=0.0)
            assert (await client.billings.upsert(billing())).errors == {}
    assert emulator.queued == 0 and list(emulator.billings) == ["inv-1"]
    assert emulator.errors == []


async def test_served_webhooks_are_delivered_by_the_lifespan_ticker() -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        event = await receive()
        received.append(({k.decode(): v.decode() for k, v in scope["headers"]}, event["body"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    hooks = httpx.AsyncClient(transport=EmulatorTransport(receiver))
    emulator = Emulator(webhook_client=hooks, tick_interval=0.01)
    with emulator.serving() as server:
        async with served_client(server.base_url) as client:
            await client.webhooks.register("payments/created", "http://erp.localhost/hook")
            await client.billings.upsert(billing())
            for _ in range(500):  # at most 5 s
                if received:
                    break
                await anyio.sleep(0.01)
    headers, raw = received[0]
    event = nf.webhooks.parse_event(raw, headers)
    assert event.topic == "payments/created"
    assert nf.webhooks.verify_signature(raw, headers["x-neofin-hmac-sha256"], DEFAULT_SECRET_KEY)
    assert emulator.deliveries[0].state == "delivered"


def test_python_dash_m_serves_and_prints_the_keys() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "neofin_async.emulator", "--port", "0", "--seed", "1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            banner = [process.stdout.readline() for _ in range(3)]
            assert banner[0].startswith("Neofin emulator on http://127.0.0.1:")
            assert banner[1:] == [
                "  api-key:    emulator-api-key\n",
                "  secret-key: emulator-secret-key\n",
            ]
            base_url = banner[0].split()[3]
            keys = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}
            for _ in range(100):  # the socket is bound before the banner; wait for startup
                try:
                    response = httpx.get(base_url + "/billing/integration/x", headers=keys)
                    break
                except httpx.TransportError:
                    anyio.run(anyio.sleep, 0.05)
            assert (response.status_code, response.content) == (
                404,
                b'{"message":"Billing not found.","errors":{}}',
            )
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_python_dash_m_refuses_bad_settings() -> None:
    command = [sys.executable, "-m", "neofin_async.emulator", "--fail-rate", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "fault rates must be between 0 and 1" in done.stderr


def test_in_process_use_needs_no_uvicorn() -> None:
    script = """
import asyncio, sys
sys.modules["uvicorn"] = None  # as if the emulator extra were not installed
from neofin_async.emulator import Emulator, serve

async def main():
    client = Emulator().client()
    await client.customers.upsert({"document": "24540707078"})
    print((await client.customers.retrieve_by_document("24540707078")).document)

asyncio.run(main())
try:
    serve(port=0)
except RuntimeError as exc:
    print(exc)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        CPF,
        "Serving the emulator needs uvicorn: pip install 'neofin-async[emulator]'",
    ]
