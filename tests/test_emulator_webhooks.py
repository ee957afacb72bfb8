"""Emulator webhooks: what is sent for each status change, signed and verifiable, and retried
on the documented schedule (0, +5 min, +20 min), scaled or driven by a manual clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import anyio
import httpx
import pytest

import neofin_async as nf
from neofin_async.emulator import DEFAULT_SECRET_KEY, Emulator, EmulatorTransport, ManualClock
from neofin_async.webhooks import (
    PaymentCreated,
    PaymentPaid,
    WebhookVerifier,
    parse_event,
    verify_signature,
)

START = 1_750_000_000  # 2025-06-15T12:06:40-03:00
DAY = 86_400
HOOK = "http://hooks.localhost/neofin"


def billing(identifier: str = "inv-1", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "integration_identifier": identifier,
        "customer_document": "51491769000190",
        "amount": 15000,
        "due_date": START + 10 * DAY,
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
        "customer_name": "Empresa Teste LTDA",
        "address_city": "São Paulo",
        "address_zip_code": "01405000",
    }
    item.update(fields)
    return item


class Receiver:
    """A webhook destination: records every delivery, answers the scripted statuses (then
    200); "hang" never answers."""

    def __init__(self, *script: int | str) -> None:
        self.script = list(script)
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, b"".join(chunks)))
        status = self.script.pop(0) if self.script else 200
        if status == "hang":
            await anyio.sleep(3600)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    @property
    def topics(self) -> list[str]:
        return [headers["x-neofin-topic"] for headers, _ in self.received]


def receiver_client(receiver: Receiver) -> httpx.AsyncClient:
    # EmulatorTransport enforces the delivery timeout, which httpx.ASGITransport ignores
    return httpx.AsyncClient(transport=EmulatorTransport(receiver))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def emulator(clock: ManualClock, receiver: Receiver) -> AsyncIterator[Emulator]:
    emulator = Emulator(clock=clock, seed=3, webhook_client=receiver_client(receiver))
    yield emulator
    await emulator.aclose()


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[nf.NeofinClient]:
    async with emulator.client(max_retries=0) as client:
        yield client


async def register(client: nf.NeofinClient, *topics: str) -> None:
    for topic in topics:
        await client.webhooks.register(topic, HOOK)


async def test_created_is_signed_and_verifiable(
    emulator: Emulator, client: nf.NeofinClient, receiver: Receiver, clock: ManualClock
) -> None:
    await register(client, "payments/created")
    await client.billings.upsert(billing(installments=2))
    assert receiver.received == []  # deliveries are made by the ticker, not by the request
    attempts = await emulator.tick()
    assert [a.status_code for a in attempts] == [200, 200]
    record = emulator.billings["inv-1"]
    for (headers, raw), payment in zip(receiver.received, record.payments, strict=True):
        assert headers["x-neofin-topic"] == "payments/created"
        assert uuid.UUID(headers["x-neofin-webhook-id"]).version == 4
        assert headers["x-neofin-datetime"] == "2025-06-15T12:06:40-03:00"
        assert headers["x-neofin-api-version"] == "2023-07"
        assert headers["user-agent"] == "neofin-webhook"
        assert headers["content-type"] == "application/json"
        assert verify_signature(raw, headers["x-neofin-hmac-sha256"], DEFAULT_SECRET_KEY)
        assert not verify_signature(raw, headers["x-neofin-hmac-sha256"], "another-secret")
        assert b", " not in raw  # compact JSON
        payload = parse_event(raw, headers).data
        assert payload.payment_number == payment.number
        assert payload.id == payment.id
    verifier = WebhookVerifier(
        DEFAULT_SECRET_KEY, now=lambda: datetime.fromtimestamp(clock(), timezone.utc)
    )
    headers, raw = receiver.received[1]
    event = verifier.authenticate(raw, headers)
    assert isinstance(event, PaymentCreated)
    assert event.data.model_dump(include={"payment_status", "installment", "billing_amount"}) == {
        "payment_status": "pending",
        "installment": "2/2",
        "billing_amount": 15000,
    }
    assert event.data.integration_identifier == "inv-1"
    assert event.data.address_city == "São Paulo"
    assert event.data.payment_amount == 7500
    assert all(d.state == "delivered" for d in emulator.deliveries)


async def test_raw_payload_has_the_documented_flat_shape(
    emulator: Emulator, client: nf.NeofinClient, receiver: Receiver
) -> None:
    await register(client, "payments/created")
    await client.billings.upsert(billing(nfe_number="21", nf_url="https://erp.example/nf.pdf"))
    await emulator.tick()
    payload = emulator.deliveries[0].payload
    number = emulator.billings["inv-1"].billing_number
    assert payload == {
        "id": emulator.billings["inv-1"].payments[0].id,
        "customer_name": "Empresa Teste LTDA",
        "customer_document": "51491769000190",
        "customer_mail": "",
        "customer_phone": "",
        "address_street": "",
        "address_number": "",
        "address_complement": "",
        "address_neighborhood": "",
        "address_city": "São Paulo",
        "address_state": "",
        "address_zip_code": "01405000",
        "billing_amount": "15000",
        "payment_number": f"{number}-1",
        "payment_method": "bolepix",
        "payment_status": "pending",
        "payment_amount": "15000",
        "description": "",
        "installment": "1/1",
        "fine": 0.0,
        "fees": 0.0,
        "discount_before_payment_due_date": 0,
        "discount_before_payment": 0.0,
        "due_date": START + 10 * DAY,
        "issued_at": START,
        "external_identifier": "inv-1",
        "integration_identifier": "inv-1",
        "billing_number": number,
        "billing_url": f"https://sandbox.neofin.com.br/pay?billing={number}",
        "os_code": None,
        "os_identifier": None,
        "nf_url": "https://erp.example/nf.pdf",
        "danfe": [{"number": "21", "url": "https://erp.example/nf.pdf"}],
        "rps": "",
    }


async def test_each_status_change_has_its_topic(
    emulator: Emulator, client: nf.NeofinClient, receiver: Receiver, clock: ManualClock
) -> None:
    await register(
        client,
        "payments/created",
        "payments/registered",
        "payments/overdue",
        "payments/paid",
        "payments/cancelled",
    )
    await client.billings.upsert(
        [
            billing("to-cancel"),
            billing("generic", type="generic", due_date=START),
            billing("to-pay"),
        ]
    )
    await emulator.tick()
    assert receiver.topics == [
        "payments/created",
        "payments/registered",
        "payments/created",  # a generic billing is not registered at a bank
        "payments/created",
        "payments/registered",
    ]
    receiver.received.clear()
    await client.billings.cancel("to-cancel")
    clock.advance(DAY)  # "generic" falls overdue
    emulator.simulate_payment("to-pay", method="boleto")
    await emulator.tick()
    assert receiver.topics == ["payments/cancelled", "payments/overdue", "payments/paid"]
    cancelled, overdue, paid = (parse_event(raw, headers) for headers, raw in receiver.received)
    assert cancelled.data.payment_status == "cancelled"
    assert overdue.data.integration_identifier == "generic"
    assert isinstance(paid, PaymentPaid)
    assert (paid.data.paid_amount, paid.data.paid_method) == (15000, "boleto")
    assert paid.data.paid_at == datetime.fromtimestamp(START + DAY, timezone.utc)


async def test_every_destination_of_a_topic_gets_a_delivery(
    emulator: Emulator, client: nf.NeofinClient, receiver: Receiver
) -> None:
    await client.webhooks.register("payments/paid", HOOK)
    await client.webhooks.register("payments/paid", "http://other.localhost/hook")
    await client.billings.upsert(billing())
    await client.billings.mark_paid("inv-1")
    await emulator.tick()
    destinations = sorted(d.destination for d in emulator.deliveries)
    assert destinations == [HOOK, "http://other.localhost/hook"]
    assert len({d.webhook_id for d in emulator.deliveries}) == 2


async def test_retries_at_0_5_and_20_minutes(client: nf.NeofinClient, clock: ManualClock) -> None:
    receiver = Receiver(500, 503, 200)
    emulator = Emulator(clock=clock, webhook_client=receiver_client(receiver))
    emulator.register_webhook("payments/created", HOOK)
    await emulator.client().billings.upsert(billing())
    assert len(await emulator.tick()) == 1
    assert await emulator.tick() == []
    clock.advance(299)
    assert await emulator.tick() == []
    clock.advance(1)
    assert [a.status_code for a in await emulator.tick()] == [503]
    clock.advance(899)
    assert await emulator.tick() == []
    clock.advance(1)
    assert [a.status_code for a in await emulator.tick()] == [200]
    (delivery,) = emulator.deliveries
    assert delivery.state == "delivered"
    assert [a.at - START for a in delivery.attempts] == [0, 300, 1200]
    assert len({h["x-neofin-webhook-id"] for h, _ in receiver.received}) == 1  # same id: dedupe
    assert len({raw for _, raw in receiver.received}) == 1
    assert receiver.received[2][0]["x-neofin-datetime"] == "2025-06-15T12:26:40-03:00"
    await emulator.aclose()


async def test_a_delivery_fails_after_three_attempts(clock: ManualClock) -> None:
    receiver = Receiver(500, 500, 500, 500)
    emulator = Emulator(clock=clock, webhook_client=receiver_client(receiver))
    emulator.register_webhook("payments/created", HOOK)
    await emulator.client().billings.upsert(billing())
    for _ in range(4):
        await emulator.tick()
        clock.advance(1200)
    (delivery,) = emulator.deliveries
    assert (delivery.state, len(delivery.attempts), len(receiver.received)) == ("failed", 3, 3)


async def test_timeouts_and_connection_errors_are_failed_attempts(clock: ManualClock) -> None:
    receiver = Receiver("hang")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    hanging = Emulator(clock=clock, webhook_client=receiver_client(receiver), webhook_timeout=0.05)
    refused = Emulator(
        clock=clock, webhook_client=httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    )
    for emulator in (hanging, refused):
        emulator.register_webhook("payments/created", HOOK)
        await emulator.client().billings.upsert(billing())
    ((timeout,), (error,)) = [await hanging.tick(), await refused.tick()]
    assert (timeout.status_code, timeout.ok) == (None, False)
    assert timeout.error is not None and timeout.error.startswith("ReadTimeout")
    assert error.error == "ConnectError: connection refused"
    assert hanging.deliveries[0].state == refused.deliveries[0].state == "pending"


async def test_the_ticker_runs_a_scaled_schedule() -> None:
    receiver = Receiver(500, 500, 200)
    emulator = Emulator(
        webhook_client=receiver_client(receiver),
        webhook_time_scale=0.0001,  # 0, 30 ms, 120 ms
        tick_interval=0.005,
    )
    async with emulator:
        emulator.register_webhook("payments/created", HOOK)
        await emulator.client().billings.upsert(billing())
        for _ in range(1000):  # at most 5 s
            if emulator.deliveries[0].state != "pending":
                break
            await anyio.sleep(0.005)
    (delivery,) = emulator.deliveries
    assert delivery.state == "delivered"
    first, second, third = (a.at for a in delivery.attempts)
    assert second - first >= 0.03 and third - first >= 0.12
    assert emulator.errors == []


async def test_lifespan_starts_and_stops_the_ticker() -> None:
    emulator = Emulator()
    sent: list[dict[str, Any]] = []
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        event = next(events)
        if event["type"] == "lifespan.shutdown":
            assert emulator._ticker is not None and not emulator._ticker.done()
        return event

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await emulator({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert emulator._ticker is None
