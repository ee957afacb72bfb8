"""The `http_backend` switch: httpx over aiohttp end to end against a real server on 127.0.0.1,
pool sizing on both backends, and the errors for a missing extra or a bad choice."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from conftest import API_KEY, SECRET_KEY, Sleeps, billing_item

import neofin_async as nf
from neofin_async._constants import DEFAULT_CONCURRENCY, DEFAULT_MAX_CONNECTIONS

needs_aiohttp = pytest.mark.skipif(
    importlib.util.find_spec("httpx_aiohttp") is None,
    reason="httpx-aiohttp is not installed (pip install neofin-async[aiohttp])",
)
BACKENDS = ["httpx", pytest.param("aiohttp", marks=needs_aiohttp)]
QUEUED = {"message": "Billings successfully queued.", "errors": {}}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


Answer = tuple[int, object, dict[str, str]]


@dataclass
class Server:
    """A small HTTP/1.1 server on 127.0.0.1 that records requests and answers via `respond`."""

    respond: Callable[[Request], Awaitable[Answer]]
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines if ":" in line)
                }
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                request = Request(method, path, headers, body)
                self.requests.append(request)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    status, payload, extra = await self.respond(request)
                finally:
                    self.in_flight -= 1
                content = json.dumps(payload).encode()
                head_out = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                head_out += f"content-length: {len(content)}\r\n"
                head_out += "".join(f"{k}: {v}\r\n" for k, v in extra.items()) + "\r\n"
                writer.write(head_out.encode() + content)
                await writer.drain()
        finally:
            writer.close()


async def queued(request: Request) -> Answer:
    return 202, QUEUED, {}


@pytest.fixture
async def serve() -> AsyncIterator[
    Callable[[Callable[[Request], Awaitable[Answer]]], Awaitable[Server]]
]:
    started: list[asyncio.Server] = []

    async def start(respond: Callable[[Request], Awaitable[Answer]]) -> Server:
        server = Server(respond)
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        started.append(listener)
        server.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
        return server

    yield start
    for listener in started:
        listener.close()


def client_for(server: Server, **options: object) -> nf.NeofinClient:
    return nf.NeofinClient(API_KEY, SECRET_KEY, base_url=server.url, **options)  # type: ignore[arg-type]


def is_aiohttp(client: nf.NeofinClient) -> bool:
    from httpx_aiohttp import AiohttpTransport

    return isinstance(client.http_client._transport, AiohttpTransport)


# -- end to end over aiohttp ------------------------------------------------------------------


@needs_aiohttp
async def test_bulk_upsert_through_aiohttp(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(queued)
    items = [billing_item(integration_identifier=f"order-{i}") for i in range(120)]
    async with client_for(server, http_backend="aiohttp") as client:
        assert is_aiohttp(client)
        result = await client.billings.bulk_upsert(items, concurrency=4)
    assert (result.accepted, result.total, result.requests) == (120, 120, 3)
    batches = [r.json()["billings"] for r in server.requests]  # type: ignore[index]
    assert sorted(len(batch) for batch in batches) == [20, 50, 50]
    sent = [item["integration_identifier"] for batch in batches for item in batch]
    assert sorted(sent) == sorted(item["integration_identifier"] for item in items)
    first = server.requests[0]
    assert (first.method, first.path) == ("POST", "/billing/")
    assert first.headers["api-key"] == API_KEY and first.headers["secret-key"] == SECRET_KEY
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"].startswith("neofin-async/")


@needs_aiohttp
async def test_aiohttp_errors_map_and_retry_like_httpx(
    serve: Callable[..., Awaitable[Server]], sleeps: Sleeps
) -> None:
    answers: list[Answer] = [
        (503, {"message": "Service Unavailable"}, {}),
        (429, {"message": "slow down"}, {"retry-after": "3"}),
        (202, QUEUED, {}),
        (400, {"message": "", "errors": {"amount[0]": ["must be > 0"]}}, {}),
        (404, {"message": "Billing not found.", "errors": {}}, {}),
    ]

    async def scripted(request: Request) -> Answer:
        return answers.pop(0)

    server = await serve(scripted)
    policy = nf.RetryPolicy(sleep=sleeps)
    async with client_for(server, http_backend="aiohttp", retry_policy=policy) as client:
        queued_answer = await client.billings.upsert(billing_item())
        assert queued_answer.message == "Billings successfully queued."
        assert len(sleeps) == 2 and sleeps[1] == 3.0  # backoff, then Retry-After
        with pytest.raises(nf.BadRequestError) as bad:
            await client.billings.upsert(billing_item())
        assert bad.value.errors == {"amount[0]": ["must be > 0"]}
        with pytest.raises(nf.NotFoundError):
            await client.billings.retrieve("order-1")
    assert server.requests[-1].path == "/billing/integration/order-1"


@needs_aiohttp
async def test_aiohttp_timeout_and_refused_connection_are_api_errors(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def never(request: Request) -> Answer:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    server = await serve(never)
    async with client_for(server, http_backend="aiohttp", timeout=0.2, max_retries=0) as client:
        with pytest.raises(nf.APITimeoutError):
            await client.billings.retrieve("order-1")
    closed = await serve(queued)
    closed.url = "http://127.0.0.1:9"  # discard port: nothing listens there
    async with client_for(closed, http_backend="aiohttp", max_retries=0) as client:
        with pytest.raises(nf.APIConnectionError) as info:
            await client.billings.retrieve("order-1")
    assert not isinstance(info.value, nf.APITimeoutError)  # refused, not timed out


@needs_aiohttp
async def test_aiohttp_connection_error_without_text_still_says_what_happened(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import aiohttp

    def broken(*args: object, **kwargs: object) -> object:
        raise aiohttp.ClientOSError()  # aiohttp's own errors can carry no text

    server = await serve(queued)
    async with client_for(server, http_backend="aiohttp", max_retries=0) as client:
        session = client._pipeline._exchange.session()  # type: ignore[attr-defined]
        monkeypatch.setattr(session, "request", broken)
        with pytest.raises(nf.APIConnectionError) as info:
            await client.billings.retrieve("order-1")
    assert "ClientOSError: the connection broke before an answer" in str(info.value)


@needs_aiohttp
async def test_aiohttp_session_closed_with_client_and_shared_by_copies(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(queued)
    async with client_for(server, http_backend="aiohttp") as client:
        copy = client.with_options(max_retries=0)
        assert copy.http_client is client.http_client
        await copy.billings.upsert(billing_item())
        session = client.http_client._transport.client  # type: ignore[attr-defined]
        await copy.aclose()  # a copy never closes the shared pool
        assert not session.closed
    assert session.closed


@needs_aiohttp
async def test_environment_variable_selects_the_backend(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await serve(queued)
    monkeypatch.setenv("NEOFIN_HTTP_BACKEND", " AIOHTTP ")
    async with client_for(server) as client:
        assert is_aiohttp(client)
    async with client_for(server, http_backend="httpx") as client:  # the argument wins
        assert not is_aiohttp(client)


# -- which path a request takes ------------------------------------------------------------------


def exchange_of(client: nf.NeofinClient) -> str:
    return type(client._pipeline._exchange).__name__


@needs_aiohttp
async def test_own_aiohttp_client_sends_through_aiohttp_directly(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(queued)
    async with client_for(server, http_backend="aiohttp") as client:
        copy = client.with_options(max_retries=0)
        assert exchange_of(client) == exchange_of(copy) == "AiohttpExchange"
        await client.billings.upsert(billing_item())
        await copy.billings.upsert(billing_item())
        # httpx's API on the same session: one pool for both
        response = await client.http_client.get(server.url + "/billing/integration/x")
        assert response.status_code == 202
        session = client.http_client._transport.client  # type: ignore[attr-defined]
        assert client._pipeline._exchange.session() is session  # type: ignore[attr-defined]
    assert server.connections == 1 and session.closed


@needs_aiohttp
async def test_injected_aiohttp_client_keeps_httpx_layer(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """A user's own client may carry hooks, auth or cookies: it is used through httpx."""
    from httpx_aiohttp import HttpxAiohttpClient

    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    server = await serve(queued)
    async with HttpxAiohttpClient(event_hooks={"request": [hook]}) as http:
        client = client_for(server, http_client=http)
        assert exchange_of(client) == "HttpxExchange"
        await client.billings.upsert(billing_item())
    assert seen == ["/billing/"]


