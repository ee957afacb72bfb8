"""The ChargeOver emulator over raw HTTP: envelope, status codes, auth, queries and `_bulk`."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from neofin_async.chargeover.emulator import DEFAULT_PRIVATE_KEY, DEFAULT_PUBLIC_KEY, Emulator

BASIC = base64.b64encode(f"{DEFAULT_PUBLIC_KEY}:{DEFAULT_PRIVATE_KEY}".encode()).decode()
AUTH = {"authorization": f"Basic {BASIC}"}
CUSTOMER = "/api/v3/customer"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed=3)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://co.test", headers=AUTH
    ) as client:
        yield client


def envelope(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "status", "message", "details", "response"}
    assert body["code"] == response.status_code
    assert body["status"] == ("OK" if response.status_code < 400 else "Error")
    return body


def sub(method: str, uri: str, payload: Any = None) -> dict[str, Any]:
    return {"request_method": method, "uri": uri, "payload": payload}


async def test_basic_auth_is_required(emulator: Emulator) -> None:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://t") as http:
        missing = await http.get(CUSTOMER)
        wrong = await http.get(CUSTOMER, auth=("emulator-public-key", "guess"))
        garbled = await http.get(CUSTOMER, headers={"authorization": "Basic %%%"})
        right = await http.get(CUSTOMER, auth=(DEFAULT_PUBLIC_KEY, DEFAULT_PRIVATE_KEY))
    assert envelope(missing) == {
        "code": 401,
        "status": "Error",
        "message": "Invalid or incorrect authorization [Missing (basic) authorization header.]",
        "details": {},
        "response": False,
    }
    assert wrong.status_code == garbled.status_code == 401
    assert "Invalid or incorrect authorization" in envelope(wrong)["message"]
    assert right.status_code == 200 and envelope(right)["response"] == []


async def test_create_get_update_and_the_unique_external_key(http: httpx.AsyncClient) -> None:
    created = await http.post(CUSTOMER, json={"company": "Acme", "external_key": "A:1/x"})
    assert created.status_code == 201 and envelope(created)["response"] == {"id": 1}
    again = await http.post(CUSTOMER, json={"company": "Acme 2", "external_key": "A:1/x"})
    assert again.status_code == 400 and envelope(again)["response"] is False
    assert "already in use" in envelope(again)["message"]

    by_key = envelope(await http.get(f"{CUSTOMER}/external_key:A:1%2Fx"))["response"]
    by_id = envelope(await http.get(f"{CUSTOMER}/1"))["response"]
    by_token = envelope(await http.get(f"{CUSTOMER}/token:{by_id['token']}"))["response"]
    assert by_key == by_id == by_token
    assert by_id["company"] == "Acme" and by_id["customer_id"] == 1
    assert by_id["write_datetime"] and by_id["currency_iso4217"] == "USD"

    updated = await http.put(f"{CUSTOMER}/external_key:A:1%2Fx", json={"bill_state": "MN"})
    assert updated.status_code == 202 and envelope(updated)["response"] == {"id": 1}
    record = envelope(await http.get(f"{CUSTOMER}/1"))["response"]
    assert (record["company"], record["bill_state"]) == ("Acme", "MN")  # fields left out stay

    missing = await http.get(f"{CUSTOMER}/external_key:nope")
    assert missing.status_code == 404
    assert envelope(missing)["message"] == "This customer does not exist."
    assert (await http.put(f"{CUSTOMER}/99", json={"company": "x"})).status_code == 404


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        ({}, "No data"),
        ({"bill_city": "x"}, "company"),
        ({"company": "A", "superuser_email": "nope"}, "superuser_email"),
        ({"company": "A", "invoice_delivery": "fax"}, "invoice_delivery"),
        ({"company": "A", "brand_id": "one"}, "brand_id"),
        ({"company": "A", "colour": "red"}, "colour"),
        ({"company": "A", "parent_customer_id": 42}, "parent_customer_id"),
    ],
)
async def test_bad_creates_are_400(http: httpx.AsyncClient, payload: Any, text: str) -> None:
    response = await http.post(CUSTOMER, json=payload)
    assert response.status_code == 400 and text in envelope(response)["message"]


async def test_not_json_and_unknown_routes_are_400(http: httpx.AsyncClient) -> None:
    assert (await http.post(CUSTOMER, content=b"{nope")).status_code == 400
    assert (await http.get("/api/v3/nothing")).status_code == 400
    assert (await http.put(CUSTOMER, json={})).status_code == 400


async def test_where_order_offset_limit_and_count(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    for n in range(25):
        state = "MN" if n % 2 else "CT"
        await http.post(
            CUSTOMER, json={"company": f"C{n:02d}", "external_key": f"k,{n}", "bill_state": state}
        )
    query = {"where": "bill_state:EQUALS:MN", "order": "company:DESC", "offset": "2", "limit": "3"}
    page = envelope(await http.get(CUSTOMER, params=query))["response"]
    assert [c["company"] for c in page] == ["C19", "C17", "C15"]
    escaped = envelope(await http.get(CUSTOMER, params={"where": "external_key:EQUALS:k\\,7"}))
    assert [c["customer_id"] for c in escaped["response"]] == [8]
    assert len(envelope(await http.get(CUSTOMER))["response"]) == 10  # default limit
    emulator.configure(max_page_size=4)
    assert len(envelope(await http.get(CUSTOMER, params={"limit": "100"}))["response"]) == 4
    count = await http.get(f"{CUSTOMER}/_count", params={"where": "bill_state:EQUALS:CT"})
    assert envelope(count)["response"] == 13
    numeric = envelope(await http.get(f"{CUSTOMER}/_count", params={"where": "customer_id:GT:20"}))
    assert numeric["response"] == 5
    bad = await http.get(CUSTOMER, params={"where": "password:EQUALS:x"})
    assert bad.status_code == 400


async def test_deleted_keys_are_not_reused_by_default(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    await http.post(CUSTOMER, json={"company": "A", "external_key": "gone"})
    assert envelope(await http.delete(f"{CUSTOMER}/external_key:gone"))["response"] is True
    assert (
        await http.post(CUSTOMER, json={"company": "B", "external_key": "gone"})
    ).status_code == 400
    emulator.configure(reuse_deleted_keys=True)
    await http.post(CUSTOMER, json={"company": "C", "external_key": "gone2"})
    await http.delete(f"{CUSTOMER}/external_key:gone2")
    assert (
        await http.post(CUSTOMER, json={"company": "D", "external_key": "gone2"})
    ).status_code == 201


async def test_bulk_answers_every_sub_request_in_order(http: httpx.AsyncClient) -> None:
    calls = [
        sub("POST", CUSTOMER, {"company": "A", "external_key": "a"}),
        sub("POST", CUSTOMER, {"company": "B", "external_key": "a"}),
        sub("PUT", f"{CUSTOMER}/external_key:a", {"bill_city": "Hamden"}),
        sub("PUT", f"{CUSTOMER}/external_key:b", {"company": "B"}),
        sub("GET", f"{CUSTOMER}?where=bill_city:EQUALS:Hamden"),
        sub("POST", "/api/v3/_bulk", []),
        {"request_method": "POST"},
    ]
    response = await http.post("/api/v3/_bulk", json=calls)
    assert response.status_code == 200
    answers = envelope(response)["response"]["_bulk"]
    assert [a["code"] for a in answers] == [201, 400, 202, 404, 200, 400, 400]
    assert [a["status"] for a in answers] == ["OK", "Error", "OK", "Error", "OK", "Error", "Error"]
    assert answers[4]["response"][0]["external_key"] == "a"


async def test_bulk_limits_and_the_configurable_outer_status(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    too_many = [sub("GET", f"{CUSTOMER}/1")] * 26
    assert (await http.post("/api/v3/_bulk", json=too_many)).status_code == 400
    assert (await http.post("/api/v3/_bulk", json={"not": "a list"})).status_code == 400
    emulator.configure(bulk_error_status=400)
    failing = await http.post("/api/v3/_bulk", json=[sub("GET", f"{CUSTOMER}/1")])
    assert failing.status_code == 400
    assert envelope(failing)["response"]["_bulk"][0]["code"] == 404


async def test_sub_request_faults(emulator: Emulator, http: httpx.AsyncClient) -> None:
    emulator.configure(bulk_item_throttle_rate=1.0)
    throttled = await http.post("/api/v3/_bulk", json=[sub("POST", CUSTOMER, {"company": "A"})])
    assert envelope(throttled)["response"]["_bulk"][0]["code"] == 429
    assert emulator.customers == {}
    emulator.configure(bulk_item_throttle_rate=0.0, bulk_item_lost_rate=1.0)
    lost = await http.post("/api/v3/_bulk", json=[sub("POST", CUSTOMER, {"company": "A"})])
    assert envelope(lost)["response"]["_bulk"][0]["code"] == 500
    assert [c["company"] for c in emulator.customers.values()] == ["A"]  # applied anyway


async def test_a_lost_answer_was_stored(emulator: Emulator, http: httpx.AsyncClient) -> None:
    emulator.configure(lost_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(CUSTOMER, json={"company": "A", "external_key": "lost"})
    assert emulator.customer("lost") is not None
    emulator.configure(lost_rate=0.0, throttle_rate=1.0, retry_after=7)
    throttled = await http.get(CUSTOMER)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "7"
    assert envelope(throttled)["message"] == "Rate limit exceeded."


def test_served_over_http() -> None:
    emulator = Emulator()
    with emulator.serving() as server:
        created = httpx.post(
            server.base_url + CUSTOMER, json={"company": "A"}, headers=AUTH, timeout=5
        )
    assert created.status_code == 201 and envelope(created)["response"] == {"id": 1}


def test_command_line_options_build_the_configured_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`neofin-async emulator --provider chargeover ...`: the provider hook of the kit."""
    import argparse
    import dataclasses

    import neofin_async._emulation as kit
    from neofin_async._emulation import FaultSettings
    from neofin_async.chargeover import emulator as module

    if not hasattr(kit, "fault_arguments"):  # the kit's CLI lands separately

        def fault_arguments(args: argparse.Namespace) -> dict[str, Any]:
            names = [field.name for field in dataclasses.fields(FaultSettings)]
            return {"seed": args.seed, **{name: getattr(args, name) for name in names}}

        monkeypatch.setattr(kit, "fault_arguments", fault_arguments, raising=False)
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    args = parser.parse_args(
        ["--bulk-error-status", "400", "--bulk-item-lost-rate", "0.2", "--reuse-deleted-keys"]
    )
    for field in dataclasses.fields(FaultSettings):
        setattr(args, field.name, field.default)
    args.seed, args.lost_rate = 5, 0.1
    built = module.from_args(args)
    assert isinstance(built, Emulator)
    assert (built.config.bulk_error_status, built.config.bulk_item_lost_rate) == (400, 0.2)
    assert built.config.reuse_deleted_keys and built.config.lost_rate == 0.1
    assert built.config.seed == 5 and built.config.public_key == DEFAULT_PUBLIC_KEY
