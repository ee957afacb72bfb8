"""Piriod `customers.bulk_upsert` on its emulator at 50 ms per request, as a fraction of the
API's theoretical rate, `concurrency / latency` (one item per request).

`python -m benchmarks.piriod [--quick]`. The emulator runs in its own process (uvicorn),
adding 50 ms to every request. Piriod has no batch or upsert endpoint, so an upsert is a
lookup and then a write: two round trips per item, and the item rate can reach at most half
of `concurrency / latency` (the request rate, also shown, can reach all of it). `concurrency`
here is the requests in flight: the engine's `concurrency` chunks of `chunk_size` items.

The baseline, in the same process and on the same HTTP backend (httpx, aiohttp), is the
hand-written loop doing the same two requests per item (lookup by metadata, then POST or
PATCH) under an `asyncio.Semaphore`, without validation and without any of the safety of
`bulk_upsert` (a lost answer there means a duplicate customer): the ratio shows what the
engine costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
import httpx

from neofin_async.piriod import REFERENCE_METADATA_KEY, PiriodClient, sample_customers
from neofin_async.piriod.emulator import DEFAULT_API_TOKEN, DEFAULT_WORKSPACE

from .servers import _process

LATENCY = 0.05
CHUNK = 10
CONCURRENCIES = (1, 4, 8)
"""Engine `concurrency` values: `x CHUNK` requests in flight."""
BACKENDS = ("httpx", "aiohttp")
HEADERS = {"authorization": f"Token {DEFAULT_API_TOKEN}", "x-simple-workspace": DEFAULT_WORKSPACE}


@contextmanager
def emulator(latency: float) -> Iterator[str]:
    code = (
        "from neofin_async.piriod.emulator import Emulator; "
        f"Emulator(latency_ms={latency * 1000}).serve(port=0)"
    )
    with _process(
        [sys.executable, "-c", code], r"^Piriod emulator on http://127\.0\.0\.1:(\d+)"
    ) as port:
        yield f"http://127.0.0.1:{port}"


def records(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{**r, "reference": f"{prefix}-{r['reference']}"} for r in sample_customers(count, 1)]


async def ours(
    url: str, items: list[dict[str, Any]], concurrency: int, backend: str
) -> tuple[float, int, int]:
    """Seconds, accepted items and requests of `bulk_upsert`."""
    async with PiriodClient(
        DEFAULT_API_TOKEN, DEFAULT_WORKSPACE, base_url=url, http_backend=backend
    ) as client:
        started = time.perf_counter()
        result = await client.customers.bulk_upsert(
            items, concurrency=concurrency, chunk_size=CHUNK
        )
        return time.perf_counter() - started, result.accepted, result.requests


async def hand(
    url: str, items: list[dict[str, Any]], concurrency: int, backend: str
) -> tuple[float, int, int]:
    """The same protocol written by hand: lookup, then PATCH or POST, `concurrency x CHUNK`
    items at once."""
    in_flight = concurrency * CHUNK
    gate = asyncio.Semaphore(in_flight)
    accepted = 0

    async def one(send: Send, item: dict[str, Any]) -> None:
        nonlocal accepted
        metadata = {**item["metadata"], REFERENCE_METADATA_KEY: item["reference"]}
        body = {**item, "metadata": metadata}
        async with gate:
            params = {f"metadata__{REFERENCE_METADATA_KEY}": item["reference"]}
            _, found = await send("GET", "/customers/", params, None)
            if found["results"]:
                path = f"/customers/{found['results'][0]['id']}/"
                status, _ = await send("PATCH", path, None, body)
            else:
                status, _ = await send("POST", "/customers/", None, body)
            accepted += 200 <= status < 300

    async with _sender(url, in_flight, backend) as send:
        started = time.perf_counter()
        await asyncio.gather(*(one(send, item) for item in items))
        return time.perf_counter() - started, accepted, 2 * len(items)


Send = Callable[[str, str, "dict[str, str] | None", Any], Awaitable[tuple[int, Any]]]


@asynccontextmanager
async def _sender(url: str, in_flight: int, backend: str) -> AsyncIterator[Send]:
    """`send(method, path, params, json) -> (status, body)` on a pool of `in_flight`."""
    if backend == "aiohttp":
        connector = aiohttp.TCPConnector(limit=in_flight)
        async with aiohttp.ClientSession(url, headers=HEADERS, connector=connector) as session:

            async def send_aiohttp(
                method: str, path: str, params: dict[str, str] | None, body: Any
            ) -> tuple[int, Any]:
                async with session.request(method, path, params=params, json=body) as response:
                    return response.status, await response.json()

            yield send_aiohttp
        return
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits) as http:

        async def send_httpx(
            method: str, path: str, params: dict[str, str] | None, body: Any
        ) -> tuple[int, Any]:
            response = await http.request(method, path, params=params, json=body)
            return response.status_code, response.json()

        yield send_httpx


async def run(quick: bool, backends: tuple[str, ...] = BACKENDS) -> dict[str, Any]:
    rounds = 3 if quick else 10
    rows: dict[str, dict[str, Any]] = {}
    with emulator(LATENCY) as url:
        for backend in backends:  # warm-up: imports, pools
            await ours(url, records(CHUNK * 2, f"warm-{backend}"), 2, backend)
        for concurrency in CONCURRENCIES:
            in_flight = concurrency * CHUNK
            count = in_flight * rounds
            theory = in_flight / LATENCY
            for backend in backends:
                for scenario in ("create", "update"):
                    for name, contender in (("ours", ours), ("hand", hand)):
                        prefix = f"{name}-{backend}-c{concurrency}"
                        items = records(count, prefix)
                        if scenario == "update":
                            items = [{**r, "name": r["name"] + " (updated)"} for r in items]
                        seconds, accepted, requests = await contender(
                            url, items, concurrency, backend
                        )
                        if accepted != count:
                            raise RuntimeError(f"{name} {scenario}: {accepted} of {count} accepted")
                        rows[f"{name} {backend} {scenario} c={in_flight}"] = {
                            "in_flight": in_flight,
                            "items": count,
                            "items_per_second": count / seconds,
                            "requests_per_second": requests / seconds,
                            "theoretical_items_per_second": theory,
                            "item_efficiency": count / seconds / theory,
                            "request_efficiency": requests / seconds / theory,
                        }
    for key, row in rows.items():
        if key.startswith("ours"):
            baseline = rows["hand" + key[4:]]["items_per_second"]
            row["ours_over_hand"] = row["items_per_second"] / baseline
    return {"latency": LATENCY, "chunk_size": CHUNK, "rounds": rounds, "runs": rows}


def table(results: dict[str, Any]) -> str:
    header = (
        f"{'run':<30} {'items':>6} {'items/s':>8} {'theory':>7} {'items/theory':>12} "
        f"{'requests/theory':>15} {'ours/hand':>9}"
    )
    lines = [header, "-" * len(header)]
    for name, row in results["runs"].items():
        ratio = f"{row['ours_over_hand']:.2f}" if "ours_over_hand" in row else ""
        lines.append(
            f"{name:<30} {row['items']:>6} {row['items_per_second']:>8.0f} "
            f"{row['theoretical_items_per_second']:>7.0f} {row['item_efficiency']:>12.2f} "
            f"{row['request_efficiency']:>15.2f} {ratio:>9}"
        )
    lines.append(
        f"theory = in-flight requests / {results['latency']}s; an upsert is 2 requests per item, "
        "so items/theory is at most 0.50"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.piriod", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=BACKENDS, action="append", dest="backends")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    results = asyncio.run(run(args.quick, tuple(args.backends or BACKENDS)))
    print(table(results))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
