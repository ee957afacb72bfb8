"""The one request path: error mapping, retries, timeouts, logging and key redaction.

Every test that sends a request runs on both paths: httpx's client (respx in process) and the
aiohttp backend's raw exchange (the same respx routes, served on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest
import respx
from conftest import API_KEY, BASE_URL, SECRET_KEY, Sleeps, billing_item
from respx_server import serve_router

import neofin_async as nf
from neofin_async._constants import MAX_RESPONSE_BYTES
from neofin_async._pipeline import parse_retry_after

RETRIEVE = "/billing/integration/order-1"
STALL_TIMEOUT = 0.75
"""The aiohttp path's client timeout: a route whose side effect is an httpx timeout stalls
the served answer, and the client really waits that long."""

needs_aiohttp = pytest.mark.skipif(
    importlib.util.find_spec("httpx_aiohttp") is None,
    reason="httpx-aiohttp is not installed (pip install neofin-async[aiohttp])",
)
Make = Callable[..., nf.NeofinClient]


@pytest.fixture(params=["httpx", pytest.param("aiohttp", marks=needs_aiohttp)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def served(backend: str) -> AsyncIterator[tuple[respx.MockRouter, str | None]]:
    """The routes, and the URL serving them on 127.0.0.1 (None: respx answers in process)."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        if backend == "httpx":
            yield router, None
        else:
            async with serve_router(router, BASE_URL) as url:
                yield router, url


@pytest.fixture
def api(served: tuple[respx.MockRouter, str | None]) -> respx.MockRouter:
    return served[0]


@pytest.fixture
def make(served: tuple[respx.MockRouter, str | None]) -> Make:
    """A client on this test's path; keyword arguments as `NeofinClient`'s."""
    url = served[1]

    def make(**options: Any) -> nf.NeofinClient:
        if url is not None:
            options = {
                "base_url": url,
                "http_backend": "aiohttp",
                "timeout": STALL_TIMEOUT,
                **options,
            }
        return nf.NeofinClient(API_KEY, SECRET_KEY, **options)

    return make


@pytest.fixture
async def client(make: Make, policy: nf.RetryPolicy) -> AsyncIterator[nf.NeofinClient]:
    async with make(retry_policy=policy) as c:
        yield c


async def retrieve(client: nf.NeofinClient) -> nf.Billing:
    return await client.billings.retrieve("order-1")