@needs_aiohttp
def test_proxy_from_the_environment_keeps_httpx_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    client = nf.NeofinClient(API_KEY, SECRET_KEY, http_backend="aiohttp")
    assert exchange_of(client) == "HttpxExchange"  # httpx routes it to the proxy transport
    monkeypatch.setenv("NO_PROXY", "api.sandbox.neofin.services")
    client = nf.NeofinClient(API_KEY, SECRET_KEY, http_backend="aiohttp")
    assert exchange_of(client) == "AiohttpExchange"


@needs_aiohttp
async def test_refused_connection_is_a_connection_error_through_httpx_aiohttp_too() -> None:
    from httpx_aiohttp import HttpxAiohttpClient

    async with HttpxAiohttpClient() as http:
        client = nf.NeofinClient(
            API_KEY, SECRET_KEY, base_url="http://127.0.0.1:9", http_client=http, max_retries=0
        )
        with pytest.raises(nf.APIConnectionError) as info:
            await client.billings.retrieve("order-1")
    assert not isinstance(info.value, nf.APITimeoutError)


# -- pool sizing --------------------------------------------------------------------------------


def test_default_pool_is_larger_than_any_concurrency_used() -> None:
    assert DEFAULT_MAX_CONNECTIONS >= 64 > DEFAULT_CONCURRENCY


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("max_connections", [2, 8])
async def test_pool_bounds_connections_and_requests_in_flight(
    serve: Callable[..., Awaitable[Server]], backend: str, max_connections: int
) -> None:
    async def slow(request: Request) -> Answer:
        await asyncio.sleep(0.05)
        return 202, QUEUED, {}

    server = await serve(slow)
    items = [billing_item(integration_identifier=f"order-{i}") for i in range(16 * 5)]
    async with client_for(server, http_backend=backend, max_connections=max_connections) as client:
        result = await client.billings.bulk_upsert(items, concurrency=8, chunk_size=5)
    assert result.accepted == 80
    assert server.connections == max_connections  # opened once, then kept alive
    assert server.max_in_flight == max_connections


