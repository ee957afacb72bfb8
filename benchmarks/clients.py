"""The contenders: our `bulk_upsert`, and what a careful user writes by hand instead.

The hand-written versions are the usual `asyncio.gather` + semaphore loop posting 50-item JSON
bodies (`json=` serialisation, no validation) through a pool sized to the concurrency, checking
each answer's status and decoding its JSON (as one must, to read the `errors` map).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx

import neofin_async as nf

from .data import CHUNK
from .servers import Target


@dataclass
class Run:
    items: int
    seconds: float
    accepted: int
    result: nf.BulkResult | None = None

    @property
    def rate(self) -> float:
        return self.items / self.seconds


async def ours(
    target: Target,
    items: Iterable[Any],
    concurrency: int,
    backend: str = "httpx",
    *,
    retry_policy: nf.RetryPolicy | None = None,
    **options: Any,
) -> Run:
    """`client.billings.bulk_upsert(items, **options)`: validation on, 50 per request."""
    async with nf.NeofinClient(
        target.api_key,
        target.secret_key,
        base_url=target.url,
        http_backend=backend,
        retry_policy=retry_policy,
    ) as client:
        started = time.perf_counter()
        result = await client.billings.bulk_upsert(items, concurrency=concurrency, **options)
        seconds = time.perf_counter() - started
    return Run(result.total, seconds, result.accepted, result)


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


async def handwritten_httpx(target: Target, items: Sequence[Any], concurrency: int) -> Run:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=target.url, headers=target.headers, limits=limits
    ) as client:

        async def post(chunk: Sequence[Any]) -> int:
            response = await client.post("/billing/", json={"billings": chunk})
            response.raise_for_status()
            response.json()
            return len(chunk)

        return await _gather(post, items, concurrency)


async def handwritten_aiohttp(target: Target, items: Sequence[Any], concurrency: int) -> Run:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        target.url, headers=target.headers, connector=connector
    ) as session:

        async def post(chunk: Sequence[Any]) -> int:
            async with session.post("/billing/", json={"billings": chunk}) as response:
                response.raise_for_status()
                await response.json()
                return len(chunk)

        return await _gather(post, items, concurrency)


async def _gather(
    post: Callable[[Sequence[Any]], Coroutine[Any, Any, int]],
    items: Sequence[Any],
    concurrency: int,
) -> Run:
    semaphore = asyncio.Semaphore(concurrency)

    async def limited(chunk: Sequence[Any]) -> int:
        async with semaphore:
            return await post(chunk)

    started = time.perf_counter()
    accepted = sum(await asyncio.gather(*(limited(chunk) for chunk in chunks(items))))
    return Run(len(items), time.perf_counter() - started, accepted)


CONTENDERS: dict[str, Callable[[Target, Sequence[Any], int], Coroutine[Any, Any, Run]]] = {
    "ours httpx": lambda t, items, c: ours(t, items, c, "httpx"),
    "hand httpx": handwritten_httpx,
    "ours aiohttp": lambda t, items, c: ours(t, items, c, "aiohttp"),
    "hand aiohttp": handwritten_aiohttp,
}
"""Every contender of the throughput table, by the name used in results.json."""