def assert_no_keys(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text, text
        assert SECRET_KEY not in text, text


# -- error mapping -------------------------------------------------------------------------------


async def test_400_message_built_from_errors_map(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    body = {"message": "", "errors": {"installment_type[0]": ["Field not found."]}}
    api.post("/billing/").respond(400, json=body, headers={"x-amzn-requestid": "req-123"})
    with pytest.raises(nf.BadRequestError) as info:
        await client.billings.upsert(billing_item())
    error = info.value
    assert error.status_code == 400
    assert error.message == "installment_type[0]: Field not found."
    assert error.errors == {"installment_type[0]": ["Field not found."]}
    assert error.request_id == "req-123"
    assert error.body == body
    assert "installment_type[0]: Field not found." in str(error)
    assert "req-123" in str(error)
    assert len(api.calls) == 1


async def test_400_several_fields(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    body = {"message": "", "errors": {"amount[1]": ["Must be > 0.", "Bad."], "type[0]": "Bad."}}
    api.post("/billing/").respond(400, json=body)
    with pytest.raises(nf.BadRequestError) as info:
        await client.billings.upsert([billing_item(), billing_item(integration_identifier="b")])
    assert info.value.message == "amount[1]: Must be > 0. Bad.; type[0]: Bad."
    assert info.value.errors == {"amount[1]": ["Must be > 0.", "Bad."], "type[0]": ["Bad."]}


async def test_400_with_message(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get(RETRIEVE).respond(400, json={"message": "Invalid payload.", "errors": {}})
    with pytest.raises(nf.BadRequestError, match="Invalid payload"):
        await retrieve(client)


@pytest.mark.parametrize("status", [401, 403])
async def test_bad_keys(client: nf.NeofinClient, api: respx.MockRouter, status: int) -> None:
    api.get(RETRIEVE).respond(status, json={"message": "Invalid API Keys"})
    with pytest.raises(nf.AuthenticationError) as info:
        await retrieve(client)
    assert info.value.status_code == status
    assert "Invalid API Keys" in info.value.message
    assert "api-key / secret-key" in info.value.message
    assert len(api.calls) == 1


async def test_403_without_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get(RETRIEVE).respond(403)
    with pytest.raises(nf.AuthenticationError, match="refused"):
        await retrieve(client)


async def test_missing_authentication_token_names_route_and_method(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.get(RETRIEVE).respond(403, json={"message": "Missing Authentication Token"})
    with pytest.raises(nf.AuthenticationError) as info:
        await retrieve(client)
    message = info.value.message
    assert "Missing Authentication Token" in message
    assert "route" in message and "method" in message and "does not exist" in message
    assert "GET" in str(info.value) and RETRIEVE in str(info.value)


@pytest.mark.parametrize(
    ("path", "call"),
    [
        (RETRIEVE, lambda c: c.billings.retrieve("order-1")),
        ("/billing/123", lambda c: c.billings.retrieve_by_number("123")),
        ("/customer/integration/cust-1", lambda c: c.customers.retrieve("cust-1")),
    ],
)
async def test_404_says_it_may_still_be_queued(
    client: nf.NeofinClient, api: respx.MockRouter, path: str, call: Callable[..., Any]
) -> None:
    api.get(path).respond(404, json={"message": "Billing not found.", "errors": {}})
    with pytest.raises(nf.NotFoundError) as info:
        await call(client)
    assert info.value.status_code == 404
    assert "Billing not found." in info.value.message
    assert "queued" in info.value.message
    assert len(api.calls) == 1


async def test_429_rate_limit(api: respx.MockRouter, make: Make) -> None:
    api.get(RETRIEVE).respond(429, json={"message": "Too many"}, headers={"Retry-After": "7"})
    async with make(max_retries=0) as client:
        with pytest.raises(nf.RateLimitError) as info:
            await retrieve(client)
    assert info.value.status_code == 429 and info.value.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 599])
async def test_5xx_server_error(api: respx.MockRouter, make: Make, status: int) -> None:
    api.get(RETRIEVE).respond(status, json={"message": "Erro do servidor"})
    async with make(max_retries=0) as client:
        with pytest.raises(nf.ServerError) as info:
            await retrieve(client)
    assert info.value.status_code == status
    assert info.value.message == "Erro do servidor"


async def test_other_status_is_a_plain_api_error(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.get(RETRIEVE).respond(418, json={"message": "teapot"})
    with pytest.raises(nf.APIError) as info:
        await retrieve(client)
    assert type(info.value) is nf.APIError
    assert info.value.status_code == 418


async def test_connection_error(api: respx.MockRouter, make: Make, backend: str) -> None:
    route = api.get(RETRIEVE).mock(side_effect=httpx.ConnectError("Connection refused"))
    async with make(max_retries=0) as client:
        with pytest.raises(nf.APIConnectionError) as info:
            await retrieve(client)
    assert not isinstance(info.value, nf.APITimeoutError)
    assert info.value.status_code is None
    # served: the connection is dropped, and aiohttp names what it saw
    what = "ConnectError: Connection refused" if backend == "httpx" else "Connection error: "
    assert what in str(info.value)
    assert route.call_count == 1  # one attempt: aiohttp's own resend is off
    # no reference to the request (its headers carry the keys) survives on the exception
    assert info.value.__cause__ is None and info.value.__context__ is None


async def test_a_connection_error_without_text_still_says_what_happened(
    api: respx.MockRouter, make: Make, backend: str
) -> None:
    api.get(RETRIEVE).mock(side_effect=httpx.ReadError(""))  # a reset while reading
    async with make(max_retries=0) as client:
        with pytest.raises(nf.APIConnectionError) as info:
            await retrieve(client)
    # served to aiohttp, the connection is dropped, and aiohttp says so
    what = "ReadError: the connection broke before an answer"
    assert (what if backend == "httpx" else "Server disconnected") in str(info.value)


@pytest.mark.parametrize(
    "exc", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout]
)
async def test_timeout_error(
    api: respx.MockRouter, make: Make, exc: type[httpx.TimeoutException]
) -> None:
    api.get(RETRIEVE).mock(side_effect=exc("timed out"))
    async with make(max_retries=0) as client:
        with pytest.raises(nf.APITimeoutError, match="timed out") as info:
            await retrieve(client)
    assert isinstance(info.value, nf.APIConnectionError)
    assert info.value.status_code is None


async def test_non_json_success_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get(RETRIEVE).respond(200, text="<html>gateway</html>", headers={"x-amzn-requestid": "r1"})
    with pytest.raises(nf.APIError) as info:
        await retrieve(client)
    error = info.value
    assert type(error) is nf.APIError
    assert not isinstance(error, json.JSONDecodeError)
    assert error.status_code == 200
    assert "not JSON" in error.message and "<html>gateway" in error.message
    assert error.body == "<html>gateway</html>"
    assert error.request_id == "r1"


async def test_invalid_utf8_success_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get(RETRIEVE).respond(200, content=b"\xff\xfe{")
    with pytest.raises(nf.APIError, match="not JSON"):
        await retrieve(client)


async def test_empty_success_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.put("/billing/paid/order-1").respond(200)
    response = await client.billings.mark_paid("order-1")
    assert response.message == "" and response.errors == {}


async def test_non_json_5xx_body(api: respx.MockRouter, make: Make) -> None:
    api.get(RETRIEVE).respond(502, text="<html><body>502 Bad Gateway</body></html>")
    async with make(max_retries=0) as client:
        with pytest.raises(nf.ServerError) as info:
            await retrieve(client)
    assert info.value.status_code == 502
    assert "502 Bad Gateway" in info.value.message
    assert info.value.body == "<html><body>502 Bad Gateway</body></html>"


async def test_malformed_json_error_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/").respond(400, content=b'{"message": "', headers={"x-amzn-requestid": "r"})
    with pytest.raises(nf.BadRequestError) as info:
        await client.billings.upsert(billing_item())
    assert info.value.body == '{"message": "'
    assert info.value.request_id == "r"


async def test_empty_error_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/").respond(400)
    with pytest.raises(nf.BadRequestError, match="HTTP 400"):
        await client.billings.upsert(billing_item())


async def test_json_list_error_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.post("/billing/").respond(400, json=["bad"])
    with pytest.raises(nf.BadRequestError) as info:
        await client.billings.upsert(billing_item())
    assert info.value.body == ["bad"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_refused_not_followed(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps, status: int
) -> None:
    route = api.get(RETRIEVE).respond(status, headers={"location": "https://evil.example/steal"})
    elsewhere = api.get(url__regex=r"https://evil\.example/.*").respond(200, json={})
    with pytest.raises(nf.APIError) as info:
        await retrieve(client)
    assert type(info.value) is nf.APIError and info.value.status_code == status
    assert "https://evil.example/steal" in info.value.message and "not followed" in str(info.value)
    assert route.call_count == 1 and not elsewhere.called and sleeps == []
    assert_no_keys(str(info.value), repr(info.value))


@pytest.mark.parametrize("encoding", [None, "gzip"])
async def test_body_larger_than_the_cap_is_not_read(
    client: nf.NeofinClient, api: respx.MockRouter, encoding: str | None
) -> None:
    body = b" " * MAX_RESPONSE_BYTES + b"{}"  # the cap counts decompressed bytes
    headers = {"x-amzn-requestid": "big"}
    if encoding:
        body = gzip.compress(body)
        headers["content-encoding"] = encoding
        assert len(body) < MAX_RESPONSE_BYTES // 100
    api.get(RETRIEVE).respond(200, content=body, headers=headers)
    with pytest.raises(nf.APIError, match=f"larger than {MAX_RESPONSE_BYTES} bytes") as info:
        await retrieve(client)
    assert info.value.status_code == 200 and info.value.request_id == "big"


async def test_compressed_body_is_decoded(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    body = gzip.compress(json.dumps({"integration_identifier": "order-1"}).encode())
    api.get(RETRIEVE).respond(200, content=body, headers={"content-encoding": "gzip"})
    assert (await retrieve(client)).integration_identifier == "order-1"


async def test_deeply_nested_body_is_an_api_error(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.get(RETRIEVE).respond(200, content=b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(nf.APIError, match="not JSON"):
        await retrieve(client)


async def test_dot_segments_stay_encoded(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    """A key of "." or ".." must not become a dot segment that changes the route."""
    route = api.get(path__startswith="/billing/").respond(200, json={})
    await client.billings.retrieve(".")
    await client.billings.retrieve("..")
    paths = [call.request.url.raw_path for call in route.calls]
    assert paths == [b"/billing/integration/%2E", b"/billing/integration/%2E%2E"]


async def test_query_parameters_are_encoded(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.get("/billing/").respond(200, json={"billings": [], "next_page_token": None})
    transport = client.billings._pipeline
    await transport.request("GET", "/billing/", params={"q": "a b&c", "token": "x/y=="})
    assert route.calls[0].request.url.params == httpx.QueryParams({"q": "a b&c", "token": "x/y=="})


def test_error_tree() -> None:
    for cls in (
        nf.BadRequestError,
        nf.AuthenticationError,
        nf.NotFoundError,
        nf.RateLimitError,
        nf.ServerError,
        nf.APIConnectionError,
    ):
        assert issubclass(cls, nf.APIError)
    assert issubclass(nf.APITimeoutError, nf.APIConnectionError)
    assert issubclass(nf.APIError, nf.NeofinError)
    assert issubclass(nf.InvalidItemError, nf.NeofinError)


# -- retries -----------------------------------------------------------------------------------


def with_policy(make: Make, sleeps: Sleeps, max_retries: int = 2) -> nf.NeofinClient:
    return make(retry_policy=nf.RetryPolicy(max_retries=max_retries, sleep=sleeps))


@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (1, 2), (2, 3), (5, 6)])
async def test_attempt_counts(
    api: respx.MockRouter, make: Make, sleeps: Sleeps, max_retries: int, attempts: int
) -> None:
    route = api.get(RETRIEVE).respond(503)
    async with with_policy(make, sleeps, max_retries) as client:
        with pytest.raises(nf.ServerError):
            await retrieve(client)
    assert route.call_count == attempts
    assert len(sleeps) == attempts - 1


async def test_max_retries_zero_via_argument(
    api: respx.MockRouter, make: Make, sleeps: Sleeps
) -> None:
    route = api.get(RETRIEVE).mock(side_effect=httpx.ConnectError("refused"))
    policy = nf.RetryPolicy(sleep=sleeps)
    async with make(max_retries=0, retry_policy=policy) as client:
        with pytest.raises(nf.APIConnectionError):
            await retrieve(client)
    assert route.call_count == 1 and sleeps == []


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_retried_statuses(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps, status: int
) -> None:
    route = api.get(RETRIEVE)
    route.side_effect = [
        httpx.Response(status),
        httpx.Response(status),
        httpx.Response(200, json={"integration_identifier": "order-1"}),
    ]
    billing = await retrieve(client)
    assert billing.integration_identifier == "order-1"
    assert route.call_count == 3 and len(sleeps) == 2


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("x"), httpx.RemoteProtocolError("x"), httpx.ReadTimeout("x")]
)
async def test_retried_connection_errors_and_timeouts(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps, exc: Exception
) -> None:
    route = api.get(RETRIEVE)
    route.side_effect = [exc, httpx.Response(200, json={})]
    await retrieve(client)
    assert route.call_count == 2 and len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
async def test_never_retried(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps, status: int
) -> None:
    route = api.get(RETRIEVE).respond(status, json={"message": "no"})
    with pytest.raises(nf.APIError):
        await retrieve(client)
    assert route.call_count == 1 and sleeps == []


async def test_retry_after_seconds(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = api.get(RETRIEVE)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503, headers={"Retry-After": "0.5"}),
        httpx.Response(200, json={}),
    ]
    await retrieve(client)
    assert sleeps == [3.0, 0.5]


async def test_retry_after_http_date(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    when = formatdate(time.time() + 10, usegmt=True)
    route = api.get(RETRIEVE)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200)]
    await retrieve(client)
    assert len(sleeps) == 1 and 8.0 < sleeps[0] <= 10.0


async def test_retry_after_at_the_limit_is_honoured(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = api.get(RETRIEVE)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "60"}), httpx.Response(200)]
    await retrieve(client)
    assert sleeps == [60.0]


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_above_60_seconds_raises(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps, status: int
) -> None:
    route = api.get(RETRIEVE).respond(status, headers={"Retry-After": "120"})
    with pytest.raises(nf.APIError) as info:
        await retrieve(client)
    assert info.value.retry_after == 120.0
    assert route.call_count == 1 and sleeps == []


async def test_retry_after_as_http_date_far_away_raises(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    when = formatdate(time.time() + 3600, usegmt=True)
    route = api.get(RETRIEVE).respond(429, headers={"Retry-After": when})
    with pytest.raises(nf.RateLimitError):
        await retrieve(client)
    assert route.call_count == 1 and sleeps == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("5", 5.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize("zone", ["-0000", "GMT", "+0000"])
def test_retry_after_http_date_is_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    try:
        when = formatdate(time.time() + 30, usegmt=True).replace("GMT", zone)
        wait = parse_retry_after(when)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert wait is not None and 28.0 < wait <= 30.0


async def test_unparseable_retry_after_falls_back_to_backoff(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = api.get(RETRIEVE)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "soon"}), httpx.Response(200)]
    await retrieve(client)
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


async def test_backoff_values(api: respx.MockRouter, make: Make, sleeps: Sleeps) -> None:
    route = api.get(RETRIEVE).respond(500)
    async with with_policy(make, sleeps, max_retries=7) as client:
        for _ in range(5):
            with pytest.raises(nf.ServerError):
                await retrieve(client)
    assert route.call_count == 5 * 8
    for run in range(5):
        for n, wait in enumerate(sleeps[run * 7 : run * 7 + 7]):
            cap = min(0.5 * 2**n, 8)
            assert cap * 0.75 <= wait <= cap, (n, wait)


def test_backoff_delay_bounds() -> None:
    policy = nf.RetryPolicy()
    for retry in range(1, 12):
        cap = min(0.5 * 2 ** (retry - 1), 8.0)
        waits = [policy.delay(retry) for _ in range(200)]
        assert all(cap * 0.75 <= w <= cap for w in waits)
        assert len(set(waits)) > 1  # jittered


async def test_upsert_resends_the_same_body(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.post("/billing/")
    route.side_effect = [httpx.Response(503), httpx.Response(202, json={"message": "ok"})]
    await client.billings.upsert(billing_item())
    first, second = (call.request for call in route.calls)
    assert first.content == second.content
    assert json.loads(first.content)["billings"][0]["integration_identifier"] == "order-1"


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("GET", RETRIEVE, lambda c: c.billings.retrieve("order-1")),
        ("GET", "/billing/", lambda c: anext(aiter(c.billings.list()))),
        ("POST", "/billing/", lambda c: c.billings.upsert(billing_item())),
        ("POST", "/customer/", lambda c: c.customers.upsert({"document": "52998224725"})),
        ("PUT", "/billing/paid/order-1", lambda c: c.billings.mark_paid("order-1")),
        ("PUT", "/billing/cancel/order-1", lambda c: c.billings.cancel("order-1")),
    ],
)
async def test_idempotent_calls_are_retried(
    client: nf.NeofinClient,
    api: respx.MockRouter,
    sleeps: Sleeps,
    method: str,
    path: str,
    call: Callable[..., Any],
) -> None:
    route = api.route(method=method, path=path)
    route.side_effect = [
        httpx.Response(503),
        httpx.Response(200, json={"billings": [{}], "next_page_token": None}),
    ]
    await call(client)
    assert route.call_count == 2 and len(sleeps) == 1


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("PUT", "/billing/nfupload/order-1", lambda c: c.billings.attach_nf("order-1", b"%PDF")),
        (
            "PUT",
            "/billing/boletoupload/order-1",
            lambda c: c.billings.attach_boleto("order-1", b"%PDF"),
        ),
        (
            "POST",
            "/billing/attachments/order-1",
            lambda c: c.billings.attach_files("order-1", [("a.pdf", b"%PDF")]),
        ),
        ("POST", "/billing/v2/paid/123", lambda c: c.billings.mark_paid_v2("123")),
        (
            "POST",
            "/billing/integration/reopen-installment/123",
            lambda c: c.billings.reopen("123"),
        ),
    ],
)
@pytest.mark.parametrize("failure", [httpx.Response(503), httpx.ConnectError("reset")])
async def test_non_idempotent_calls_are_not_retried(
    client: nf.NeofinClient,
    api: respx.MockRouter,
    sleeps: Sleeps,
    method: str,
    path: str,
    call: Callable[..., Any],
    failure: httpx.Response | Exception,
) -> None:
    route = api.route(method=method, path=path)
    route.side_effect = [failure, httpx.Response(200, json={})]
    with pytest.raises(nf.APIError):
        await call(client)
    assert route.call_count == 1 and sleeps == []


