"""ChargeOverClient against respx: every endpoint's path, Basic auth, the envelope and errors,
configuration, and secrets kept out of logs, reprs and exceptions."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

import neofin_async as nf
from neofin_async.chargeover import ChargeOverClient, Customer

PUBLIC = "pub-7Hq2LmZx9"
PRIVATE = "priv-Kd83Jsk2Qp0"
INSTANCE = "https://acme.chargeover.com"
API = f"{INSTANCE}/api/v3"
BASIC = "Basic " + base64.b64encode(f"{PUBLIC}:{PRIVATE}".encode()).decode()


def ok(response: Any, code: int = 200) -> httpx.Response:
    body = {"code": code, "status": "OK", "message": "", "details": {}, "response": response}
    return httpx.Response(code, json=body)


def error(code: int, message: str, *, status: int | None = None, **headers: str) -> httpx.Response:
    body = {"code": code, "status": "Error", "message": message, "details": {}, "response": False}
    return httpx.Response(status or code, json=body, headers=headers)


@pytest.fixture(autouse=True)
def no_chargeover_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHARGEOVER_PUBLIC_KEY", "CHARGEOVER_PRIVATE_KEY", "CHARGEOVER_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def co() -> AsyncIterator[ChargeOverClient]:
    policy = nf.RetryPolicy(sleep=no_sleep)
    async with ChargeOverClient(PUBLIC, PRIVATE, base_url=INSTANCE, retry_policy=policy) as client:
        yield client


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


def sent(api: respx.MockRouter) -> httpx.Request:
    request: httpx.Request = api.calls.last.request
    assert request.headers["authorization"] == BASIC
    return request


CUSTOMER = {
    "customer_id": 16,
    "external_key": "A-1",
    "token": "fozdqj169569",
    "company": "Karli Marie",
    "bill_country": "United States",
    "superuser_id": 364,
    "balance": 1510.65,
    "write_datetime": "2017-05-18 09:36:19",
}


# -- endpoints ----------------------------------------------------------------------------


async def test_create(co: ChargeOverClient, api: respx.MockRouter) -> None:
    api.post("/customer").mock(return_value=ok({"id": 1234}, 201))
    assert await co.customers.create({"company": "Acme", "external_key": "A-1"}) == 1234
    request = sent(api)
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"company": "Acme", "external_key": "A-1"}


async def test_retrieve_by_id_key_and_token(co: ChargeOverClient, api: respx.MockRouter) -> None:
    by_id = api.get("/customer/16").mock(return_value=ok(CUSTOMER))
    by_key = api.get(url__regex=r"/customer/external_key:A%2F1%3Ax$").mock(
        return_value=ok(CUSTOMER)
    )
    by_token = api.get("/customer/token:fozdqj169569").mock(return_value=ok([CUSTOMER]))
    customer = await co.customers.retrieve(16)
    assert isinstance(customer, Customer) and customer.company == "Karli Marie"
    assert customer.balance == 1510.65 and customer.superuser_id == 364
    assert (await co.customers.retrieve_by_external_key("A/1:x")).customer_id == 16
    assert (await co.customers.retrieve_by_token("fozdqj169569")).customer_id == 16
    assert by_id.called and by_key.called and by_token.called
    assert sent(api).content == b""


async def test_update_sends_only_the_changes(co: ChargeOverClient, api: respx.MockRouter) -> None:
    api.put("/customer/16").mock(return_value=ok({"id": 16}, 202))
    assert await co.customers.update(16, {"bill_state": "MN", "no_taxes": True}) == 16
    assert json.loads(sent(api).content) == {"bill_state": "MN", "no_taxes": True}
    with pytest.raises(ValueError):
        await co.customers.update(0, {})


async def test_list_builds_where_and_pages_until_an_empty_page(
    co: ChargeOverClient, api: respx.MockRouter
) -> None:
    pages = [[{**CUSTOMER, "customer_id": n} for n in range(s, s + 2)] for s in (1, 3)]
    route = api.get("/customer").mock(side_effect=[ok(pages[0]), ok(pages[1][:1]), ok([])])
    where = {"bill_state": "MN", "external_key": "a:b,c", "customer_id": ("GTE", 1)}
    found = [c.customer_id async for c in co.customers.list(where, page_size=2)]
    assert found == [1, 2, 3]  # the short second page did not end it: a capped limit loses nothing
    params = [dict(call.request.url.params) for call in route.calls]
    assert [p["offset"] for p in params] == ["0", "2", "3"]
    assert params[0] == {
        "where": "bill_state:EQUALS:MN,external_key:EQUALS:a\\:b\\,c,customer_id:GTE:1",
        "order": "customer_id:ASC",
        "offset": "0",
        "limit": "2",
    }


async def test_count(co: ChargeOverClient, api: respx.MockRouter) -> None:
    route = api.get("/customer/_count").mock(return_value=ok(42))
    assert await co.customers.count({"bill_country": "United States"}) == 42
    assert route.calls.last.request.url.params["where"] == "bill_country:EQUALS:United States"
    route.mock(return_value=ok("many"))
    with pytest.raises(nf.APIError, match="instead of a number"):
        await co.customers.count()


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, nf.BadRequestError),
        (401, nf.AuthenticationError),
        (404, nf.NotFoundError),
        (429, nf.RateLimitError),
        (500, nf.ServerError),
    ],
)
async def test_envelope_errors_map_to_the_error_tree(
    co: ChargeOverClient, api: respx.MockRouter, code: int, cls: type[nf.APIError]
) -> None:
    api.get("/customer/9").mock(return_value=error(code, "This customer does not exist."))
    with pytest.raises(cls) as caught:
        await co.with_options(max_retries=0).customers.retrieve(9)
    assert caught.value.status_code == code
    assert "This customer does not exist." in str(caught.value)
    assert caught.value.body["status"] == "Error"


async def test_an_error_envelope_inside_a_200_is_an_error(
    co: ChargeOverClient, api: respx.MockRouter
) -> None:
    route = api.get("/customer/9").mock(
        side_effect=[error(429, "Rate limit exceeded.", status=200), ok(CUSTOMER)]
    )
    assert (await co.customers.retrieve(9)).company == "Karli Marie"  # retried as a 429
    assert route.call_count == 2
    api.get("/customer/8").mock(return_value=error(400, "Bad thing.", status=200))
    with pytest.raises(nf.BadRequestError, match="Bad thing"):
        await co.customers.retrieve(8)


async def test_unauthorized_says_the_key_pair_was_refused(
    co: ChargeOverClient, api: respx.MockRouter
) -> None:
    message = "Invalid or incorrect authorization [Missing (basic) authorization header.]"
    api.post("/customer").mock(return_value=error(401, message))
    with pytest.raises(nf.AuthenticationError) as caught:
        await co.customers.create({"company": "A"})
    assert message in str(caught.value) and "key pair was refused" in str(caught.value)


async def test_answers_without_the_envelope_are_errors(
    co: ChargeOverClient, api: respx.MockRouter
) -> None:
    api.get("/customer/1").mock(return_value=httpx.Response(200, json={"customer_id": 1}))
    api.post("/customer").mock(return_value=ok({"no": "id"}, 201))
    with pytest.raises(nf.APIError, match="envelope"):
        await co.customers.retrieve(1)
    with pytest.raises(nf.APIError, match="id"):
        await co.customers.create({"company": "A"})


async def test_invalid_items_are_refused_before_sending(
    co: ChargeOverClient, api: respx.MockRouter
) -> None:
    with pytest.raises(nf.InvalidItemError) as caught:
        await co.customers.create({"company": "A", "external_key": "K1", "superuser_email": "x"})
    assert caught.value.integration_identifier == "K1"
    assert list(caught.value.errors) == ["superuser_email"]
    assert not api.calls


# -- configuration and secrets ------------------------------------------------------------


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARGEOVER_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("CHARGEOVER_PRIVATE_KEY", f"{PRIVATE}\r\n")
    monkeypatch.setenv("CHARGEOVER_BASE_URL", f"{API}/")
    client = ChargeOverClient()
    assert client.base_url == INSTANCE
    assert client._pipeline._headers["authorization"] == BASIC  # stray whitespace stripped


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"base_url": INSTANCE}, "public key"),
        ({"public_key": PUBLIC, "private_key": PRIVATE}, "instance URL"),
        ({"public_key": "a:b", "private_key": PRIVATE, "base_url": INSTANCE}, "':'"),
        ({"public_key": PUBLIC, "private_key": "x\ny", "base_url": INSTANCE}, "private key"),
        ({"public_key": PUBLIC, "private_key": PRIVATE, "base_url": "http://co.com"}, "https"),
    ],
)
def test_bad_configuration_is_refused_without_echoing_keys(kwargs: Any, text: str) -> None:
    with pytest.raises(nf.ConfigurationError, match=text) as caught:
        ChargeOverClient(**kwargs)
    assert PRIVATE not in str(caught.value) and "x\ny" not in str(caught.value)


async def test_secrets_never_appear_in_logs_reprs_or_errors(
    co: ChargeOverClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.get("/customer/1").mock(side_effect=[httpx.Response(503), error(401, "Nope.")])
    api.post("/_bulk").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(nf.AuthenticationError) as caught:
        await co.customers.retrieve(1)
    result = await co.customers.bulk_upsert([{"company": "A", "external_key": "k"}])
    texts = [
        caplog.text,
        repr(co),
        repr(co.customers.list()),
        str(caught.value),
        repr(caught.value),
        json.dumps(result.to_dict(), default=str),
        repr(result),
    ]
    secret_forms = (PUBLIC, PRIVATE, BASIC.split()[1])
    for text in texts:
        assert not any(secret in text for secret in secret_forms), text
    assert caught.value.__context__ is None and caught.value.__cause__ is None


async def test_with_options_shares_the_pool_and_keeps_the_keys(co: ChargeOverClient) -> None:
    copy = co.with_options(max_retries=0, upsert_order="create-first")
    assert copy.http_client is co.http_client and copy.max_retries == 0
    assert copy.customers.upsert_order == "create-first" and co.customers.upsert_order == "auto"
    assert copy._pipeline._headers["authorization"] == BASIC
