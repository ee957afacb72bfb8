"""A hostile server: every answer we cannot interpret fails that chunk's items with a reason,
never the run; nothing a server sends can exhaust memory or the stack, or lure the keys away.

Each row of the table is run through `bulk_upsert` and checked for the accounting invariant
and the exact states and messages."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from conftest import API_KEY, SECRET_KEY, Ticks, billing_item

import neofin_async as nf
from neofin_async._constants import MAX_ITEM_MESSAGE_LENGTH, MAX_RESPONSE_BYTES
from neofin_async._errormap import MAX_FIELDS_KEPT, split_errors

ITEMS = 60  # two chunks
API = "https://api.sandbox.neofin.services"


async def no_sleep(_: float) -> None:
    await anyio.lowlevel.checkpoint()


def items(n: int = ITEMS) -> list[dict[str, Any]]:
    return [billing_item(integration_identifier=f"b{i}") for i in range(n)]


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], **options: Any
) -> nf.NeofinClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), **options)
    policy = nf.RetryPolicy(max_retries=2, sleep=no_sleep)
    return nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http, retry_policy=policy)


def assert_accounted(result: nf.BulkResult, n: int = ITEMS) -> None:
    assert result.total == n
    indexes = sorted(e.index for e in result.errors)
    assert len(indexes) == len(set(indexes)) == n - result.accepted


@dataclass
class Row:
    """One hostile answer to `POST /billing/`, and what must become of the items."""

    name: str
    answer: Callable[[httpx.Request], httpx.Response]
    states: dict[str, int]
    message: str = ""
    """Text every item not accepted carries in its message."""
    requests: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def body(content: bytes | str, status: int = 202, **headers: str) -> Callable[..., httpx.Response]:
    raw = content.encode() if isinstance(content, str) else content
    return lambda request: httpx.Response(status, content=raw, headers=headers)


def payload(data: Any, status: int = 202) -> Callable[..., httpx.Response]:
    return lambda request: httpx.Response(status, json=data)


TABLE = [
    Row("queued", payload({"message": "queued", "errors": {}}), {"accepted": 60}, requests=2),
    Row("200 with a message", payload({"message": "ok"}, 200), {"accepted": 60}),
    Row(
        "errors is a list",
        payload({"message": "queued", "errors": ["amount is wrong"]}),
        {"failed": 60},
        "without saying the items were queued (['amount is wrong'])",
    ),
    Row(
        "errors is a string",
        payload({"message": "queued", "errors": "boom"}),
        {"failed": 60},
        "('boom'); their outcome is unknown",
    ),
    Row("202 that is not JSON", body("<html>ok</html>"), {"failed": 60}, "is not JSON"),
    Row("202 that is a JSON list", payload([]), {"failed": 60}, "without saying the items"),
    Row("204 with no body", body(b"", 204), {"failed": 60}, "without saying the items"),
    Row("200 {}", payload({}, 200), {"failed": 60}, "without saying the items were queued"),
    Row(
        "HTML 502, retried",
        body("<html><body>502 Bad Gateway</body></html>", 502),
        {"failed": 60},
        "502 <html><body>502 Bad Gateway</body></html>",
        requests=6,
    ),
    Row(
        "a 5,000-digit index",
        payload({"message": "", "errors": {"amount[" + "9" * 5000 + "]": ["bad"]}}),
        {"rejected": 60},
        "amount[999",
    ),
    Row(
        "20,000 chunk-level keys",
        payload({"message": "", "errors": {f"field{i}": ["x" * 50] for i in range(20_000)}}),
        {"rejected": 60},
        "more not kept",
    ),
    Row(
        "a 400 nested 100,000 deep",
        body("[" * 100_000, 400),
        {"failed": 60},
        "400",
        requests=2,
    ),
    Row(
        "a 503 nested 100,000 deep, retried",
        body("[" * 100_000, 503),
        {"failed": 60},
        "503",
        requests=6,
    ),
    Row(
        "a body over the size limit",
        body(b'{"message": "' + b"x" * (MAX_RESPONSE_BYTES + 10) + b'"}'),
        {"failed": 60},
        f"larger than {MAX_RESPONSE_BYTES} bytes",
    ),
    Row(
        "a gzip bomb",
        body(gzip.compress(b" " * (MAX_RESPONSE_BYTES * 4)), **{"content-encoding": "gzip"}),
        {"failed": 60},
        "larger than",
    ),
    Row(
        "a 400 with {'error': text}",
        payload({"error": "Request body is invalid"}, 400),
        {"failed": 60},
        "400 Request body is invalid",
    ),
    Row(
        "Retry-After that is not a number",
        lambda r: httpx.Response(429, headers={"Retry-After": "soon"}),
        {"failed": 60},
        "429",
        requests=6,
    ),
    Row(
        "Retry-After: NaN",
        lambda r: httpx.Response(503, headers={"Retry-After": "nan"}),
        {"failed": 60},
        "503",
        requests=6,
    ),
    Row(
        "Retry-After far beyond the cap: not waited for",
        lambda r: httpx.Response(429, headers={"Retry-After": "1e9"}),
        {"failed": 60},
        "429",
        requests=2,
    ),
    Row(
        "Retry-After as a malformed date",
        lambda r: httpx.Response(503, headers={"Retry-After": "Mon, 99 Foo 2025 99:99:99 GMT"}),
        {"failed": 60},
        "503",
        requests=6,
    ),
]


@pytest.mark.parametrize("row", TABLE, ids=[row.name for row in TABLE])
async def test_hostile_answers(row: Row) -> None:
    async with client_for(row.answer) as client:
        result = await client.billings.bulk_upsert(items(), concurrency=2)
    assert_accounted(result)
    counts = {state: n for state, n in result.counts.as_dict().items() if n and state != "total"}
    assert counts == row.states
    assert all(row.message in e.message for e in result.errors), result.errors[0].message
    assert all(len(e.message) <= MAX_ITEM_MESSAGE_LENGTH for e in result.errors)
    assert all(len(e.errors) <= MAX_FIELDS_KEPT + 1 for e in result.errors)
    if row.requests is not None:
        assert result.requests == row.requests
    assert result.stopped_by is None


def test_split_errors_bounds_what_it_keeps() -> None:
    hostile = {f"f{i}[0]": ["m" * 100] for i in range(5_000)}
    hostile["amount[" + "1" * 5_000 + "]"] = ["huge index"]
    per_item, chunk_level = split_errors(hostile, 50)
    assert list(per_item) == [0]
    assert len(per_item[0]) <= MAX_FIELDS_KEPT + 1 and "..." in per_item[0]
    assert list(chunk_level.values()) == [["huge index"]]  # a key, not an item's position
    assert all(len(key) <= 200 for key in chunk_level)


async def test_422_validation_errors_fold_onto_the_items_they_name() -> None:
    sent: list[list[str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [b["integration_identifier"] for b in json.loads(request.content)["billings"]]
        sent.append(ids)
        if "b1" in ids:
            error = {"loc": ["body", "billings", ids.index("b1"), "amount"], "msg": "too big"}
            return httpx.Response(422, json={"error": [error, {"loc": ["body"], "msg": "x"}]})
        return httpx.Response(202, json={"message": "queued", "errors": {}})

    async with client_for(answer) as client:
        result = await client.billings.bulk_upsert(items(5))
    assert (result.accepted, result.rejected) == (4, 1)
    rejected = result.errors[0]
    assert (rejected.index, rejected.errors) == (1, {"amount": ["too big"], "body": ["x"]})
    assert sent[1] == ["b0", "b2", "b3", "b4"]  # the rest sent again without it


async def test_redirects_are_refused_and_the_keys_stay_home() -> None:
    """Even through an injected client that follows redirects, nothing reaches another host."""
    hosts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.host == "evil.example":
            return httpx.Response(202, json={"message": "queued", "errors": {}})
        return httpx.Response(302, headers={"location": "https://evil.example/steal"})

    async with client_for(answer, follow_redirects=True) as client:
        result = await client.billings.bulk_upsert(items())
        with pytest.raises(nf.APIError, match=r"redirect to https://evil\.example/steal"):
            await client.billings.retrieve("b1")
    assert set(hosts) == {"api.sandbox.neofin.services"}
    assert result.failed == ITEMS and result.requests == 2  # a redirect is not retried
    assert "not followed, so the keys never leave the API's origin" in result.errors[0].message


async def test_401_stops_the_run() -> None:
    async with client_for(payload({"message": "Unauthorized"}, 401)) as client:
        result = await client.billings.bulk_upsert(items(500), concurrency=1)
    assert_accounted(result, 500)
    assert (result.failed, result.not_sent, result.requests) == (50, 450, 1)
    assert isinstance(result.stopped_by, nf.AuthenticationError)


# -- after a stop, the rest of the input ------------------------------------------------------


def endless() -> Iterator[dict[str, Any]]:
    n = 0
    while True:
        yield billing_item(integration_identifier=f"e{n}")
        n += 1


async def test_the_drain_after_a_stop_is_bounded_and_compact() -> None:
    tracemalloc.start()
    try:
        async with client_for(payload({"message": "Invalid API Keys"}, 403)) as client:
            result = await client.billings.bulk_upsert(endless(), drain_limit=200_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.input_unread and result.failed % 50 == 0
    assert result.not_sent - 200_000 in (0, 50)  # a chunk pulled but not sent, then the drain
    assert len(result.errors.ranges) == 1 and len(result.errors) == result.total - result.accepted
    assert peak < 20 * 1024 * 1024  # not one object per item
    last = result.errors[-1]
    assert (last.index, last.status) == (result.total - 1, "not_sent")
    assert result.to_dict()["not_sent_ranges"][0]["stop"] == result.total


async def test_an_endless_input_after_a_stop_can_be_cancelled() -> None:
    async with client_for(payload({"message": "Invalid API Keys"}, 403)) as client:
        with pytest.raises(asyncio.TimeoutError):  # TimeoutError from 3.11 on
            await asyncio.wait_for(
                client.billings.bulk_upsert(endless(), drain_limit=None), timeout=0.5
            )


async def test_the_loop_keeps_running_while_a_long_input_drains() -> None:
    ticks = Ticks()
    forbidden = payload({"message": "Invalid API Keys"}, 403)
    async with client_for(forbidden) as client, anyio.create_task_group() as tg:
        tg.start_soon(ticks.run)
        result = await client.billings.bulk_upsert(
            billing_item(integration_identifier=f"x{i}") for i in range(300_000)
        )
        tg.cancel_scope.cancel()
    assert result.not_sent == 300_000 - 50 and ticks.count > 100


# -- socket-level hostility -------------------------------------------------------------------


@dataclass
class RawServer:
    """A TCP server answering every connection with `respond(reader, writer)`."""

    respond: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    await reader.readexactly(length)


@asynccontextmanager
async def serving(handler: Callable[..., Any]) -> AsyncIterator[RawServer]:
    raw = RawServer(handler)

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _read_request(reader)
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    raw.port = server.sockets[0].getsockname()[1]
    async with server:
        yield raw


async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\n")
    writer.write(b'content-length: 500\r\n\r\n{"message": "que')
    await writer.drain()


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()


async def dripping(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 100000\r\n\r\n")
    for _ in range(100_000):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("handler", "message"),
    [(truncated, "Connection error"), (reset, "Connection error")],
    ids=["truncated", "reset"],
)
async def test_broken_connections_fail_the_chunk(handler: Any, message: str) -> None:
    async with serving(handler) as server:
        policy = nf.RetryPolicy(max_retries=1, sleep=no_sleep)
        async with nf.NeofinClient(
            API_KEY, SECRET_KEY, base_url=server.url, retry_policy=policy
        ) as client:
            result = await client.billings.bulk_upsert(items(), concurrency=1)
        assert_accounted(result)
        assert result.failed == ITEMS and all(message in e.message for e in result.errors)


@pytest.mark.parametrize("limit", [0.4, httpx.Timeout(0.4)], ids=["float", "httpx.Timeout"])
async def test_a_dripping_server_is_bounded_by_either_form_of_timeout(limit: Any) -> None:
    async with (
        serving(dripping) as server,
        nf.NeofinClient(
            API_KEY, SECRET_KEY, base_url=server.url, timeout=limit, max_retries=0
        ) as client,
    ):
        assert client._pipeline.overall_timeout == 0.4
        with anyio.fail_after(10):  # guards the test, not a measurement
            with pytest.raises(nf.APITimeoutError, match=r"longer than 0\.4s"):
                await client.billings.retrieve("b1")


async def test_the_aiohttp_backend_reports_a_refused_connection_as_such() -> None:
    async with nf.NeofinClient(
        API_KEY, SECRET_KEY, base_url="http://127.0.0.1:1", http_backend="aiohttp", max_retries=0
    ) as client:
        with pytest.raises(nf.APIConnectionError) as info:
            await client.billings.retrieve("b1")
    assert not isinstance(info.value, nf.APITimeoutError)
    assert "ClientConnectorError" in str(info.value)


# -- nothing keeps the keys -------------------------------------------------------------------


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
    ],
    ids=["connect", "timeout", "drop"],
)
async def test_no_exception_holds_the_request_or_its_keys(failure: Exception) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise type(failure)(str(failure), request=request)

    async with client_for(answer) as client:
        with pytest.raises(nf.APIConnectionError) as info:
            await client.billings.retrieve("b1")
    gc.collect()
    for error in _chain(info.value):
        text = repr(error) + str(error) + repr(vars(error))
        assert API_KEY not in text and SECRET_KEY not in text
        assert not isinstance(getattr(error, "request", None), httpx.Request)