async def test_on_retry_hook(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = api.get(RETRIEVE)
    route.side_effect = [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json={}),
    ]
    events: list[nf.RetryEvent] = []
    transport = client.billings._pipeline
    await transport.request("GET", RETRIEVE, on_retry=events.append)
    assert [e.attempt for e in events] == [1, 2]
    assert all(e.max_retries == 2 for e in events)
    assert [e.wait for e in events] == sleeps
    assert events[1].wait == 2.0
    assert isinstance(events[0].error, nf.ServerError)
    assert isinstance(events[1].error, nf.RateLimitError)
    assert (events[0].method, events[0].path) == ("GET", RETRIEVE)


async def test_each_retry_logged_at_info(
    client: nf.NeofinClient,
    api: respx.MockRouter,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="neofin_async")
    api.get(RETRIEVE).respond(503, headers={"Retry-After": "1.25"})
    with pytest.raises(nf.ServerError):
        await retrieve(client)
    retries = [r for r in caplog.records if r.name == "neofin_async" and "Retrying" in r.message]
    assert len(retries) == 2
    assert all(r.levelno == logging.INFO for r in retries)
    assert "retry 1 of 2" in retries[0].message and "1.25s" in retries[0].message
    assert "retry 2 of 2" in retries[1].message
    assert RETRIEVE in retries[0].message and "503" in retries[0].message


