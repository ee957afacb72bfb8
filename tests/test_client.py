"""NeofinClient: configuration, lifecycle, headers and timeouts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from conftest import API_KEY, BASE_URL, PRODUCTION_URL, SECRET_KEY, billing_item

import neofin_async as nf

# -- configuration ---------------------------------------------------------------------------


def test_keys_from_arguments() -> None:
    client = nf.NeofinClient(API_KEY, SECRET_KEY)
    assert client.environment == "sandbox"
    assert client.base_url == BASE_URL
    assert client.max_retries == 2


def test_keys_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEOFIN_API_KEY", API_KEY)
    monkeypatch.setenv("NEOFIN_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("NEOFIN_ENVIRONMENT", "production")
    client = nf.NeofinClient()
    assert client.environment == "production"
    assert client.base_url == PRODUCTION_URL


def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEOFIN_ENVIRONMENT", "production")
    monkeypatch.setenv("NEOFIN_BASE_URL", "https://env.example.com")
    client = nf.NeofinClient(API_KEY, SECRET_KEY, base_url="https://arg.example.com/")
    assert client.base_url == "https://arg.example.com"
    client = nf.NeofinClient(API_KEY, SECRET_KEY)
    assert client.base_url == "https://env.example.com"


@pytest.mark.parametrize(
    ("environment", "url"), [("sandbox", BASE_URL), ("production", PRODUCTION_URL)]
)
def test_environment_urls(environment: str, url: str) -> None:
    assert nf.NeofinClient(API_KEY, SECRET_KEY, environment=environment).base_url == url


def test_environment_is_case_insensitive() -> None:
    assert nf.NeofinClient(API_KEY, SECRET_KEY, environment=" Production ").base_url == (
        PRODUCTION_URL
    )


def test_unknown_environment() -> None:
    with pytest.raises(nf.ConfigurationError, match=r"staging.*sandbox, production"):
        nf.NeofinClient(API_KEY, SECRET_KEY, environment="staging")


@pytest.mark.parametrize(
    ("kwargs", "missing", "present"),
    [
        ({}, ["NEOFIN_API_KEY", "NEOFIN_SECRET_KEY"], []),
        ({"api_key": API_KEY}, ["NEOFIN_SECRET_KEY", "secret_key="], ["NEOFIN_API_KEY"]),
        ({"secret_key": SECRET_KEY}, ["NEOFIN_API_KEY", "api_key="], ["NEOFIN_SECRET_KEY"]),
    ],
)
def test_missing_keys_say_how_to_provide_them(
    kwargs: dict[str, Any], missing: list[str], present: list[str]
) -> None:
    with pytest.raises(nf.ConfigurationError) as info:
        nf.NeofinClient(**kwargs)
    message = str(info.value)
    for hint in missing:
        assert hint in message
    for name in present:
        assert name not in message
    assert "Configurações > Integrações" in message
    assert API_KEY not in message and SECRET_KEY not in message


async def test_keys_are_stripped(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter) -> None:
    monkeypatch.setenv("NEOFIN_API_KEY", f"{API_KEY}\r\n")
    route = api.get("/billing/integration/a").respond(200, json={})
    async with nf.NeofinClient(secret_key=f"  {SECRET_KEY} ") as client:
        await client.billings.retrieve("a")
    headers = route.calls.last.request.headers
    assert (headers["api-key"], headers["secret-key"]) == (API_KEY, SECRET_KEY)


def test_blank_keys_are_missing() -> None:
    with pytest.raises(nf.ConfigurationError, match="Missing API key"):
        nf.NeofinClient("  ", SECRET_KEY)


@pytest.mark.parametrize("bad", [f"{API_KEY}\nX", f"{API_KEY}é", f"{API_KEY}\x00"])
def test_keys_that_cannot_be_sent_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(nf.ConfigurationError, match="HTTP header") as info:
        nf.NeofinClient(bad, SECRET_KEY)
    assert API_KEY not in str(info.value)
    with pytest.raises(nf.ConfigurationError, match="secret key"):
        nf.NeofinClient(API_KEY, bad)
    with pytest.raises(nf.ConfigurationError):
        nf.NeofinClient(API_KEY, SECRET_KEY).with_options(api_key=bad)


def test_configuration_error_is_a_neofin_error_and_value_error() -> None:
    assert issubclass(nf.ConfigurationError, nf.NeofinError)
    assert issubclass(nf.ConfigurationError, ValueError)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.neofin.services",
        "http://10.0.0.1:8000",
        "http://localhost.evil.com",
        "ftp://api.neofin.services",
        "api.neofin.services",
    ],
)
def test_unsafe_base_url_refused(url: str) -> None:
    with pytest.raises(nf.ConfigurationError, match="https"):
        nf.NeofinClient(API_KEY, SECRET_KEY, base_url=url)


def test_unsafe_base_url_from_environment_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEOFIN_BASE_URL", "http://neofin.example.com")
    with pytest.raises(nf.ConfigurationError):
        nf.NeofinClient(API_KEY, SECRET_KEY)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",
        "http://emulator.localhost:8000",
        "http://127.0.0.1:8000",
        "http://127.1.2.3",
        "http://[::1]:8000",
        "https://neofin.example.com/prefix",
    ],
)
def test_safe_base_urls(url: str) -> None:
    assert nf.NeofinClient(API_KEY, SECRET_KEY, base_url=url).base_url == url


def test_repr_never_shows_keys() -> None:
    client = nf.NeofinClient(API_KEY, SECRET_KEY)
    for text in (repr(client), str(client), repr(client.billings._pipeline)):
        assert API_KEY not in text and SECRET_KEY not in text
    assert "sandbox" in repr(client)


def test_negative_max_retries_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        nf.NeofinClient(API_KEY, SECRET_KEY, max_retries=-1)


def test_max_retries_and_retry_policy_together() -> None:
    policy = nf.RetryPolicy(max_retries=5)
    assert nf.NeofinClient(API_KEY, SECRET_KEY, retry_policy=policy).max_retries == 5
    client = nf.NeofinClient(API_KEY, SECRET_KEY, max_retries=0, retry_policy=policy)
    assert client.max_retries == 0


# -- lifecycle -------------------------------------------------------------------------------


async def test_async_context_manager_closes_the_pool() -> None:
    async with nf.NeofinClient(API_KEY, SECRET_KEY) as client:
        assert not client.http_client.is_closed
    assert client.http_client.is_closed


async def test_aclose_is_idempotent() -> None:
    client = nf.NeofinClient(API_KEY, SECRET_KEY)
    await client.aclose()
    await client.aclose()
    assert client.http_client.is_closed


async def test_injected_http_client_is_used_and_not_closed() -> None:
    async with httpx.AsyncClient() as http:
        async with nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http) as client:
            assert client.http_client is http
        assert not http.is_closed


async def test_with_options_shares_the_pool_and_does_not_close_it() -> None:
    async with nf.NeofinClient(API_KEY, SECRET_KEY, max_retries=3) as client:
        copy = client.with_options(max_retries=0, timeout=5.0)
        assert copy.http_client is client.http_client
        assert copy.max_retries == 0 and client.max_retries == 3
        assert copy.timeout.read == 5.0 and client.timeout.read == 30.0
        assert copy.base_url == client.base_url and copy.environment == client.environment
        await copy.aclose()
        assert not client.http_client.is_closed
        async with client.with_options(base_url="http://127.0.0.1:9") as other:
            assert other.base_url == "http://127.0.0.1:9"
        assert not client.http_client.is_closed
    assert client.http_client.is_closed


async def test_with_options_keeps_max_retries_and_keys(api: respx.MockRouter) -> None:
    route = api.get("/billing/integration/x").respond(500)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with nf.NeofinClient(
        API_KEY, SECRET_KEY, retry_policy=nf.RetryPolicy(max_retries=1, sleep=sleep)
    ) as client:
        copy = client.with_options(timeout=3.0)
        assert copy.max_retries == 1
        with pytest.raises(nf.ServerError):
            await copy.billings.retrieve("x")
    assert route.call_count == 2 and len(sleeps) == 1
    headers = route.calls.last.request.headers
    assert headers["api-key"] == API_KEY and headers["secret-key"] == SECRET_KEY


async def test_with_options_new_keys(api: respx.MockRouter) -> None:
    route = api.get("/billing/integration/x").respond(200, json={})
    async with nf.NeofinClient(API_KEY, SECRET_KEY) as client:
        await client.with_options(api_key="other-api", secret_key="other-secret").billings.retrieve(
            "x"
        )
        await client.billings.retrieve("x")
    first, second = (call.request.headers for call in route.calls)
    assert (first["api-key"], first["secret-key"]) == ("other-api", "other-secret")
    assert (second["api-key"], second["secret-key"]) == (API_KEY, SECRET_KEY)


# -- every request: headers and timeouts -------------------------------------------------------


async def test_every_request_sends_auth_accept_and_user_agent(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.get("/billing/integration/a").respond(200, json={})
    api.post("/billing/").respond(202, json={"message": "ok", "errors": {}})
    await client.billings.retrieve("a")
    await client.billings.upsert(billing_item())
    assert len(api.calls) == 2
    for call in api.calls:
        headers = call.request.headers
        assert headers["api-key"] == API_KEY
        assert headers["secret-key"] == SECRET_KEY
        assert headers["accept"] == "application/json"
        assert headers["user-agent"] == f"neofin-async/{nf.__version__}"
    get, post = (call.request for call in api.calls)
    assert "content-type" not in get.headers
    assert post.headers["content-type"] == "application/json"


async def test_default_timeouts(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.get("/billing/integration/a").respond(200, json={})
    await client.billings.retrieve("a")
    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (10.0, {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}),
        (2, {"connect": 2, "read": 2, "write": 2, "pool": 2}),
        (
            httpx.Timeout(7.0, connect=1.0),
            {"connect": 1.0, "read": 7.0, "write": 7.0, "pool": 7.0},
        ),
    ],
)
async def test_custom_timeout(
    api: respx.MockRouter, timeout: float | httpx.Timeout, expected: dict[str, float]
) -> None:
    route = api.get("/billing/integration/a").respond(200, json={})
    async with nf.NeofinClient(API_KEY, SECRET_KEY, timeout=timeout) as client:
        await client.billings.retrieve("a")
        await client.with_options(timeout=timeout).billings.retrieve("a")
    for call in route.calls:
        assert call.request.extensions["timeout"] == expected


async def test_injected_http_client_settings_do_not_leak_into_requests(
    api: respx.MockRouter,
) -> None:
    route = api.get("/billing/integration/a").respond(200, json={})
    async with (
        httpx.AsyncClient(headers={"x-extra": "1"}, timeout=99) as http,
        nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http) as client,
    ):
        await client.billings.retrieve("a")
    request = route.calls.last.request
    assert request.headers["x-extra"] == "1"
    assert request.headers["api-key"] == API_KEY
    assert request.extensions["timeout"]["read"] == 30.0


def test_public_names() -> None:
    for name in (
        "NeofinClient",
        "NeofinError",
        "ConfigurationError",
        "APIError",
        "BadRequestError",
        "AuthenticationError",
        "NotFoundError",
        "RateLimitError",
        "ServerError",
        "APIConnectionError",
        "APITimeoutError",
        "InvalidItemError",
        "BillingInput",
        "CustomerInput",
        "Billing",
        "Customer",
        "BillingEvent",
        "Installment",
        "QueuedResponse",
        "MessageResponse",
        "Page",
        "RetryPolicy",
        "centavos",
    ):
        assert name in nf.__all__ and hasattr(nf, name)


async def test_with_options_keeps_the_overall_timeout() -> None:
    client = nf.NeofinClient(API_KEY, SECRET_KEY, timeout=7.0)
    copy = client.with_options(max_retries=0)
    assert copy._pipeline.overall_timeout == 7.0
    assert client.with_options(timeout=3.0)._pipeline.overall_timeout == 3.0
    await client.aclose()
