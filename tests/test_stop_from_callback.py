"""`BulkStream.stop()` from a loop callback (a signal handler), with sniffio installed (a
dependency since httpcore needs it): anyio cannot name the event loop outside a task there."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator

import anyio
import httpx
from conftest import API_KEY, SECRET_KEY, billing_item

import neofin_async as nf


async def test_stop_called_from_a_loop_callback_stops_the_run() -> None:
    assert importlib.util.find_spec("sniffio") is not None
    started = anyio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep(10)
        raise AssertionError("unreachable")

    http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    items = [billing_item(integration_identifier=f"order-{i}") for i in range(200)]
    client = nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http, max_retries=0)
    async with client.billings.stream_upsert(items, concurrency=2) as stream:
        loop = asyncio.get_running_loop()
        with anyio.fail_after(5):
            results = [c async for c in _after(started, stream, loop)]
    await http.aclose()
    result = stream.result
    assert results and result.total == 200 and result.accepted == 0
    assert result.failed == 100 and result.not_sent == 100  # two chunks in flight, the rest
    assert "interrupted" in str(result.stopped_by)


async def _after(
    started: anyio.Event, stream: nf.BulkStream, loop: asyncio.AbstractEventLoop
) -> AsyncIterator[nf.ChunkResult]:
    async def interrupt() -> None:
        await started.wait()
        loop.call_soon(lambda: stream.stop("interrupted", grace=0.05))  # not in a task

    async with anyio.create_task_group() as tg:
        tg.start_soon(interrupt)
        async for chunk in stream:
            yield chunk
