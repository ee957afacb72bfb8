"""PiriodClient against respx: every endpoint's path, headers and error shapes; config;
pagination; secrets never shown."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

import neofin_async as nf
from neofin_async.piriod import PiriodClient

TOKEN = "pt-live-5a1c9d7e3f2b4a6c8e0d"
WORKSPACE = "acc_01H8XYZ123ABC"
BASE = "https://api.piriod.com"
CUSTOMER = {
    "id": "cus_dl6PTxQnTYy5BHYskV",
    "name": "ACME SpA",
    "country": {"id": "CL", "name": "Chile", "code": "+56", "has_regulation": True},
    "state": {"id": 7, "name": "Metropolitana", "country": "CL"},
    "reference": "ERP-1",
    "metadata": {},
}


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture(autouse=True)
def piriod_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIRIOD_API_TOKEN", "PIRIOD_WORKSPACE", "PIRIOD_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(api: respx.MockRouter) -> AsyncIterator[PiriodClient]:
    async with PiriodClient(TOKEN, WORKSPACE, retry_policy=nf.RetryPolicy(sleep=no_sleep)) as c:
        yield c


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


# -- configuration ---------------------------------------------------------------------------


def test_token_and_workspace_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIRIOD_API_TOKEN", f" {TOKEN}\r\n")
    monkeypatch.setenv("PIRIOD_WORKSPACE", WORKSPACE)
    monkeypatch.setenv("PIRIOD_BASE_URL", "https://piriod.internal.example.com")
    client = PiriodClient()
    assert (
        client.workspace == WORKSPACE and client.base_url == "https://piriod.internal.example.com"
    )
    assert client.account == f"piriod.internal.example.com/{WORKSPACE}"
    assert client.with_options(test_mode=True).account.endswith("/test")


def test_missing_or_unsendable_settings_are_refused_without_echoing_them() -> None:
    with pytest.raises(nf.ConfigurationError, match=r"API token .*PIRIOD_API_TOKEN.* workspace"):
        PiriodClient()
    with pytest.raises(nf.ConfigurationError, match="workspace") as caught:
        PiriodClient(TOKEN)
    assert TOKEN not in str(caught.value)
    with pytest.raises(nf.ConfigurationError, match="cannot be sent") as caught:
        PiriodClient("tok\u00e9n-secret", WORKSPACE)
    assert "secret" not in str(caught.value)
    with pytest.raises(nf.ConfigurationError, match="base_url"):
        PiriodClient(TOKEN, WORKSPACE, base_url="ftp://api.piriod.com")
    with pytest.raises(nf.ConfigurationError, match="lookup_by"):
        PiriodClient(TOKEN, WORKSPACE, lookup_by="name")  # type: ignore[arg-type]


async def test_auth_and_workspace_headers_on_every_request(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    route = api.get("/customers/cus_1/").respond(200, json=CUSTOMER)
    await client.customers.retrieve("cus_1")
    headers = route.calls.last.request.headers
    assert headers["authorization"] == f"Token {TOKEN}"
    assert headers["x-simple-workspace"] == WORKSPACE
    assert "x-piriod-test-mode" not in headers
    async with client.with_options(test_mode=True) as test:
        await test.customers.retrieve("cus_1")
    assert route.calls.last.request.headers["x-piriod-test-mode"] == "true"
    assert client.with_options(workspace="acc_other").workspace == "acc_other"


# -- endpoints -------------------------------------------------------------------------------


async def test_create_posts_the_validated_item_and_is_never_resent(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    route = api.post("/customers/").mock(
        side_effect=[httpx.Response(201, json=CUSTOMER), httpx.Response(503)]
    )
    created = await client.customers.create(
        {"name": "ACME SpA", "country": "cl", "tax_id": "76.086.428-5", "reference": "ERP-1"}
    )
    assert created.id == CUSTOMER["id"] and created.country_id == "CL"
    request = route.calls.last.request
    assert (
        request.url.path == "/customers/" and request.headers["content-type"] == "application/json"
    )
    assert body_of(request) == {
        "country": "CL",
        "name": "ACME SpA",
        "reference": "ERP-1",
        "tax_id": "76.086.428-5",
    }
    with pytest.raises(nf.ServerError):
        await client.customers.create({"name": "B"})
    assert route.call_count == 2  # the 503 was not retried: a create is not idempotent
    with pytest.raises(nf.InvalidItemError, match="tax_id"):
        await client.customers.create({"name": "C", "country": "CL", "tax_id": "1-9"})
    assert route.call_count == 2


async def test_retrieve_update_and_delete_paths(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    api.get("/customers/cus_1/").respond(200, json=CUSTOMER)
    patch = api.patch("/customers/cus_1/").respond(
        200, json={**CUSTOMER, "email": "a@b.example.com"}
    )
    delete = api.delete("/customers/cus_1/").respond(204)
    assert (await client.customers.retrieve("cus_1")).name == "ACME SpA"
    updated = await client.customers.update("cus_1", {"email": "a@b.example.com"})
    assert updated.email == "a@b.example.com"
    assert body_of(patch.calls.last.request) == {"email": "a@b.example.com"}
    assert await client.customers.delete("cus_1") is None
    assert delete.called
    with pytest.raises(nf.InvalidItemError, match="email"):
        await client.customers.update("cus_1", {"email": "nope"})
    with pytest.raises(ValueError, match="id"):
        await client.customers.retrieve("")
    route = api.get("/customers/a%2Fb/").respond(200, json=CUSTOMER)
    await client.customers.retrieve("a/b")
    assert route.called


async def test_a_delete_retried_after_a_lost_answer_that_finds_it_gone_is_done(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    api.delete("/customers/cus_1/").mock(
        side_effect=[httpx.ReadTimeout("lost"), httpx.Response(404, json={"detail": "Not found."})]
    )
    await client.customers.delete("cus_1")
    api.delete("/customers/cus_2/").respond(404, json={"detail": "Not found."})
    with pytest.raises(nf.NotFoundError, match="No such customer in this workspace"):
        await client.customers.delete("cus_2")


async def test_list_follows_next_and_accepts_the_http_variant_of_our_host(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    def page(number: int, nxt: str | None) -> dict[str, Any]:
        results = [{**CUSTOMER, "id": f"cus_{number}_{i}"} for i in range(2)]
        return {"count": 5, "next": nxt, "previous": None, "results": results}

    route = api.get("/customers/").mock(
        side_effect=[
            httpx.Response(200, json=page(1, f"{BASE}/customers/?country=CL&page=2")),
            httpx.Response(200, json=page(2, "http://api.piriod.com/customers/?country=CL&page=3")),
            httpx.Response(200, json=page(3, None)),
        ]
    )
    ids = [c.id async for c in client.customers.list(country="CL", send_invoices=True)]
    assert len(ids) == 6 and ids[0] == "cus_1_0" and ids[-1] == "cus_3_1"
    urls = [call.request.url for call in route.calls]
    assert all(url.scheme == "https" and url.path == "/customers/" for url in urls)
    assert [url.params.get("page") for url in urls] == [None, "2", "3"]
    assert all(url.params["country"] == "CL" and url.params["page_size"] == "100" for url in urls)
    assert urls[0].params["send_invoices"] == "true"


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.com/customers/?page=2",
        f"{BASE}/invoices/?page=2",
        f"{BASE}/customers/",
    ],
)
async def test_a_next_link_elsewhere_is_refused(
    api: respx.MockRouter, client: PiriodClient, link: str
) -> None:
    api.get("/customers/").respond(
        200, json={"count": 9, "next": link, "previous": None, "results": [CUSTOMER]}
    )
    with pytest.raises(nf.APIError, match="next page link"):
        [c async for c in client.customers.list()]


async def test_find_looks_the_key_up_in_metadata_and_checks_the_answer(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    held = {**CUSTOMER, "metadata": {"neofin_async_reference": "ERP-1"}}
    route = api.get("/customers/").respond(200, json={"count": 1, "next": None, "results": [held]})
    found = await client.customers.find("ERP-1")
    assert found is not None and found.id == CUSTOMER["id"]
    assert route.calls.last.request.url.params["metadata__neofin_async_reference"] == "ERP-1"
    api.get("/customers/").respond(200, json={"count": 2, "results": [held, CUSTOMER]})
    with pytest.raises(nf.APIError, match="ignored the filter"):
        await client.customers.find("ERP-1")
    async with client.with_options(lookup_by="reference") as by_reference:
        route = api.get("/customers/").respond(200, json={"count": 1, "results": [CUSTOMER]})
        assert (await by_reference.customers.find("ERP-1")) is not None
        assert route.calls.last.request.url.params["reference"] == "ERP-1"


# -- errors ----------------------------------------------------------------------------------


async def test_a_400_field_map_nested_and_non_field_errors(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    api.post("/customers/").respond(
        400,
        json={
            "name": ["This field is required."],
            "tax_settings": {"mx_tax_scheme": ["This field is required."]},
            "contacts": [{}, {"email": ["Enter a valid email address."]}],
            "field_2": [{"sub_field_1": [{"sub_sub_field_1": ["This field is required."]}]}],
            "non_field_errors": ["Something general."],
        },
    )
    with pytest.raises(nf.BadRequestError) as caught:
        await client.customers.create({"name": "X"})
    assert caught.value.errors == {
        "name": ["This field is required."],
        "tax_settings.mx_tax_scheme": ["This field is required."],
        "contacts.1.email": ["Enter a valid email address."],
        "field_2.sub_field_1.sub_sub_field_1": ["This field is required."],
        "non_field_errors": ["Something general."],
    }
    assert "name: This field is required." in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (401, {"detail": "Invalid token."}, nf.AuthenticationError, "API token was refused"),
        (403, {"detail": "You do not have permission."}, nf.AuthenticationError, "workspace"),
        (404, {"detail": "Not found."}, nf.NotFoundError, "No such customer"),
        (405, {"detail": 'Method "PUT" not allowed.'}, nf.APIError, 'Method "PUT" not allowed.'),
        (
            400,
            {"non_field_errors": ["x-simple-workspace header is required."]},
            nf.BadRequestError,
            "x-simple-workspace header is required.",
        ),
        (500, {"detail": "A server error occurred."}, nf.ServerError, "A server error occurred."),
        (502, "<html>Bad gateway</html>", nf.ServerError, "Bad gateway"),
    ],
)
async def test_error_shapes(
    api: respx.MockRouter,
    client: PiriodClient,
    status: int,
    body: Any,
    error: type[nf.APIError],
    text: str,
) -> None:
    response = (
        httpx.Response(status, text=body)
        if isinstance(body, str)
        else httpx.Response(status, json=body)
    )
    route = api.get("/customers/cus_9/").mock(return_value=response)
    with pytest.raises(error) as caught:
        await client.customers.retrieve("cus_9")
    assert caught.value.status_code == status and text in str(caught.value)
    assert route.call_count == (3 if status >= 500 else 1)


async def test_secrets_never_in_logs_reprs_or_exceptions(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="neofin_async")
    api.get("/customers/cus_1/").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(401, json={"detail": "Invalid token."}),
        ]
    )
    client = PiriodClient(TOKEN, WORKSPACE, retry_policy=nf.RetryPolicy(sleep=no_sleep))
    with pytest.raises(nf.AuthenticationError) as caught:
        await client.customers.retrieve("cus_1")
    shown = [repr(client), str(client), str(caught.value), repr(caught.value), caplog.text]
    shown += [repr(client.customers), repr(client.customers.list())]
    assert caplog.records  # the retry was logged
    assert all(TOKEN not in text for text in shown)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    await client.aclose()


async def test_answers_without_a_customer_object(
    api: respx.MockRouter, client: PiriodClient
) -> None:
    api.get("/customers/cus_1/").respond(200, json=["?"])
    with pytest.raises(nf.APIError, match="without a customer object"):
        await client.customers.retrieve("cus_1")
    api.post("/customers/").respond(201, text="")
    assert (await client.customers.create({"name": "X"})).id is None  # created all the same