# -- logging and redaction ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("INFO", logging.INFO)])
def test_neofin_log_switches_on_the_handler(
    monkeypatch: pytest.MonkeyPatch, reset_logger: logging.Logger, value: str, level: int
) -> None:
    before = len(reset_logger.handlers)
    monkeypatch.setenv("NEOFIN_LOG", value)
    nf.NeofinClient(API_KEY, SECRET_KEY)
    nf.NeofinClient(API_KEY, SECRET_KEY)
    assert len(reset_logger.handlers) == before + 1
    assert reset_logger.level == level


@pytest.mark.parametrize("value", [None, "", "verbose"])
def test_no_handler_without_neofin_log(
    monkeypatch: pytest.MonkeyPatch, reset_logger: logging.Logger, value: str | None
) -> None:
    before = list(reset_logger.handlers)
    if value is not None:
        monkeypatch.setenv("NEOFIN_LOG", value)
    nf.NeofinClient(API_KEY, SECRET_KEY)
    assert reset_logger.handlers == before


async def _exercise(client: nf.NeofinClient, api: respx.MockRouter) -> list[nf.APIError]:
    """Successful, failing and retried requests; returns the errors raised."""
    api.get(RETRIEVE).respond(200, json={"integration_identifier": "order-1"})
    api.post("/billing/").respond(400, json={"message": "", "errors": {"type[0]": ["Bad."]}})
    api.get("/billing/integration/retried").mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("reset"), httpx.Response(200)]
    )
    api.get("/billing/integration/down").mock(side_effect=httpx.ConnectError("refused"))
    api.get("/billing/integration/slow").mock(side_effect=httpx.ReadTimeout("slow"))
    api.get("/billing/integration/denied").respond(403, json={"message": "Invalid API Keys"})
    api.get("/billing/integration/gone").respond(404, json={"message": "Billing not found."})
    api.get("/billing/integration/html").respond(200, text="<html>")
    await retrieve(client)
    await client.billings.retrieve("retried")
    errors: list[nf.APIError] = []
    for call in (
        lambda: client.billings.upsert(billing_item()),
        lambda: client.billings.retrieve("down"),
        lambda: client.billings.retrieve("slow"),
        lambda: client.billings.retrieve("denied"),
        lambda: client.billings.retrieve("gone"),
        lambda: client.billings.retrieve("html"),
    ):
        with pytest.raises(nf.APIError) as info:
            await call()
        errors.append(info.value)
    return errors


