"""Emulator conformance: every route's status codes, exact compact bodies and headers, the
queue, the billing lifecycle, events, paging, attachments and customers (raw HTTP, in-process)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from neofin_async.emulator import (
    DEFAULT_API_KEY,
    DEFAULT_SECRET_KEY,
    IN_PROCESS_BASE_URL,
    Emulator,
    ManualClock,
)

KEYS = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}
START = 1_750_000_000  # 2025-06-15T15:06:40Z
DAY = 86_400
CNPJ = "51491769000190"
CPF = "24540707078"

QUEUED = b'{"message":"Billings successfully queued.","errors":{}}'
NOT_FOUND = b'{"message":"Billing not found.","errors":{}}'
INVALID_KEYS = b'{"message":"Invalid API Keys","errors":{}}'
MISSING_TOKEN = b'{"message":"Missing Authentication Token"}'


def billing(identifier: str = "inv-1", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "integration_identifier": identifier,
        "customer_document": CNPJ,
        "amount": 15000,
        "due_date": START + 10 * DAY,
        "installment_type": "custom",
        "installments": 1,
        "type": "bolepix",
        "by_mail": False,
        "by_whatsapp": True,
        "customer_name": "Empresa Teste LTDA",
        "customer_mail": "financeiro@example.com",
        "customer_phone": "+5511987654321",
    }
    item.update(fields)
    return item


def body(response: httpx.Response) -> Any:
    return json.loads(response.content)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, seed=7)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL, headers=KEYS
    ) as client:
        yield client


async def upsert(http: httpx.AsyncClient, *items: dict[str, Any]) -> httpx.Response:
    return await http.post("/billing/", json={"billings": list(items)})


# -- upsert, status codes and bodies -----------------------------------------------------------


async def test_upsert_answers_202_with_compact_body_and_aws_headers(
    http: httpx.AsyncClient,
) -> None:
    response = await upsert(http, billing())
    assert response.status_code == 202
    assert response.content == QUEUED
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(QUEUED))
    assert uuid.UUID(response.headers["x-amzn-requestid"]).version == 4
    assert re.fullmatch(r"[A-Za-z0-9+/]{15}=", response.headers["x-amz-apigw-id"])


async def test_missing_field_is_reported_like_production(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    item = billing()
    del item["installment_type"]
    response = await upsert(http, item)
    assert response.status_code == 400
    assert (
        response.content == b'{"message":"","errors":{"installment_type[0]":["Field not found."]}}'
    )
    assert emulator.queued == 0 and not emulator.billings


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("customer_document", "12345678901", "Invalid CPF/CNPJ."),
        ("customer_document", 51491769000190, "Not a valid string."),
        ("amount", 0, "Must be greater than 0."),
        ("amount", 150.5, "Not a valid integer."),
        ("amount", True, "Not a valid integer."),
        ("due_date", "2025-01-01", "Not a valid integer."),
        ("installment_type", "yearly", "Must be one of: weekly, biweekly, monthly, custom."),
        ("installments", 0, "Must be greater than 0."),
        ("type", "cash", "Must be one of: generic, bolepix, boleto, pix."),
        ("integration_identifier", " ", "Field may not be empty."),
        ("by_mail", "yes", "Not a valid boolean."),
        ("by_whatsapp", None, "Field not found."),
        ("address_state", "XX", "Not a valid state (UF)."),
        ("customer_name", 7, "Not a valid string."),
        ("recipients", "a@b.com", "Not a valid list of strings."),
    ],
)
async def test_invalid_fields(http: httpx.AsyncClient, field: str, value: Any, text: str) -> None:
    response = await upsert(http, billing(), billing("inv-2", **{field: value}))
    assert response.status_code == 400
    assert body(response) == {"message": "", "errors": {f"{field}[1]": [text]}}


async def test_every_missing_required_field_is_named(http: httpx.AsyncClient) -> None:
    response = await upsert(http, {"description": "nothing else"})
    required = [
        "customer_document",
        "amount",
        "due_date",
        "installment_type",
        "installments",
        "type",
        "integration_identifier",
        "by_mail",
        "by_whatsapp",
    ]
    assert body(response)["errors"] == {f"{f}[0]": ["Field not found."] for f in required}


async def test_documents_punctuated_and_alphanumeric_cnpj(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    items = [
        billing("a", customer_document="245.407.070-78"),
        billing("b", customer_document="12.ABC.345/01DE-35"),
    ]
    assert (await upsert(http, *items)).status_code == 202
    assert emulator.billings["a"].customer.document == CPF
    assert emulator.billings["b"].customer.document == "12ABC34501DE35"


async def test_unknown_fields_are_accepted_and_ignored(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    item = billing(issued_at=START, payee_name="Escola", payee_document=CNPJ, origin="erp")
    assert (await upsert(http, item)).content == QUEUED
    assert "payee_name" not in emulator.billings["inv-1"].data


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", b'{"message":"Invalid request body","errors":{}}'),
        (b"[]", b'{"message":"Invalid request body","errors":{}}'),
        (b"{}", b'{"message":"","errors":{"billings":["Field not found."]}}'),
        (
            b'{"billings":{}}',
            b'{"message":"","errors":{"billings":["Not a valid non-empty list."]}}',
        ),
        (b'{"billings":[1]}', b'{"message":"","errors":{"billings[0]":["Not a valid object."]}}'),
    ],
)
async def test_malformed_bodies(http: httpx.AsyncClient, content: bytes, expected: bytes) -> None:
    response = await http.post("/billing/", content=content)
    assert (response.status_code, response.content) == (400, expected)


async def test_more_than_50_items_is_a_400(http: httpx.AsyncClient, emulator: Emulator) -> None:
    response = await upsert(http, *(billing(f"i{n}") for n in range(51)))
    assert response.status_code == 400
    assert body(response)["errors"] == {"billings": ["Limit of 50 items per request."]}
    assert (await upsert(http, *(billing(f"i{n}") for n in range(50)))).status_code == 202
    assert len(emulator.billings) == 50


async def test_route_without_trailing_slash(http: httpx.AsyncClient) -> None:
    assert (await http.post("/billing", json={"billings": [billing()]})).content == QUEUED


# -- partial failure and required-field modes --------------------------------------------------


async def test_accept_valid_mode_queues_the_valid_items(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.configure(partial_failure="accept_valid")
    response = await upsert(http, billing("good"), billing("bad", amount=-1))
    assert response.status_code == 202
    assert response.content == (
        b'{"message":"Billings successfully queued.",'
        b'"errors":{"amount[1]":["Must be greater than 0."]}}'
    )
    assert list(emulator.billings) == ["good"]
    response = await upsert(http, billing("bad", amount=-1))
    assert response.status_code == 400  # nothing valid: the observed one-item behaviour


async def test_howto_mode_requires_customer_and_address_fields(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.configure(required_fields="howto")
    response = await upsert(http, billing(address_complement=""))
    errors = body(response)["errors"]
    assert errors["address_complement[0]"] == ["Field may not be empty."]
    assert errors["address_city[0]"] == ["Field not found."]
    assert "customer_name[0]" not in errors
    address = {
        "address_city": "São Paulo",
        "address_complement": "CJ 4",
        "address_neighborhood": "Jardim Paulista",
        "address_number": "365",
        "address_state": "SP",
        "address_street": "Avenida Paulista",
        "address_zip_code": "01405-000",
    }
    assert (await upsert(http, billing(**address))).status_code == 202


# -- auth and API Gateway answers --------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"api-key": DEFAULT_API_KEY}, {"api-key": DEFAULT_API_KEY, "secret-key": "wrong"}],
)
async def test_wrong_or_missing_keys(emulator: Emulator, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL, headers=headers
    ) as http:
        for method, path in [("POST", "/billing/"), ("GET", "/billing/integration/x")]:
            response = await http.request(method, path, json={"billings": [billing()]})
            assert (response.status_code, response.content) == (403, INVALID_KEYS)
    assert emulator.queued == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/billing/123"),
        ("POST", "/billing/123/paid"),
        ("PUT", "/billing/123"),
        ("DELETE", "/billing/"),
        ("GET", "/webhook"),
        ("GET", "/nothing/here"),
        ("GET", "/"),
    ],
)
async def test_unknown_routes_and_methods_get_the_gateway_403(
    emulator: Emulator, method: str, path: str
) -> None:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL
    ) as http:  # no keys: the gateway answers before authentication
        response = await http.request(method, path)
    assert (response.status_code, response.content) == (403, MISSING_TOKEN)
    assert emulator.request_counts["unmatched"] == 1


# -- the queue ---------------------------------------------------------------------------------


async def test_404_until_processed(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.configure(processing_delay=3600)
    await upsert(http, billing())
    response = await http.get("/billing/integration/inv-1")
    assert (response.status_code, response.content) == (404, NOT_FOUND)
    assert len(NOT_FOUND) == 44  # the observed content-length
    assert emulator.queued == 1
    clock.advance(3599)
    assert (await http.get("/billing/integration/inv-1")).status_code == 404
    clock.advance(1)
    response = await http.get("/billing/integration/inv-1")
    assert response.status_code == 200
    assert body(response)["status"] == "pending"
    assert emulator.queued == 0


async def test_billing_body_has_the_documented_shape(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    await upsert(http, billing(installments=3, installment_type="monthly", fine=2))
    data = body(await http.get("/billing/integration/inv-1"))
    number = emulator.billings["inv-1"].billing_number
    assert re.fullmatch(r"\d{15}", number)
    assert data == {
        "customer_mail": "financeiro@example.com",
        "fine": "2",
        "digest": "",
        "status": "pending",
        "installments": 3.0,
        "nfe_number": "",
        "customer_phone": "+5511987654321",
        "fees": "",
        "by_mail": False,
        "installment_type": "monthly",
        "billing_number": number,
        "created_by_name": "Integração API",
        "customer_document": CNPJ,
        "discount_before_payment": "",
        "integration_identifier": "inv-1",
        "due_date": float(START + 10 * DAY),
        "updated_at": float(START),
        "by_whatsapp": True,
        "issued_at": float(START),
        "amount": 15000.0,
        "description": "",
        "billing_url": f"https://sandbox.neofin.com.br/pay?billing={number}",
        "discount_before_payment_due_date": 0.0,
        "customer_name": "Empresa Teste LTDA",
        "type": "bolepix",
        "payments": [
            {
                "installment": f"{n}/3",
                "payment_number": f"{number}-{n}",
                "payment_status": "pending",
            }
            for n in (1, 2, 3)
        ],
    }
    assert [p.amount for p in emulator.billings["inv-1"].payments] == [5000, 5000, 5000]
    by_number = await http.get(f"/billing/{number}")
    assert body(by_number) == data
    # the numeric route does not know your identifiers (neofin-api.md 2.3)
    assert (await http.get("/billing/inv-1")).content == NOT_FOUND


async def test_production_pay_url(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.configure(environment="production")
    await upsert(http, billing())
    url = body(await http.get("/billing/integration/inv-1"))["billing_url"]
    assert url.startswith("https://app.neofin.com.br/pay?billing=")


async def test_identifiers_with_reserved_characters(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    await upsert(http, billing("nf 12/2025#1"))
    response = await http.get("/billing/integration/nf%2012%2F2025%231")
    assert body(response)["integration_identifier"] == "nf 12/2025#1"


async def test_upsert_updates_an_existing_billing(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await upsert(http, billing())
    number = emulator.billings["inv-1"].billing_number
    clock.advance(60)
    await upsert(http, billing(amount=20000, description="Parcela 1/1"))
    data = body(await http.get("/billing/integration/inv-1"))
    assert (data["amount"], data["description"], data["billing_number"]) == (
        20000.0,
        "Parcela 1/1",
        number,
    )
    assert data["updated_at"] == START + 60
    assert [e["event_type"] for e in emulator.billings["inv-1"].events][-1] == "billing_updated"


async def test_upsert_does_not_revive_a_cancelled_billing(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    await upsert(http, billing())
    await http.put("/billing/cancel/inv-1")
    await upsert(http, billing(amount=99))
    record = emulator.billings["inv-1"]
    assert (record.status, record.data["amount"]) == ("cancelled", 15000)


# -- lifecycle ---------------------------------------------------------------------------------


async def test_processing_pending_overdue(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.configure(registration_delay=300)
    await upsert(http, billing(due_date=START + DAY))
    assert emulator.billings["inv-1"].status == "processing"
    response = await http.put("/billing/cancel/inv-1")
    assert response.status_code == 400
    assert body(response) == {
        "message": "Billing cannot be cancelled in status 'processing': only pending, overdue "
        "or error billings can be cancelled.",
        "errors": {},
    }
    clock.advance(300)
    await http.get("/billing/integration/inv-1")
    assert emulator.billings["inv-1"].status == "pending"
    clock.set(START + 2 * DAY - 1)  # overdue the day after the due date
    assert body(await http.get("/billing/integration/inv-1"))["status"] == "pending"
    clock.advance(1)
    data = body(await http.get("/billing/integration/inv-1"))
    assert data["status"] == "overdue"
    assert data["payments"][0]["payment_status"] == "overdue"
    statuses = [(e["event_type"], e["event_status"]) for e in emulator.billings["inv-1"].events]
    assert statuses == [
        ("billing_created", "processing"),
        ("status_changed", "pending"),
        ("status_changed", "overdue"),
    ]


async def test_installments_fall_overdue_one_by_one(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await upsert(http, billing(installments=2, installment_type="weekly", due_date=START))
    payments = emulator.billings["inv-1"].payments
    assert payments[1].due_date == START + 7 * DAY
    clock.advance(DAY)
    emulator.advance()
    assert [p.status for p in payments] == ["overdue", "pending"]
    clock.advance(7 * DAY)
    emulator.advance()
    assert [p.status for p in payments] == ["overdue", "overdue"]


@pytest.mark.parametrize("status", ["pending", "overdue", "error"])
async def test_cancel_from_cancellable_statuses(
    http: httpx.AsyncClient, emulator: Emulator, status: str
) -> None:
    await upsert(http, billing())
    emulator.set_status("inv-1", status)
    response = await http.put("/billing/cancel/inv-1")
    assert (response.status_code, response.content) == (
        200,
        b'{"message":"Billing successfully canceled.","errors":{}}',
    )
    assert emulator.billings["inv-1"].status == "cancelled"
    assert emulator.billings["inv-1"].payments[0].status == "cancelled"


@pytest.mark.parametrize("status", ["paid", "cancelled", "processing", "partially_paid"])
async def test_cancel_refused_in_other_statuses(
    http: httpx.AsyncClient, emulator: Emulator, status: str
) -> None:
    await upsert(http, billing())
    emulator.set_status("inv-1", status)
    response = await http.put("/billing/cancel/inv-1")
    assert response.status_code == 400
    assert f"in status '{status}'" in body(response)["message"]
    assert emulator.billings["inv-1"].status == status


async def test_unknown_billing_is_404_on_every_billing_route(http: httpx.AsyncClient) -> None:
    for method, path in [
        ("PUT", "/billing/paid/nope"),
        ("PUT", "/billing/cancel/nope"),
        ("GET", "/billing/events/nope"),
        ("POST", "/billing/attachments/nope"),
        ("PUT", "/billing/nfupload/nope"),
        ("PUT", "/billing/boletoupload/nope"),
        ("POST", "/billing/v2/paid/123"),
        ("POST", "/billing/integration/reopen-installment/123"),
    ]:
        response = await http.request(method, path, json={})
        assert (response.status_code, response.content) == (404, NOT_FOUND), path


async def test_mark_paid_records_paid_installments(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await upsert(http, billing(installments=2))
    clock.advance(60)
    response = await http.put("/billing/paid/inv-1")
    assert (response.status_code, response.content) == (
        200,
        b'{"message":"Billing successfully paid.","errors":{}}',
    )
    record = emulator.billings["inv-1"]
    assert record.status == "paid"
    assert [(p.status, p.paid_amount, p.paid_at) for p in record.payments] == [
        ("paid", 7500, START + 60),
        ("paid", 7500, START + 60),
    ]
    again = await http.put("/billing/paid/inv-1")
    assert body(again) == {"message": "Billing is already paid.", "errors": {}}
    cancel = await http.put("/billing/cancel/inv-1")
    assert cancel.status_code == 400


async def test_v2_partial_then_full_settlement(http: httpx.AsyncClient, emulator: Emulator) -> None:
    await upsert(http, billing(installments=2))
    number = emulator.billings["inv-1"].billing_number
    response = await http.post(f"/billing/v2/paid/{number}", json={"paid_amount": 10000})
    assert response.status_code == 200
    record = emulator.billings["inv-1"]
    assert record.status == "partially_paid"
    assert [(p.status, p.paid_amount) for p in record.payments] == [
        ("paid", 7500),
        ("partially_paid", 2500),
    ]
    response = await http.post(
        f"/billing/v2/paid/{number}",
        json={"paid_amount": 4000, "discount_amount": 1000, "paid_at": "2025-06-01"},
    )
    assert response.status_code == 200
    assert record.status == "paid"
    assert (record.payments[1].paid_amount, record.payments[1].discount) == (6500, 1000)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"paid_amount": 0}, "paid_amount"),
        ({"paid_amount": "100"}, "paid_amount"),
        ({"discount_amount": -1}, "discount_amount"),
        ({"paid_at": "01/06/2025"}, "paid_at"),
    ],
)
async def test_v2_validation(
    http: httpx.AsyncClient, emulator: Emulator, payload: dict[str, Any], field: str
) -> None:
    await upsert(http, billing())
    number = emulator.billings["inv-1"].billing_number
    response = await http.post(f"/billing/v2/paid/{number}", json=payload)
    assert response.status_code == 400
    assert list(body(response)["errors"]) == [field]


async def test_reopen_a_cancelled_billing(http: httpx.AsyncClient, emulator: Emulator) -> None:
    await upsert(http, billing())
    number = emulator.billings["inv-1"].billing_number
    refused = await http.post(f"/billing/integration/reopen-installment/{number}")
    assert refused.status_code == 400
    await http.put("/billing/cancel/inv-1")
    response = await http.post(f"/billing/integration/reopen-installment/{number}")
    assert (response.status_code, response.content) == (
        202,
        b'{"message":"Request accepted for billing reopening."}',
    )
    record = emulator.billings["inv-1"]
    assert (record.status, record.payments[0].status) == ("pending", "pending")


# -- events and lists --------------------------------------------------------------------------


async def test_event_feed_and_events_of_one_billing(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await upsert(http, billing("a"))
    clock.advance(3600)
    await upsert(http, billing("b"))
    await http.put("/billing/cancel/b")
    number = emulator.billings["b"].billing_number
    feed = body(await http.get("/billing/events"))
    assert feed["count"] == 5 and feed["next_page_token"] is None
    since = body(
        await http.get("/billing/events", params={"start_datetime": "2025-06-15T16:00:00Z"})
    )
    assert since["events"] == [
        {
            "event_type": "billing_created",
            "event_status": "processing",
            "event_time": START + 3600,
            "event_description": "Billing created.",
            "by": "Integração API",
            "event_category": "billing",
            "billing_number": number,
        },
        {
            "event_type": "status_changed",
            "event_status": "pending",
            "event_time": START + 3600,
            "event_description": "Status changed from processing to pending.",
            "by": "Neofin",
            "event_category": "billing",
            "billing_number": number,
        },
        {
            "event_type": "status_changed",
            "event_status": "cancelled",
            "event_time": START + 3600,
            "event_description": "Status changed from pending to cancelled.",
            "by": "Integração API",
            "event_category": "billing",
            "billing_number": number,
        },
    ]
    one = body(await http.get("/billing/events/b"))
    assert one == {"events": since["events"], "next_page_token": None, "count": 3}
    bad = await http.get("/billing/events", params={"start_datetime": "yesterday"})
    assert body(bad) == {
        "message": "",
        "errors": {"start_datetime": ["Not a valid datetime (ISO-8601)."]},
    }


async def test_pages_end_with_a_null_token(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.configure(page_size=2)
    await upsert(http, *(billing(f"inv-{n}") for n in range(5)))
    seen, token, counts = [], None, []
    while True:
        params = {"next_page_token": token} if token else {}
        page = body(await http.get("/billing/", params=params))
        counts.append(page["count"])
        seen += [b["integration_identifier"] for b in page["billings"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert counts == [2, 2, 1]
    assert seen == [f"inv-{n}" for n in range(5)]


async def test_filtered_pages_do_not_end_with_an_empty_page(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.configure(page_size=2)
    await upsert(http, *(billing(f"inv-{n}") for n in range(6)))
    for n in (1, 3, 5):
        await http.put(f"/billing/cancel/inv-{n}")
    first = body(await http.get("/billing/status/cancelled"))
    assert [b["integration_identifier"] for b in first["billings"]] == ["inv-1", "inv-3"]
    second = body(
        await http.get(
            "/billing/status/cancelled", params={"next_page_token": first["next_page_token"]}
        )
    )
    assert [b["integration_identifier"] for b in second["billings"]] == ["inv-5"]
    assert second["next_page_token"] is None
    item = second["billings"][0]
    assert (item["status"], item["origin"], item["amount"], item["fine"]) == (
        "cancelled",
        "api",
        15000,
        0,
    )
    assert item["customer_id"] == emulator.customers[CNPJ].id


async def test_bad_page_tokens_and_statuses(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.configure(page_size=1)
    await upsert(http, billing("a"), billing("b"))
    token = body(await http.get("/billing/"))["next_page_token"]
    other_route = await http.get("/billing/events", params={"next_page_token": token})
    assert body(other_route)["errors"] == {"next_page_token": ["Not a valid page token."]}
    garbage = await http.get("/billing/", params={"next_page_token": "%%%"})
    assert garbage.status_code == 400
    status = await http.get("/billing/status/nope")
    assert body(status)["errors"] == {"status": ["Not a valid billing status."]}
    empty = await http.get("/billing/status/paid")
    assert empty.content == b'{"billings":[],"next_page_token":null,"count":0}'


async def test_updated_at_window(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await upsert(http, billing("early"))
    clock.advance(DAY)
    await upsert(http, billing("late"))
    day_one = {"start_datetime": "2025-06-15T00:00:00Z", "end_datetime": "2025-06-16T00:00:00.000Z"}
    page = body(await http.get("/billing/updated_at", params=day_one))
    assert [b["integration_identifier"] for b in page["billings"]] == ["early"]
    since = body(await http.get("/billing/updated_at", params={"start_datetime": "2025-06-16"}))
    assert [b["integration_identifier"] for b in since["billings"]] == ["late"]


async def test_billings_by_customer(http: httpx.AsyncClient) -> None:
    await upsert(
        http,
        billing("a", customer_document=CPF, customer_integration_identifier="c-1"),
        billing("b"),
    )
    for key in (CPF, "245.407.070-78", "c-1"):
        page = body(await http.get(f"/billing/customer/{key}"))
        assert [b["integration_identifier"] for b in page["billings"]] == ["a"], key


async def test_installments_by_payment_date(
    http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await upsert(http, billing("a", installments=2), billing("b"))
    emulator.simulate_payment("a", installment=1)  # 2025-06-15, 12:06 in São Paulo
    clock.advance(DAY)
    emulator.simulate_payment("b", method="boleto")
    everything = body(await http.get("/billing/installment/by_payment_date"))
    assert [i["installment_number"] for i in everything["installments"]] == [
        emulator.billings["a"].billing_number + "-1",
        emulator.billings["b"].billing_number + "-1",
    ]
    first = everything["installments"][0]
    assert first["paid_at"] == "2025-06-15T12:06:40-03:00"
    assert (first["paid_amount"], first["original_amount"], first["installment_order"]) == (
        7500,
        7500,
        "1",
    )
    assert first["billing"]["status"] == "partially_paid"
    window = {"start_paid_at_date": "2025-06-16", "end_paid_at_date": "2025-06-16"}
    page = body(await http.get("/billing/installment/by_payment_date", params=window))
    assert [i["integration_identifier"] for i in page["installments"]] == ["b"]
    bad = await http.get("/billing/installment/by_payment_date", params={"end_paid_at_date": "x"})
    assert body(bad)["errors"] == {"end_paid_at_date": ["Not a valid date (YYYY-MM-DD)."]}


# -- attachments -------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_attachments(http: httpx.AsyncClient, emulator: Emulator) -> None:
    await upsert(http, billing())
    files = [
        {"file_name": "contrato.pdf", "file": b64(b"%PDF-1")},
        {"file_name": "sem-extensao", "file": b64(b"x")},
        {"file_name": "ruim.pdf", "file": "not base64!"},
    ]
    response = await http.post("/billing/attachments/inv-1", json={"files": files})
    assert response.status_code == 200
    assert body(response) == {
        "message": "Attachment(s) processed.",
        "files_uploaded": ["contrato.pdf"],
        "files_failed": [
            {"file_name": "sem-extensao", "error": "The file name needs an extension."},
            {"file_name": "ruim.pdf", "error": "The file is not valid base64."},
        ],
    }
    nf = await http.put("/billing/nfupload/inv-1", json={"nf_file": b64(b"%PDF-nf")})
    assert nf.content == b'{"message":"NF successfully uploaded.","errors":{}}'
    boleto = await http.put("/billing/boletoupload/inv-1", json={"file": b64(b"%PDF-bol")})
    assert boleto.content == b'{"message":"Boleto successfully uploaded.","errors":{}}'
    record = emulator.billings["inv-1"]
    assert (record.files, record.nf_file, record.boleto_file) == (
        {"contrato.pdf": b"%PDF-1"},
        b"%PDF-nf",
        b"%PDF-bol",
    )
    missing = await http.put("/billing/boletoupload/inv-1", json={"boleto_file": b64(b"x")})
    assert body(missing) == {"message": "", "errors": {"file": ["Field not found."]}}
    invalid = await http.put("/billing/nfupload/inv-1", json={"nf_file": "@@"})
    assert body(invalid)["errors"] == {"nf_file": ["Not a valid base64 file."]}


# -- customers ---------------------------------------------------------------------------------


async def test_customers(http: httpx.AsyncClient, emulator: Emulator, clock: ManualClock) -> None:
    emulator.configure(processing_delay=10)
    customer = {"document": "245.407.070-78", "integration_identifier": "c-1", "name": "Ana"}
    response = await http.post("/customer/", json={"customers": [customer]})
    assert (response.status_code, response.content) == (
        202,
        b'{"message":"Customers successfully queued.","errors":{}}',
    )
    not_found = await http.get("/customer/integration/c-1")
    assert (not_found.status_code, not_found.content) == (
        404,
        b'{"message":"Customer not found.","errors":{}}',
    )
    clock.advance(10)
    data = body(await http.get("/customer/integration/c-1"))
    assert data == {
        "id": emulator.customers[CPF].id,
        "document": CPF,
        "integration_identifier": "c-1",
        "name": "Ana",
        "trade_name": None,
        "mail": None,
        "phone": None,
        "secondary_phone": None,
        "address_street": None,
        "address_number": None,
        "address_complement": None,
        "address_neighborhood": None,
        "address_city": None,
        "address_state": None,
        "address_zip_code": None,
        "recipients": [],
        "pause_notifications": False,
        "situation": "regular",
    }
    assert uuid.UUID(data["id"]).version == 4
    assert body(await http.get("/customer/245.407.070-78")) == data
    assert body(await http.get(f"/customer/{CPF}")) == data
    assert (await http.get("/customer/11111111111")).status_code == 404


async def test_customer_validation(http: httpx.AsyncClient, emulator: Emulator) -> None:
    response = await http.post("/customer/", json={"customers": [{"name": "x"}, {"document": "1"}]})
    assert body(response) == {
        "message": "",
        "errors": {"document[0]": ["Field not found."], "document[1]": ["Invalid CPF/CNPJ."]},
    }
    emulator.configure(required_fields="howto")
    response = await http.post("/customer/", json={"customers": [{"document": CPF, "name": ""}]})
    errors = body(response)["errors"]
    assert errors["name[0]"] == ["Field may not be empty."]
    assert errors["phone[0]"] == ["Field not found."]


async def test_customers_are_upserted_from_billing_data(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    await upsert(http, billing("a", customer_name="Old", customer_integration_identifier="c-9"))
    customer = emulator.customers[CNPJ]
    assert (customer.data["name"], customer.data["integration_identifier"]) == ("Old", "c-9")
    await upsert(http, billing("b", customer_name="New"))
    assert customer.data["name"] == "New"
    await upsert(http, billing("c", customer_name="Ignored", ignore_existing_customer_upsert=True))
    assert customer.data["name"] == "New"
    assert body(await http.get("/billing/integration/c"))["customer_name"] == "New"
    assert body(await http.get("/customer/integration/c-9"))["name"] == "New"


# -- webhook registration, request log ---------------------------------------------------------


async def test_webhook_registration(http: httpx.AsyncClient, emulator: Emulator) -> None:
    payload = {"topic": "payments/paid", "destination": "https://hooks.example.com/neofin"}
    response = await http.post("/webhook", json=payload)
    assert (response.status_code, response.content) == (
        200,
        b'{"message":"Webhook successfully registered.","errors":{}}',
    )
    await http.post("/webhook", json=payload)  # the same pair again: not registered twice
    assert [(r.topic, r.destination) for r in emulator.webhook_registrations] == [
        ("payments/paid", "https://hooks.example.com/neofin")
    ]
    bad = await http.post("/webhook", json={"topic": "billing/paid", "destination": "ftp://x"})
    assert body(bad)["errors"] == {
        "topic": [
            "Must be one of: payments/created, payments/registered, payments/overdue, "
            "payments/paid, payments/cancelled."
        ],
        "destination": ["Not a valid URL."],
    }
    missing = await http.post("/webhook", json={})
    assert body(missing)["errors"] == {
        "topic": ["Field not found."],
        "destination": ["Field not found."],
    }


async def test_request_log_counts_per_route(http: httpx.AsyncClient, emulator: Emulator) -> None:
    await upsert(http, billing())
    await http.get("/billing/integration/inv-1")
    await http.get("/billing/integration/nope")
    await http.patch("/billing/x")
    assert emulator.request_counts == {
        "POST /billing/": 1,
        "GET /billing/integration/{integration_identifier}": 2,
        "unmatched": 1,
    }
    last = emulator.requests[-2]
    assert (last.method, last.path, last.status, last.fault, last.at) == (
        "GET",
        "/billing/integration/nope",
        404,
        None,
        START,
    )
    assert not emulator.errors
