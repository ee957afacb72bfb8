"""Every endpoint of neofin-api.md section 1: method, path, headers, body, parsed result."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import respx
from conftest import API_KEY, SECRET_KEY, VALID_CNPJ, VALID_CPF, billing_item, customer_item

import neofin_async as nf

T = TypeVar("T")
PDF = b"%PDF-1.4 fake \x00\xff"
PDF_B64 = base64.b64encode(PDF).decode()
UTC = timezone.utc


def only_request(api: respx.MockRouter) -> httpx.Request:
    assert len(api.calls) == 1
    request: httpx.Request = api.calls.last.request
    assert request.headers["api-key"] == API_KEY
    assert request.headers["secret-key"] == SECRET_KEY
    assert request.headers["accept"] == "application/json"
    return request


def json_body(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def no_body(request: httpx.Request) -> None:
    assert request.content == b""
    assert "content-type" not in request.headers


async def collect(pager: AsyncIterable[T]) -> list[T]:
    return [item async for item in pager]


# -- POST /billing/ and POST /customer/ -------------------------------------------------------


async def test_billing_upsert(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/").respond(
        202, json={"message": "Billings successfully queued.", "errors": {}}
    )
    items: list[Any] = [
        billing_item(),
        nf.BillingInput.model_validate(billing_item(integration_identifier="b")),
    ]
    result = await client.billings.upsert(items)
    assert isinstance(result, nf.QueuedResponse)
    assert result.message == "Billings successfully queued." and result.errors == {}
    request = only_request(api)
    assert (request.method, request.url.path) == ("POST", "/billing/")
    body = json_body(request)
    assert list(body) == ["billings"]
    assert [b["integration_identifier"] for b in body["billings"]] == ["order-1", "b"]
    assert body["billings"][0] == {**billing_item(), "by_mail": False, "by_whatsapp": True}
    assert b" " not in request.content  # compact JSON


async def test_billing_upsert_normalises_before_sending(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.post("/billing/").respond(202, json={"message": "ok", "errors": {}})
    await client.billings.upsert(
        billing_item(
            customer_document="51.491.769/0001-90",
            customer_phone="(11) 98765-4321",
            address_zip_code="01405-000",
            due_date=date(2025, 1, 1),
        )
    )
    (sent,) = json_body(only_request(api))["billings"]
    assert sent["customer_document"] == VALID_CNPJ
    assert sent["customer_phone"] == "+5511987654321"
    assert sent["address_zip_code"] == "01405000"
    assert sent["due_date"] == 1735700400


@pytest.mark.parametrize(
    "single",
    [billing_item(), nf.BillingInput.model_validate(billing_item())],
    ids=["dict", "model"],
)
async def test_upsert_accepts_a_single_item(
    client: nf.NeofinClient, api: respx.MockRouter, single: Any
) -> None:
    api.post("/billing/").respond(202, json={"message": "ok", "errors": {}})
    await client.billings.upsert(single)
    assert len(json_body(only_request(api))["billings"]) == 1


async def test_upsert_accepts_any_iterable(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/").respond(202, json={"message": "ok", "errors": {}})
    await client.billings.upsert(billing_item(integration_identifier=f"g{i}") for i in range(3))
    assert len(json_body(only_request(api))["billings"]) == 3


async def test_upsert_50_items(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/").respond(202, json={"message": "ok", "errors": {}})
    await client.billings.upsert([billing_item(integration_identifier=f"i{i}") for i in range(50)])
    assert len(json_body(only_request(api))["billings"]) == 50


async def test_upsert_more_than_50_raises_before_any_request(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    items = [billing_item(integration_identifier=f"i{i}") for i in range(51)]
    with pytest.raises(ValueError, match="at most 50 items, got 51; use bulk_upsert"):
        await client.billings.upsert(items)
    with pytest.raises(ValueError, match="at most 50"):
        await client.customers.upsert([customer_item()] * 51)
    assert len(api.calls) == 0


async def test_upsert_nothing(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await client.billings.upsert([])
    assert len(api.calls) == 0


async def test_upsert_invalid_item_sends_nothing(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    items = [
        billing_item(integration_identifier="a"),
        billing_item(integration_identifier="b"),
        billing_item(integration_identifier="c", amount=10.5),
        billing_item(integration_identifier="d", amount=0),
    ]
    with pytest.raises(nf.InvalidItemError) as info:
        await client.billings.upsert(items)
    error = info.value
    assert error.index == 2 and error.integration_identifier == "c"
    assert list(error.errors) == ["amount"]
    assert "item 2 ('c')" in str(error) and "amount" in str(error)
    assert len(api.calls) == 0


async def test_upsert_server_side_errors_are_returned(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.post("/billing/").respond(
        202, json={"message": "Billings queued.", "errors": {"amount[1]": ["Invalid."]}}
    )
    result = await client.billings.upsert(
        [billing_item(), billing_item(integration_identifier="b")]
    )
    assert result.errors == {"amount[1]": ["Invalid."]}


async def test_customer_upsert(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/customer/").respond(202, json={"message": "Customers queued.", "errors": {}})
    result = await client.customers.upsert(
        [
            customer_item(phone="(33) 3333-3333", address_zip_code="01405-001"),
            nf.CustomerInput(document="12.ABC.345/01DE-35", name="Alfa"),
        ]
    )
    assert result.message == "Customers queued."
    request = only_request(api)
    assert (request.method, request.url.path) == ("POST", "/customer/")
    assert json_body(request) == {
        "customers": [
            {
                "document": VALID_CPF,
                "integration_identifier": "cust-1",
                "phone": "+553333333333",
                "address_zip_code": "01405001",
            },
            {"document": "12ABC34501DE35", "name": "Alfa"},
        ]
    }


async def test_customer_upsert_invalid_item(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    with pytest.raises(nf.InvalidItemError) as info:
        await client.customers.upsert([customer_item(), customer_item(document="123", mial="x")])
    assert info.value.index == 1 and info.value.integration_identifier == "cust-1"
    assert set(info.value.errors) == {"document", "mial"}
    assert "did you mean 'mail'" in str(info.value)
    assert len(api.calls) == 0


# -- single billings ------------------------------------------------------------------------

WORKED = {
    "integration_identifier": "Neofin-00000002241",
    "billing_number": "122087378560242",
    "amount": 20000.0,
    "fine": "",
    "due_date": 1703114722.0,
    "payments": [{"installment": "1", "payment_number": "122087378560242-1"}],
}


async def test_retrieve(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get("/billing/integration/Neofin-00000002241").respond(200, json=WORKED)
    billing = await client.billings.retrieve("Neofin-00000002241")
    request = only_request(api)
    assert request.method == "GET"
    no_body(request)
    assert isinstance(billing, nf.Billing)
    assert billing.amount == 20000 and billing.fine is None
    assert billing.due_date == datetime.fromtimestamp(1703114722, UTC)
    assert billing.payments[0].payment_number == "122087378560242-1"


@pytest.mark.parametrize(
    ("identifier", "raw_path"),
    [
        ("pedido 1/2", b"/billing/integration/pedido%201%2F2"),
        ("a?b#c&d=e", b"/billing/integration/a%3Fb%23c%26d%3De"),
        ("cobrança", b"/billing/integration/cobran%C3%A7a"),
        ("..", b"/billing/integration/%2E%2E"),
        (".", b"/billing/integration/%2E"),
        ("a..b", b"/billing/integration/a..b"),
        ("100%", b"/billing/integration/100%25"),
    ],
)
async def test_identifiers_are_percent_encoded(
    client: nf.NeofinClient, api: respx.MockRouter, identifier: str, raw_path: bytes
) -> None:
    api.route().respond(200, json={})
    await client.billings.retrieve(identifier)
    assert only_request(api).url.raw_path == raw_path


@pytest.mark.parametrize("identifier", ["", "   "])
async def test_empty_identifier_refused(
    client: nf.NeofinClient, api: respx.MockRouter, identifier: str
) -> None:
    with pytest.raises(ValueError, match="integration_identifier"):
        await client.billings.retrieve(identifier)
    with pytest.raises(ValueError, match="integration_identifier"):
        await client.billings.cancel(identifier)
    with pytest.raises(ValueError, match="billing_number"):
        await client.billings.retrieve_by_number(identifier)
    assert len(api.calls) == 0


@pytest.mark.parametrize("number", ["122087378560242", 122087378560242])
async def test_retrieve_by_number(
    client: nf.NeofinClient, api: respx.MockRouter, number: Any
) -> None:
    api.get("/billing/122087378560242").respond(200, json={**WORKED, "status": "processing"})
    billing = await client.billings.retrieve_by_number(number)
    assert only_request(api).method == "GET"
    assert billing.status == "processing" and billing.billing_number == "122087378560242"


@pytest.mark.parametrize(
    ("method_name", "path", "message"),
    [
        ("mark_paid", "/billing/paid/seu-id-interno-123456", "Billing successfully paid."),
        ("cancel", "/billing/cancel/seu-id-interno-123456", "Billing successfully canceled."),
    ],
)
async def test_mark_paid_and_cancel(
    client: nf.NeofinClient, api: respx.MockRouter, method_name: str, path: str, message: str
) -> None:
    api.put(path).respond(200, json={"message": message, "errors": {}})
    result = await getattr(client.billings, method_name)("seu-id-interno-123456")
    request = only_request(api)
    assert request.method == "PUT"
    no_body(request)
    assert isinstance(result, nf.MessageResponse)
    assert result.message == message and result.errors == {}


async def test_mark_paid_empty_object_answer(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.put("/billing/paid/x").respond(200, json={})
    assert (await client.billings.mark_paid("x")).message == ""


async def test_mark_paid_v2(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/v2/paid/38078456634432").respond(200, json={"message": "ok"})
    result = await client.billings.mark_paid_v2(
        "38078456634432", paid_amount=10000, discount_amount=500, paid_at=date(2025, 1, 18)
    )
    assert result.message == "ok"
    request = only_request(api)
    assert request.method == "POST"
    assert json_body(request) == {
        "paid_amount": 10000,
        "discount_amount": 500,
        "paid_at": "2025-01-18",
    }


async def test_mark_paid_v2_defaults(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/v2/paid/1").respond(200, json={})
    await client.billings.mark_paid_v2(1, paid_at="2025-01-18")  # type: ignore[arg-type]
    assert json_body(only_request(api)) == {"paid_at": "2025-01-18"}


async def test_mark_paid_v2_refuses_a_datetime(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    with pytest.raises(ValueError, match="date"):
        await client.billings.mark_paid_v2("1", paid_at=datetime(2025, 1, 18, 10, tzinfo=UTC))
    assert len(api.calls) == 0


async def test_reopen(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/integration/reopen-installment/38078456634432").respond(
        200, json={"message": "Request accepted for billing reopening."}
    )
    result = await client.billings.reopen("38078456634432")
    request = only_request(api)
    assert request.method == "POST"
    no_body(request)
    assert result.message == "Request accepted for billing reopening."


def test_integrator_only_endpoints_say_so() -> None:
    from neofin_async.resources import Billings

    for method in (Billings.mark_paid_v2, Billings.reopen):
        assert method.__doc__ is not None and "integrators" in method.__doc__


# -- attachments -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bytes", "str", "path"])
@pytest.mark.parametrize(
    ("method_name", "path", "key"),
    [
        ("attach_nf", "/billing/nfupload/order-1", "nf_file"),
        ("attach_boleto", "/billing/boletoupload/order-1", "file"),
    ],
)
async def test_attach_nf_and_boleto(
    client: nf.NeofinClient,
    api: respx.MockRouter,
    tmp_path: Path,
    kind: str,
    method_name: str,
    path: str,
    key: str,
) -> None:
    file_path = tmp_path / "nota.pdf"
    file_path.write_bytes(PDF)
    file: Any = {"bytes": PDF, "str": str(file_path), "path": file_path}[kind]
    api.put(path).respond(200, json={"message": "NF successfully uploaded.", "errors": {}})
    result = await getattr(client.billings, method_name)("order-1", file)
    assert result.message == "NF successfully uploaded."
    request = only_request(api)
    assert request.method == "PUT"
    assert json_body(request) == {key: PDF_B64}


async def test_attach_missing_file(
    client: nf.NeofinClient, api: respx.MockRouter, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await client.billings.attach_nf("order-1", tmp_path / "missing.pdf")
    assert len(api.calls) == 0


async def test_attach_files(client: nf.NeofinClient, api: respx.MockRouter, tmp_path: Path) -> None:
    on_disk = tmp_path / "teste2.pdf"
    on_disk.write_bytes(b"second")
    api.post("/billing/attachments/order-1").respond(
        200,
        json={
            "message": "Attachment(s) processed.",
            "files_uploaded": ["teste.pdf", "teste2.pdf"],
            "files_failed": [],
        },
    )
    result = await client.billings.attach_files(
        "order-1", [("teste.pdf", PDF), on_disk, str(on_disk)]
    )
    assert isinstance(result, nf.AttachmentsResponse)
    assert result.files_uploaded == ["teste.pdf", "teste2.pdf"] and result.files_failed == []
    request = only_request(api)
    assert request.method == "POST"
    assert json_body(request) == {
        "files": [
            {"file_name": "teste.pdf", "file": PDF_B64},
            {"file_name": "teste2.pdf", "file": base64.b64encode(b"second").decode()},
            {"file_name": "teste2.pdf", "file": base64.b64encode(b"second").decode()},
        ]
    }


async def test_attach_files_needs_extensions_and_files(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    with pytest.raises(ValueError, match="extension"):
        await client.billings.attach_files("order-1", [("README", b"x")])
    with pytest.raises(ValueError, match="at least one"):
        await client.billings.attach_files("order-1", [])
    assert len(api.calls) == 0


# -- list endpoints ----------------------------------------------------------------------------


def page(key: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {key: list(items), "next_page_token": None, "count": len(items)}


async def test_list_all(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get("/billing/").respond(200, json=page("billings", {"amount": "50000"}, {"amount": 1.0}))
    billings = await collect(client.billings.list())
    request = only_request(api)
    assert request.method == "GET" and request.url.query == b""
    assert [b.amount for b in billings] == [50000, 1]
    assert all(isinstance(b, nf.Billing) for b in billings)


async def test_list_by_status(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get("/billing/status/pending").respond(200, json=page("billings", {"status": "pending"}))
    billings = await collect(client.billings.list(status="pending"))
    assert only_request(api).url.path == "/billing/status/pending"
    assert billings[0].status == "pending"


async def test_list_by_status_is_encoded(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.route().respond(200, json=page("billings"))
    await collect(client.billings.list(status="a/b"))
    assert only_request(api).url.raw_path == b"/billing/status/a%2Fb"


@pytest.mark.parametrize(
    ("start", "end", "params"),
    [
        (
            datetime(2025, 1, 1, tzinfo=UTC),
            datetime(2025, 1, 2, 12, 30, 15, 999_000, tzinfo=UTC),
            {"start_datetime": "2025-01-01T00:00:00Z", "end_datetime": "2025-01-02T12:30:15Z"},
        ),
        (
            datetime(2025, 1, 1, 9, tzinfo=timezone(timedelta(hours=-3))),
            date(2025, 1, 2),
            {"start_datetime": "2025-01-01T12:00:00Z", "end_datetime": "2025-01-02T03:00:00Z"},
        ),
        (
            "2026-04-04T19:28:36.844Z",
            None,
            {"start_datetime": "2026-04-04T19:28:36.844Z"},
        ),
        (None, None, {}),
    ],
)
async def test_list_updated(
    client: nf.NeofinClient,
    api: respx.MockRouter,
    start: Any,
    end: Any,
    params: dict[str, str],
) -> None:
    api.get("/billing/updated_at").respond(
        200, json=page("billings", {"status": "processing", "installment_type": "weekly"})
    )
    billings = await collect(client.billings.list_updated(start, end))
    request = only_request(api)
    assert dict(request.url.params) == params
    assert billings[0].installment_type == "weekly"


async def test_list_updated_refuses_naive_datetimes(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    with pytest.raises(ValueError, match="timezone"):
        client.billings.list_updated(datetime(2025, 1, 1))
    assert len(api.calls) == 0


async def test_list_events(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    event = {
        "event_type": "billing",
        "event_status": "created",
        "event_time": 1703084752,
        "event_description": "Cobrança criada",
        "by": "Integração API",
        "event_category": "billing",
        "billing_number": "122087378560242",
    }
    api.get("/billing/events").respond(200, json=page("events", event))
    events = await collect(client.billings.list_events(since=datetime(2025, 1, 1, tzinfo=UTC)))
    request = only_request(api)
    assert dict(request.url.params) == {"start_datetime": "2025-01-01T00:00:00Z"}
    assert isinstance(events[0], nf.BillingEvent)
    assert events[0].event_time == datetime.fromtimestamp(1703084752, UTC)
    assert events[0].billing_number == "122087378560242"


async def test_list_events_of_one_billing(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get("/billing/events/seu-id-interno-123456").respond(
        200,
        json=[page("billings", {"by": "x", "event_time": 1703084752, "event_category": "c"})],
    )
    events = await collect(client.billings.list_events("seu-id-interno-123456"))
    assert dict(only_request(api).url.params) == {}
    assert [(e.by, e.event_category) for e in events] == [("x", "c")]


async def test_list_events_of_one_billing_with_since_refused(client: nf.NeofinClient) -> None:
    with pytest.raises(ValueError, match="since"):
        client.billings.list_events("x", since="2025-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("start", "end", "params"),
    [
        (
            date(2025, 1, 18),
            date(2025, 1, 31),
            {"start_paid_at_date": "2025-01-18", "end_paid_at_date": "2025-01-31"},
        ),
        ("2025-01-18", None, {"start_paid_at_date": "2025-01-18"}),
        (None, None, {}),
    ],
)
async def test_list_paid_installments(
    client: nf.NeofinClient, api: respx.MockRouter, start: Any, end: Any, params: dict[str, str]
) -> None:
    api.get("/billing/installment/by_payment_date").respond(
        200,
        json=page(
            "installments",
            {"paid_amount": "15000", "integration_identifier": 123, "biling": {"amount": 15000.0}},
        ),
    )
    installments = await collect(client.billings.list_paid_installments(start, end))
    assert dict(only_request(api).url.params) == params
    (inst,) = installments
    assert isinstance(inst, nf.Installment)
    assert inst.paid_amount == 15000 and inst.integration_identifier == "123"
    assert inst.billing is not None and inst.billing.amount == 15000


async def test_list_paid_installments_refuses_datetimes(client: nf.NeofinClient) -> None:
    with pytest.raises(ValueError, match="days"):
        client.billings.list_paid_installments(datetime(2025, 1, 18, tzinfo=UTC))


# -- customers -------------------------------------------------------------------------------

CUSTOMER = {"id": "uuid-1", "document": "06612345678", "name": "Fulano", "situation": "regular"}


async def test_customer_retrieve(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get("/customer/integration/seu-customer-interno-987654").respond(200, json=CUSTOMER)
    customer = await client.customers.retrieve("seu-customer-interno-987654")
    request = only_request(api)
    assert request.method == "GET"
    no_body(request)
    assert isinstance(customer, nf.Customer)
    assert customer.id == "uuid-1" and customer.situation == "regular"


async def test_customer_retrieve_encodes(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.route().respond(200, json={})
    customer = await client.customers.retrieve("a b/c")
    assert only_request(api).url.raw_path == b"/customer/integration/a%20b%2Fc"
    assert customer == nf.Customer()


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ("529.982.247-25", "/customer/52998224725"),
        ("51.491.769/0001-90", "/customer/51491769000190"),
        ("12.ABC.345/01DE-35", "/customer/12ABC34501DE35"),
    ],
)
async def test_customer_retrieve_by_document(
    client: nf.NeofinClient, api: respx.MockRouter, document: str, path: str
) -> None:
    api.get(path).respond(200, json=CUSTOMER)
    customer = await client.customers.retrieve_by_document(document)
    assert only_request(api).method == "GET"
    assert customer.name == "Fulano"


async def test_customer_retrieve_by_invalid_document(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    with pytest.raises(ValueError, match="CPF"):
        await client.customers.retrieve_by_document("529.982.247-26")
    assert len(api.calls) == 0


# -- webhooks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", [nf.WebhookTopic.PAID, "payments/paid"])
async def test_webhook_register(
    client: nf.NeofinClient, api: respx.MockRouter, topic: nf.WebhookTopic | str
) -> None:
    api.post("/webhook").respond(200, json={"message": "ok"})
    result = await client.webhooks.register(topic, "https://example.com/hooks/neofin")
    assert result.message == "ok"
    request = only_request(api)
    assert request.method == "POST"
    assert json_body(request) == {
        "topic": "payments/paid",
        "destination": "https://example.com/hooks/neofin",
    }


def test_webhook_topics() -> None:
    assert [t.value for t in nf.WebhookTopic] == [
        "payments/created",
        "payments/registered",
        "payments/overdue",
        "payments/paid",
        "payments/cancelled",
    ]


async def test_webhook_register_refuses_bad_input(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    with pytest.raises(ValueError):
        await client.webhooks.register("payments/unknown", "https://example.com")
    with pytest.raises(ValueError, match="https"):
        await client.webhooks.register("payments/paid", "http://example.com/hook")
    assert len(api.calls) == 0