async def test_keys_never_reach_logs_or_errors(
    monkeypatch: pytest.MonkeyPatch,
    reset_logger: logging.Logger,
    api: respx.MockRouter,
    make: Make,
    backend: str,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEOFIN_LOG", "debug")
    caplog.set_level(logging.DEBUG)
    for name in ("neofin_async", "httpx", "httpcore", "respx", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with with_policy(make, sleeps) as client:
        errors = await _exercise(client, api)
        client_texts = [repr(client), str(client), repr(client.with_options(max_retries=0))]
    assert len(sleeps) == 2 + 2 * 2  # the retried call, then "down" and "slow" exhausted
    records = caplog.records
    assert any(r.name == "neofin_async" and r.levelno == logging.DEBUG for r in records)
    assert any(r.name == "neofin_async" and "Retrying" in r.message for r in records)
    assert backend != "httpx" or any(r.name == "httpx" for r in records)
    texts = [caplog.text, capsys.readouterr().err, *client_texts]
    texts += [r.getMessage() for r in records] + [repr(r.args) for r in records]
    for error in errors:
        texts += [str(error), repr(error), repr(error.body), repr(error.__cause__)]
        texts += [str(getattr(error, name)) for name in vars(error)]
    assert_no_keys(*texts)


async def test_debug_handler_writes_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
    reset_logger: logging.Logger,
    api: respx.MockRouter,
    make: Make,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEOFIN_LOG", "debug")
    api.get(RETRIEVE).respond(200, json={})
    async with make() as client:
        await retrieve(client)
    err = capsys.readouterr().err
    assert f"GET {RETRIEVE} -> 200" in err
    assert_no_keys(err)


# -- against a real socket on 127.0.0.1 (exercises httpcore, or aiohttp, and their loggers) ------


class LocalServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 answering from a script of raw responses."""

    def __init__(self, script: list[bytes | None]) -> None:
        self.script = script
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.script.pop(0) if self.script else None
                if answer is None:  # hang: let the client time out
                    await asyncio.sleep(5)
                    return
                if answer.startswith(TRICKLE):  # the head, then the body a byte at a time
                    head, _, body = answer.removeprefix(TRICKLE).partition(b"\r\n\r\n")
                    writer.write(head + b"\r\n\r\n")
                    for byte in body:
                        await writer.drain()
                        await asyncio.sleep(0.02)
                        writer.write(bytes([byte]))
                    continue
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


TRICKLE = b"trickle:"
"""A script entry starting with it is sent slowly: each read is quick, the whole is not."""


def raw_response(status: int, body: bytes, *extra: bytes) -> bytes:
    headers = [b"HTTP/1.1 %d X" % status, b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@pytest.fixture
async def local_server() -> AsyncIterator[tuple[LocalServer, str]]:
    server = LocalServer([])
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    async with tcp:
        yield server, f"http://127.0.0.1:{port}"
        tcp.close()


async def test_real_socket_retries_and_logs_without_keys(
    local_server: tuple[LocalServer, str],
    backend: str,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = local_server
    server.script += [
        raw_response(503, b'{"message":"busy"}', b"Retry-After: 0"),
        raw_response(200, b'{"integration_identifier":"order-1","amount":"15000"}'),
        raw_response(403, b'{"message":"Invalid API Keys"}'),
    ]
    caplog.set_level(logging.DEBUG)
    policy = nf.RetryPolicy(sleep=sleeps)
    async with nf.NeofinClient(
        API_KEY, SECRET_KEY, base_url=url, retry_policy=policy, http_backend=backend
    ) as client:
        billing = await retrieve(client)
        with pytest.raises(nf.AuthenticationError) as info:
            await retrieve(client)
    assert billing.amount == 15000 and sleeps == [0.0]
    assert len(server.requests) == 3
    assert b"api-key: " + API_KEY.encode() in server.requests[0]
    assert backend != "httpx" or any(r.name.startswith("httpcore") for r in caplog.records)
    texts = [caplog.text, str(info.value), repr(info.value)]
    texts += [r.getMessage() for r in caplog.records]
    assert_no_keys(*texts)


async def test_real_socket_timeout(
    local_server: tuple[LocalServer, str], backend: str, sleeps: Sleeps
) -> None:
    server, url = local_server
    server.script += [None]
    policy = nf.RetryPolicy(sleep=sleeps)
    async with nf.NeofinClient(
        API_KEY, SECRET_KEY, base_url=url, timeout=0.2, retry_policy=policy, http_backend=backend
    ) as client:
        with pytest.raises(nf.APITimeoutError):
            await client.with_options(max_retries=0).billings.retrieve("order-1")
    assert len(server.requests) == 1 and sleeps == []


async def test_real_socket_connection_refused(backend: str, sleeps: Sleeps) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    policy = nf.RetryPolicy(max_retries=1, sleep=sleeps)
    url = f"http://127.0.0.1:{port}"
    async with nf.NeofinClient(
        API_KEY, SECRET_KEY, base_url=url, retry_policy=policy, http_backend=backend
    ) as client:
        with pytest.raises(nf.APIConnectionError) as info:
            await retrieve(client)
    assert not isinstance(info.value, nf.APITimeoutError)
    assert len(sleeps) == 1
    assert_no_keys(str(info.value), repr(info.value))


async def test_overall_timeout_bounds_a_slow_response(policy: nf.RetryPolicy) -> None:
    """`timeout=` is a deadline for the whole attempt, not only for each read."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    client = nf.NeofinClient(
        API_KEY, SECRET_KEY, timeout=0.05, max_retries=0, http_client=http, retry_policy=policy
    )
    with pytest.raises(nf.APITimeoutError, match=r"longer than 0\.05s"):
        await retrieve(client)
    await http.aclose()


async def test_overall_timeout_bounds_a_trickling_body(
    local_server: tuple[LocalServer, str], backend: str
) -> None:
    """Each read is well within the timeout; the whole answer is not."""
    server, url = local_server
    server.script += [TRICKLE + raw_response(200, b'{"integration_identifier":"order-1"}' * 4)]
    async with nf.NeofinClient(
        API_KEY, SECRET_KEY, base_url=url, timeout=0.3, max_retries=0, http_backend=backend
    ) as client:
        started = time.perf_counter()
        with pytest.raises(nf.APITimeoutError, match="timed out"):
            await retrieve(client)
    assert time.perf_counter() - started < 1.5  # the body would take 3 s
