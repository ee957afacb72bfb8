"""ChargeOver: items/s of `customers.bulk_upsert` on its emulator at 50 ms per request, as a
fraction of the API's theoretical rate, `concurrency x 25 / latency` (25 sub-requests per
`_bulk` call, one call per chunk when every item takes one step).

    python -m benchmarks.chargeover [--quick]

Three runs per concurrency, on an emulator served by uvicorn in its own process: a first
load (every key new), a re-sync of the same keys (every key exists), and a re-sync with
`upsert_order="create-first"` (every create refused, then updated: two calls per chunk, the
worst order for that data, as the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from contextlib import AbstractContextManager
from typing import Any

from neofin_async.chargeover import ChargeOverClient, sample_customers
from neofin_async.chargeover.emulator import DEFAULT_PRIVATE_KEY, DEFAULT_PUBLIC_KEY, Emulator

from .servers import _process

LATENCY = 0.05
CHUNK = 25
CONCURRENCIES = (1, 4, 16)
RUNS = ("first load", "re-sync", "re-sync, create-first")


def serving(latency: float) -> AbstractContextManager[int]:
    """The emulator with `latency` seconds per request, in its own process: its port."""
    command = [sys.executable, "-m", "benchmarks.chargeover", "--serve", str(latency)]
    return _process(command, r"^ChargeOver emulator on http://127\.0\.0\.1:(\d+)")


def rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {**row, "external_key": f"{prefix}-{n}"}
        for n, row in enumerate(sample_customers(count, seed=1))
    ]


async def measure(
    url: str,
    items: list[dict[str, Any]],
    concurrency: int,
    order: str,
    warm_up: list[dict[str, Any]],
) -> float:
    """Items/s of one run, after a one-chunk warm-up (connections; for "auto", what the
    previous chunk needed) on `warm_up` items of the same kind (new or existing)."""
    async with ChargeOverClient(
        DEFAULT_PUBLIC_KEY,
        DEFAULT_PRIVATE_KEY,
        base_url=url,
        max_connections=max(concurrency, 10),
        upsert_order=order,  # type: ignore[arg-type]
    ) as co:
        await co.customers.bulk_upsert(warm_up)
        started = time.perf_counter()
        result = await co.customers.bulk_upsert(items, concurrency=concurrency)
        elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"{result.accepted} of {result.total} accepted: {result.errors[:3]}")
    return len(items) / elapsed


async def run(quick: bool) -> dict[str, Any]:
    rounds = 6 if quick else 20
    results: dict[str, Any] = {"latency": LATENCY, "requests_per_slot": rounds, "runs": {}}
    with serving(LATENCY) as port:
        url = f"http://127.0.0.1:{port}"
        for c in CONCURRENCIES:
            items = rows(c * CHUNK * rounds, f"c{c}")
            theoretical = c * CHUNK / LATENCY
            new = rows(CHUNK, f"warm{c}")
            rates = {
                "first load": await measure(url, items, c, "auto", new),
                "re-sync": await measure(url, items, c, "auto", new),
                "re-sync, create-first": await measure(url, items, c, "create-first", new),
            }
            results["runs"][c] = {
                "theoretical": theoretical,
                "items_per_second": rates,
                "efficiency": {name: rate / theoretical for name, rate in rates.items()},
            }
    return results


def table(results: dict[str, Any]) -> str:
    header = "| concurrency | theoretical items/s | " + " | ".join(RUNS) + " |"
    lines = [header, "|" + "---|" * (len(RUNS) + 2)]
    for c, run in results["runs"].items():
        cells = [
            f"{run['items_per_second'][name]:,.0f} ({run['efficiency'][name]:.0%})" for name in RUNS
        ]
        lines.append(f"| {c} | {run['theoretical']:,.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chargeover", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve", type=float, metavar="LATENCY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        Emulator(latency_ms=args.serve * 1000).serve(port=0)
        return
    results = asyncio.run(run(args.quick))
    print(f"\n## ChargeOver bulk_upsert at {LATENCY * 1000:.0f} ms per request")
    print("items/s (fraction of concurrency x 25 / latency)\n")
    print(table(results))


if __name__ == "__main__":
    main()
