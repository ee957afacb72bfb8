"""Hostile input to the Neofin emulator (issue 10, items 9 to 11): no 500, answers that stay
valid JSON, bounded memory, and the "lost answer" fault."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import neofin_async as nf
from neofin_async._constants import (
    MAX_CENTAVOS,
    MAX_INSTALLMENTS,
    MAX_JSON_DEPTH,
    MAX_REQUEST_BYTES,
    MAX_TEXT_LENGTH,
    MAX_TIMESTAMP,
)
from neofin_async.emulator import (
    DEFAULT_API_KEY,
    DEFAULT_SECRET_KEY,
    IN_PROCESS_BASE_URL,
    Emulator,
    FaultRule,
    ManualClock,
)
from neofin_async.emulator import _render as render
from neofin_async.emulator._validation import compact_document

KEYS = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}
CNPJ = "51491769000190"
START = 1_700_000_000
INVALID_BODY = {"message": "Invalid request body", "errors": {}}


def billing(identifier: str = "inv-1", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "integration_identifier": identifier,
        "customer_document": CNPJ,
        "amount": 15000,
        "due_date": START + 86_400,
        "installment_type": "monthly",
        "installments": 1,
        "type": "bolepix",
        "by_mail": False,
        "by_whatsapp": True,
    }
    item.update(fields)
    return item


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(clock=ManualClock(START), seed=3)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL, headers=KEYS
    ) as client:
        yield client


async def upsert_raw(http: httpx.AsyncClient, content: bytes) -> httpx.Response:
    return await http.post("/billing/", content=content)


def field_error(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.text
    data = json.loads(response.content)
    assert data["message"] == ""
    return data["errors"]  # type: ignore[no-any-return]


async def assert_every_read_is_json(http: httpx.AsyncClient) -> None:
    for path in ("/billing/", "/billing/integration/inv-1", "/billing/events"):
        answer = await http.get(path)
        assert answer.status_code < 500, (path, answer.text)
        json.loads(answer.content, parse_constant=pytest.fail)  # bare NaN is not JSON


# -- item 9: malformed input is a 400, never a 500 ---------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000,
        b'{"billings": ' + b"[" * 100_000,
        b'{"billings": ['
        + b'{"a":' * (MAX_JSON_DEPTH + 1)
        + b"1"
        + b"}" * (MAX_JSON_DEPTH + 1)
        + b"]}",
    ],
    ids=["brackets", "nested-in-batch", "deep-object"],
)
async def test_deeply_nested_bodies_are_a_400(http: httpx.AsyncClient, content: bytes) -> None:
    answer = await upsert_raw(http, content)
    assert answer.status_code == 400 and json.loads(answer.content) == INVALID_BODY


async def test_nesting_within_the_limit_is_read(http: httpx.AsyncClient) -> None:
    boleto: Any = 1
    for _ in range(MAX_JSON_DEPTH - 4):  # body > billings > item > boleto > ...
        boleto = {"a": boleto}
    answer = await http.post("/billing/", json={"billings": [billing(boleto=boleto)]})
    assert answer.status_code == 202, answer.text


async def test_a_due_date_that_overflows_with_installments_is_refused(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    year_9999 = 253_402_214_400  # 9999-12-31
    item = billing(due_date=year_9999, installments=2)
    errors = field_error(await http.post("/billing/", json={"billings": [item]}))
    assert errors == {"due_date[0]": [f"Must be less than or equal to {MAX_TIMESTAMP}."]}
    latest = billing(due_date=MAX_TIMESTAMP, installments=MAX_INSTALLMENTS)
    assert (await http.post("/billing/", json={"billings": [latest]})).status_code == 202
    await assert_every_read_is_json(http)
    assert len(emulator.billings["inv-1"].payments) == MAX_INSTALLMENTS
    assert not emulator.errors


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        pytest.param(
            "amount", 10**400, f"Must be less than or equal to {MAX_CENTAVOS}.", id="10**400"
        ),
        ("amount", MAX_CENTAVOS + 1, f"Must be less than or equal to {MAX_CENTAVOS}."),
        pytest.param("fees", 10**400, f"Must be less than or equal to {MAX_CENTAVOS}.", id="fees"),
        ("fine", -(10**30), "Must be greater than or equal to 0."),
        ("discount_before_payment", -1, "Must be greater than or equal to 0."),
        ("original_due_date", MAX_TIMESTAMP + 1, f"Must be less than or equal to {MAX_TIMESTAMP}."),
        (
            "customer_name",
            "x" * (MAX_TEXT_LENGTH + 1),
            f"Longer than maximum length {MAX_TEXT_LENGTH}.",
        ),
        (
            "recipients",
            ["x" * (MAX_TEXT_LENGTH + 1)],
            f"Longer than maximum length {MAX_TEXT_LENGTH}.",
        ),
    ],
)
async def test_values_out_of_bounds_are_field_errors_not_stored(
    http: httpx.AsyncClient, emulator: Emulator, field: str, value: Any, text: str
) -> None:
    errors = field_error(
        await http.post("/billing/", json={"billings": [billing(**{field: value})]})
    )
    assert errors == {f"{field}[0]": [text]}
    assert emulator.queued == 0 and not emulator.billings
    await assert_every_read_is_json(http)


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
@pytest.mark.parametrize("field", ["fees", "fine", "discount_before_payment"])
async def test_non_finite_numbers_are_field_errors(
    http: httpx.AsyncClient, emulator: Emulator, field: str, token: bytes
) -> None:
    changes: dict[str, Any] = {field: 0}
    text = json.dumps({"billings": [billing(**changes)]}).encode()
    text = text.replace(f'"{field}": 0'.encode(), f'"{field}": '.encode() + token)
    errors = field_error(await upsert_raw(http, text))
    assert errors == {f"{field}[0]": ["Not a valid number."]}
    assert not emulator.billings
    await assert_every_read_is_json(http)


async def test_the_largest_values_are_stored_and_read_back(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    item = billing(amount=MAX_CENTAVOS, fees=MAX_CENTAVOS, description="é" * MAX_TEXT_LENGTH)
    assert (await http.post("/billing/", json={"billings": [item]})).status_code == 202
    read = await http.get("/billing/integration/inv-1")
    assert read.status_code == 200 and read.json()["amount"] == float(MAX_CENTAVOS)
    await assert_every_read_is_json(http)


@pytest.mark.parametrize(
    ("paid_amount", "field"),
    [(10**400, "paid_amount"), (-1, "paid_amount"), (True, "paid_amount")],
    ids=["10**400", "negative", "boolean"],
)
async def test_v2_payment_amounts_are_bounded(
    http: httpx.AsyncClient, emulator: Emulator, paid_amount: Any, field: str
) -> None:
    assert (await http.post("/billing/", json={"billings": [billing()]})).status_code == 202
    number = emulator.billings["inv-1"].billing_number
    errors = field_error(await http.post(f"/billing/v2/paid/{number}", json={field: paid_amount}))
    assert list(errors) == [field]
    await assert_every_read_is_json(http)


# -- item 10: bounded work and memory ----------------------------------------------------------


async def test_half_a_million_installments_are_refused_at_once(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    errors = field_error(
        await http.post("/billing/", json={"billings": [billing(installments=500_000)]})
    )
    assert errors == {"installments[0]": [f"Must be less than or equal to {MAX_INSTALLMENTS}."]}
    assert emulator.queued == 0


async def test_internal_errors_are_few_and_short(
    http: httpx.AsyncClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any) -> Any:
        raise RuntimeError("x" * 100_000)

    assert (await http.post("/billing/", json={"billings": [billing()]})).status_code == 202
    monkeypatch.setattr(render, "billing", explode)
    for _ in range(emulator.config.error_log_size + 50):
        answer = await http.get("/billing/integration/inv-1")
        assert answer.status_code == 500
        assert answer.json() == {"message": "Internal server error"}
    assert len(emulator.errors) == emulator.config.error_log_size
    assert all(len(e.error) <= 200 and e.route.startswith("GET ") for e in emulator.errors)


def test_the_document_cache_does_not_keep_long_strings() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(300):
            assert compact_document(f"{i}" + "1" * 100_000) is None
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 1_000_000  # 300 documents of 100 KB would be 30 MB


async def test_long_document_paths_answer_404(http: httpx.AsyncClient, emulator: Emulator) -> None:
    answer = await http.get("/customer/" + "1" * 50_000)
    assert answer.status_code == 404
    assert len(emulator.requests[-1].path) <= 2_000


# -- item 11: stored, but the answer was lost --------------------------------------------------


async def test_a_lost_answer_was_stored(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.configure(lost_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/billing/", json={"billings": [billing()]})
    emulator.configure(lost_rate=0.0)
    assert (await http.get("/billing/integration/inv-1")).status_code == 200
    assert emulator.requests[0].fault == "lost" and emulator.requests[0].status == 0


async def test_a_lost_rule_acts_on_its_route_only(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.configure(faults=(FaultRule("POST", "/billing", lost_rate=1.0),))
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/billing/", json={"billings": [billing()]})
    assert (await http.get("/billing/integration/inv-1")).status_code == 200
    customer = await http.post("/customer/", json={"customers": [{"document": CNPJ}]})
    assert customer.status_code == 202


@pytest.mark.parametrize("where", ["everywhere", "upserts"])
async def test_bulk_runs_through_lost_answers_with_one_billing_per_key(where: str) -> None:
    lost: dict[str, Any] = {"lost_rate": 0.3}
    if where == "upserts":
        lost = {"faults": (FaultRule("POST", "/billing", lost_rate=0.4),)}
    emulator = Emulator(seed=11, **lost)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = emulator.client(max_retries=20, retry_policy=nf.RetryPolicy(sleep=sleep))
    count = 400
    items = [billing(f"inv-{i}", amount=1000 + i) for i in range(count)]
    async with client:
        result = await client.billings.bulk_upsert(items, chunk_size=10, concurrency=4)
    assert result.total == count and result.accepted == count, result
    assert sorted(emulator.billings) == sorted(f"inv-{i}" for i in range(count))
    assert all(emulator.billings[f"inv-{i}"].data["amount"] == 1000 + i for i in range(count))
    resent = [r for r in emulator.requests if r.fault == "lost"]
    assert resent and sleeps  # answers were lost, and the chunks were sent again
    updated = {e["billing_number"] for e in emulator.events if e["event_type"] == "billing_updated"}
    assert updated  # a resent chunk updated what the lost attempt had stored: no duplicate


async def test_a_body_over_6_mib_is_api_gateways_413(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    answer = await upsert_raw(http, b" " * (MAX_REQUEST_BYTES + 1))
    assert answer.status_code == 413 and answer.json() == {"message": "Request Too Long"}
    assert answer.headers["x-amzn-requestid"] and emulator.queued == 0


async def test_webhook_destinations_are_bounded(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    destination = "https://example.com/" + "x" * MAX_TEXT_LENGTH
    answer = await http.post(
        "/webhook", json={"topic": "payments/paid", "destination": destination}
    )
    assert field_error(answer) == {
        "destination": [f"Longer than maximum length {MAX_TEXT_LENGTH}."]
    }
    assert not emulator.webhook_registrations
