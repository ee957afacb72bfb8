"""What users of openai-python or stripe reach for: default headers, environment switches,
resumable pagers, request ids on success, the other error-body shape."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from conftest import API_KEY, BASE_URL, PRODUCTION_URL, SECRET_KEY, billing_item

import neofin_async as nf
from neofin_async.emulator import Emulator


async def test_default_headers_are_sent_and_kept_by_with_options(api: respx.MockRouter) -> None:
    route = api.get("/billing/integration/x").respond(200, json={"integration_identifier": "x"})
    headers = {"x-tenant": "acme", "user-agent": "erp-sync/2"}
    async with nf.NeofinClient(API_KEY, SECRET_KEY, default_headers=headers) as client:
        await client.billings.retrieve("x")
        await client.with_options(max_retries=0).billings.retrieve("x")
        await client.with_options(default_headers={}).billings.retrieve("x")
    first, copy, cleared = (call.request.headers for call in route.calls)
    assert first["x-tenant"] == copy["x-tenant"] == "acme"
    assert first["user-agent"] == "erp-sync/2" and "x-tenant" not in cleared
    assert first["api-key"] == API_KEY  # a default header never replaces the keys


async def test_default_headers_cannot_replace_the_keys(api: respx.MockRouter) -> None:
    route = api.get("/billing/integration/x").respond(200, json={})
    async with nf.NeofinClient(API_KEY, SECRET_KEY, default_headers={"api-key": "x"}) as c:
        await c.billings.retrieve("x")
    assert route.calls[0].request.headers["api-key"] == API_KEY


async def test_with_options_can_switch_the_environment() -> None:
    async with nf.NeofinClient(API_KEY, SECRET_KEY) as client:
        production = client.with_options(environment="production")
        assert (production.environment, production.base_url) == ("production", PRODUCTION_URL)
        assert production.http_client is client.http_client
        assert client.with_options().base_url == BASE_URL
        with pytest.raises(nf.ConfigurationError, match="Unknown environment 'staging'"):
            client.with_options(environment="staging")


async def test_a_listing_resumes_from_a_saved_page_token() -> None:
    emulator = Emulator(page_size=3)
    async with emulator.client() as client:
        await client.billings.upsert(
            [billing_item(integration_identifier=f"r{i}") for i in range(8)]
        )
        first_page = await anext(aiter(client.billings.list().pages()))
        token = first_page.next_page_token
        assert token and [b.integration_identifier for b in first_page.items] == ["r0", "r1", "r2"]
        rest = [b.integration_identifier async for b in client.billings.list(next_page_token=token)]
        events = client.billings.list_events(next_page_token=token)
        with pytest.raises(nf.BadRequestError):  # a token belongs to its own listing
            await anext(aiter(events))
    assert rest == [f"r{i}" for i in range(3, 8)]


async def test_billings_by_customer() -> None:
    emulator = Emulator()
    async with emulator.client() as client:
        await client.billings.upsert(
            [
                billing_item(integration_identifier="a", customer_document="52998224725"),
                billing_item(integration_identifier="b"),
                billing_item(integration_identifier="c", customer_document="529.982.247-25"),
            ]
        )
        found = [
            b.integration_identifier async for b in client.billings.list_by_customer("52998224725")
        ]
    assert found == ["a", "c"]
    assert emulator.request_counts["GET /billing/customer/{customer}"] == 1


async def test_request_ids_on_success(api: respx.MockRouter, client: nf.NeofinClient) -> None:
    api.post("/billing/").respond(
        202, json={"message": "queued", "errors": {}}, headers={"x-amzn-requestid": "rid-1"}
    )
    queued = await client.billings.upsert(billing_item())
    result = await client.billings.bulk_upsert(
        [billing_item(integration_identifier=f"i{n}") for n in range(120)]
    )
    assert queued.request_id == "rid-1" and result.request_ids == ["rid-1"] * 3


@pytest.mark.parametrize(
    ("status", "body", "cls", "message", "errors"),
    [
        (400, {"error": "Customer document is invalid"}, nf.BadRequestError,
         "Customer document is invalid", {}),
        (404, {"error": "Billing not found"}, nf.NotFoundError, "Billing not found", {}),
        (500, {"error": "Internal server error"}, nf.ServerError, "Internal server error", {}),
        (422, {"error": [{"loc": ["billings", 0, "amount"], "msg": "value is not an integer",
                          "type": "int_type"}]}, nf.UnprocessableEntityError,
         "amount[0]: value is not an integer", {"amount[0]": ["value is not an integer"]}),
    ],
)  # fmt: skip
async def test_the_other_error_body_shape_is_read(
    api: respx.MockRouter,
    status: int,
    body: object,
    cls: type[nf.APIError],
    message: str,
    errors: dict[str, list[str]],
) -> None:
    api.get("/billing/integration/x").respond(status, json=body, headers={"x-amzn-requestid": "r9"})
    async with nf.NeofinClient(API_KEY, SECRET_KEY, max_retries=0) as client:
        with pytest.raises(cls) as info:
            await client.billings.retrieve("x")
    assert info.value.message.startswith(message) and info.value.errors == errors
    assert info.value.request_id == "r9"
    assert issubclass(nf.UnprocessableEntityError, nf.BadRequestError)


async def test_an_injected_client_is_sent_without_following_redirects() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "/billing/elsewhere"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer), follow_redirects=True)
    async with nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http, max_retries=0) as client:
        with pytest.raises(nf.APIError) as info:
            await client.billings.retrieve("x")
    assert info.value.status_code == 307


async def test_fields_production_accepts_and_a_pass_through_for_the_rest(
    api: respx.MockRouter,
) -> None:
    route = api.post("/billing/").respond(202, json={"message": "queued", "errors": {}})
    known = billing_item(issued_at=1_700_000_000, payee_name="Escola", origin="erp")
    extra = billing_item(erp_code="A1", cost_center="CC-9")
    async with nf.NeofinClient(API_KEY, SECRET_KEY, extra_fields={"erp_code"}) as client:
        await client.billings.upsert(known)
        with pytest.raises(nf.InvalidItemError, match="cost_center: unknown field"):
            await client.billings.upsert(extra)
        await client.billings.upsert(extra, extra_fields={"cost_center"})
        result = await client.billings.bulk_upsert([extra], extra_fields="allow")
        typo = await client.billings.bulk_upsert([billing_item(custmer_name="x")])
    sent = [json.loads(call.request.content)["billings"][0] for call in route.calls]
    assert (sent[0]["payee_name"], sent[0]["origin"]) == ("Escola", "erp")
    assert (sent[1]["erp_code"], sent[1]["cost_center"]) == ("A1", "CC-9")
    assert result.ok and sent[2]["cost_center"] == "CC-9"
    assert "did you mean 'customer_name'" in typo.errors[0].message
    with pytest.raises(nf.ConfigurationError, match="extra_fields must be"):
        nf.NeofinClient(API_KEY, SECRET_KEY, extra_fields="erp_code")