@pytest.mark.parametrize("max_connections", [7, 100])
def test_httpx_pool_limits_follow_max_connections(max_connections: int) -> None:
    client = nf.NeofinClient(API_KEY, SECRET_KEY, max_connections=max_connections)
    pool = client.http_client._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == pool._max_keepalive_connections == max_connections


@needs_aiohttp
@pytest.mark.parametrize("max_connections", [7, 100])
def test_aiohttp_pool_limits_follow_max_connections(max_connections: int) -> None:
    client = nf.NeofinClient(
        API_KEY, SECRET_KEY, http_backend="aiohttp", max_connections=max_connections
    )
    limits = client.http_client._transport.limits  # type: ignore[attr-defined]
    assert limits.max_connections == limits.max_keepalive_connections == max_connections


# -- configuration errors -----------------------------------------------------------------------


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)  # makes the import fail
    with pytest.raises(nf.ConfigurationError, match=r"pip install neofin-async\[aiohttp\]"):
        nf.NeofinClient(API_KEY, SECRET_KEY, http_backend="aiohttp")


def test_unknown_backend_lists_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(nf.ConfigurationError, match="'httpx', 'aiohttp'"):
        nf.NeofinClient(API_KEY, SECRET_KEY, http_backend="requests")
    monkeypatch.setenv("NEOFIN_HTTP_BACKEND", "curl")
    with pytest.raises(nf.ConfigurationError, match="'curl'"):
        nf.NeofinClient(API_KEY, SECRET_KEY)


def test_backend_and_injected_client_are_exclusive() -> None:
    with pytest.raises(nf.ConfigurationError, match="not both"):
        nf.NeofinClient(API_KEY, SECRET_KEY, http_backend="httpx", http_client=httpx.AsyncClient())


def test_bad_pool_size_refused() -> None:
    with pytest.raises(nf.ConfigurationError, match="max_connections"):
        nf.NeofinClient(API_KEY, SECRET_KEY, max_connections=0)
