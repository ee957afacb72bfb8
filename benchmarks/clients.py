"""The contenders: our `bulk_upsert`, and what a careful user writes by hand instead.

The hand-written versions are the usual `asyncio.gather` + semaphore loop posting 50-item JSON
bodies through a pool sized to the concurrency, checking each answer's status and decoding its
JSON (as one must, to read the `errors` map). Plain, they send the dicts as they are (`json=`,
no validation); "+ BillingInput", they validate each item with the model first, as ours does,
leave out the invalid ones and send the models' JSON (the fair pair of ours).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import pydantic

import neofin_async as nf

from .data import CHUNK
from .servers import Target


@dataclass
class Run:
    items: int
    seconds: float
    accepted: int
    result: nf.BulkResult | None = None
    cpu_seconds: float = 0.0
    """CPU time of this process (all threads) over the same interval: the client's cost,
    less sensitive than wall time to other processes competing for the cores."""

    @property
    def rate(self) -> float:
        return self.items / self.seconds

    @property
    def cpu_us_per_item(self) -> float:
        return self.cpu_seconds / self.items * 1e6


async def ours(
    target: Target,
    items: Iterable[Any],
    concurrency: int,
    backend: str = "httpx",
    *,
    retry_policy: nf.RetryPolicy | None = None,
    keepalive: int | None = None,
    **options: Any,
) -> Run:
    """`client.billings.bulk_upsert(items, **options)`: validation on, 50 per request.
    `keepalive` replaces the httpx backend's pool by one keeping that many idle connections
    (20: the sizing of issue 13's lever 4)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=keepalive)
    http = httpx.AsyncClient(limits=limits) if keepalive is not None else None
    async with contextlib.AsyncExitStack() as stack:
        if http is not None:
            await stack.enter_async_context(http)
        client = await stack.enter_async_context(
            nf.NeofinClient(
                target.api_key,
                target.secret_key,
                base_url=target.url,
                http_backend=None if http is not None else backend,
                http_client=http,
                retry_policy=retry_policy,
            )
        )
        started, cpu = time.perf_counter(), time.process_time()
        result = await client.billings.bulk_upsert(items, concurrency=concurrency, **options)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Run(result.total, seconds, result.accepted, result, cpu)


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def validated_body(chunk: Sequence[Any]) -> tuple[bytes, int]:
    """What a careful user sends after validating: the valid items' JSON, and their count."""
    models, invalid = [], []
    for index, item in enumerate(chunk):
        try:
            models.append(nf.BillingInput.model_validate(item))
        except pydantic.ValidationError as exc:
            invalid.append((index, exc))  # a real loop reports these; here all are valid
    return b'{"billings":[%s]}' % b",".join(m.to_json() for m in models), len(models)


JSON = {"content-type": "application/json"}


async def handwritten_httpx(
    target: Target, items: Sequence[Any], concurrency: int, validate: bool = False
) -> Run:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=target.url, headers=target.headers, limits=limits
    ) as client:

        async def post(chunk: Sequence[Any]) -> int:
            if validate:
                body, count = validated_body(chunk)
                response = await client.post("/billing/", content=body, headers=JSON)
            else:
                count = len(chunk)
                response = await client.post("/billing/", json={"billings": chunk})
            response.raise_for_status()
            response.json()
            return count

        return await _gather(post, items, concurrency)


async def handwritten_aiohttp(
    target: Target, items: Sequence[Any], concurrency: int, validate: bool = False
) -> Run:
    # aiohttp's default SSL context is made at import: one made now trusts what the process
    # trusts now (the TLS sink's certificate, through SSL_CERT_FILE).
    tls = ssl.create_default_context() if target.url.startswith("https:") else True
    connector = aiohttp.TCPConnector(limit=concurrency, ssl=tls)
    async with aiohttp.ClientSession(
        target.url, headers=target.headers, connector=connector
    ) as session:

        async def post(chunk: Sequence[Any]) -> int:
            if validate:
                body, count = validated_body(chunk)
                answer = session.post("/billing/", data=body, headers=JSON)
            else:
                count = len(chunk)
                answer = session.post("/billing/", json={"billings": chunk})
            async with answer as response:
                response.raise_for_status()
                await response.json()
                return count

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

    started, cpu = time.perf_counter(), time.process_time()
    accepted = sum(await asyncio.gather(*(limited(chunk) for chunk in chunks(items))))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Run(len(items), seconds, accepted, cpu_seconds=cpu)


VALIDATING = " + BillingInput"
"""Suffix of a hand-written loop that validates like ours."""

CONTENDERS: dict[str, Callable[[Target, Sequence[Any], int], Coroutine[Any, Any, Run]]] = {
    "ours httpx": lambda t, items, c: ours(t, items, c, "httpx"),
    "hand httpx": handwritten_httpx,
    f"hand httpx{VALIDATING}": lambda t, items, c: handwritten_httpx(t, items, c, True),
    "ours aiohttp": lambda t, items, c: ours(t, items, c, "aiohttp"),
    "hand aiohttp": handwritten_aiohttp,
    f"hand aiohttp{VALIDATING}": lambda t, items, c: handwritten_aiohttp(t, items, c, True),
}
"""Every contender of the throughput table, by the name used in results.json; each gets the
same prebuilt list of dicts."""

CAPPED_POOL = "ours httpx, 20 kept alive (lever 4)"
"""The httpx backend's pool as issue 13's lever 4 had it, at most 20 idle connections (since
reverted: with the engine as it is now, keeping every connection is as cheap or cheaper)."""
POOL_CONTENDERS = {
    **{name: CONTENDERS[name] for name in ("ours httpx", "hand httpx", "ours aiohttp")},
    CAPPED_POOL: lambda t, items, c: ours(t, items, c, "httpx", keepalive=20),
}
"""The latency-bound runs that compare the pool's sizings, over HTTP and HTTPS."""
