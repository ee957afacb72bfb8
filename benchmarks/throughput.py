"""Benchmarks 1 and 2: throughput ceiling on loopback, and efficiency when latency-bound."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

import neofin_async as nf

from . import servers
from .clients import CONTENDERS, Run, ours
from .data import CHUNK, billing
from .servers import Target

CONCURRENCIES = (1, 4, 16, 64)
MODELS_IN = ", models in"
"""Suffix of our client given already-validated models: the engine + transport cost alone."""


@contextlib.contextmanager
def frozen_input() -> Iterator[None]:
    """Keep the benchmark's own input list out of the garbage collector's way.

    A list of 10^4-10^5 dicts alive for the whole run makes every full collection walk it,
    a cost that belongs to the harness, not to the contender that happens to allocate."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _best(
    contenders: dict[str, Callable[[], Any]], rounds: int, expected: int
) -> dict[str, float]:
    """Items/s of each contender, best of `rounds`, in a rotating order (noise hits all)."""
    best: dict[str, float] = {}
    names = list(contenders)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            run: Run = await contenders[name]()
            if run.accepted != expected:
                raise RuntimeError(f"{name}: {run.accepted} of {expected} accepted")
            best[name] = max(best.get(name, 0.0), run.rate)
    return best


async def ceiling(target: Target, items_count: int, rounds: int) -> dict[str, Any]:
    """Items/s per contender and concurrency on one server, and the ratios that matter."""
    items = [billing(i) for i in range(items_count)]
    models = [nf.BillingInput.model_validate(item) for item in items]
    rates: dict[str, dict[int, float]] = {}
    with frozen_input():
        for contender in CONTENDERS.values():  # warm-up: imports, pools, caches
            await contender(target, items[: CHUNK * 4], 4)
        for c in CONCURRENCIES:
            contenders: dict[str, Callable[[], Any]] = {
                name: (lambda f=f, c=c: f(target, items, c)) for name, f in CONTENDERS.items()
            }
            if target.name == "sink":
                for backend in ("httpx", "aiohttp"):
                    contenders[f"ours {backend}{MODELS_IN}"] = lambda c=c, b=backend: ours(
                        target, models, c, b
                    )
            for name, rate in (await _best(contenders, rounds, items_count)).items():
                rates.setdefault(name, {})[c] = rate
    return {
        "server": target.name,
        "items": items_count,
        "rounds": rounds,
        "items_per_second": rates,
        "ratios": {
            "ours/hand, httpx": _ratio(rates, "ours httpx", "hand httpx"),
            "ours/hand, aiohttp": _ratio(rates, "ours aiohttp", "hand aiohttp"),
            "ours aiohttp/hand httpx": _ratio(rates, "ours aiohttp", "hand httpx"),
        },
    }


def _ratio(rates: dict[str, dict[int, float]], ours: str, hand: str) -> dict[int, float]:
    return {c: rates[ours][c] / rates[hand][c] for c in rates[ours]}


async def latency_bound(latency: float, rounds_of_requests: int) -> dict[str, Any]:
    """Items/s with `latency` s added per request, as a fraction of `c * 50 / latency`."""
    efficiency: dict[str, dict[int, float]] = {}
    rates: dict[str, dict[int, float]] = {}
    with servers.sink(latency=latency) as target:
        for c in CONCURRENCIES:
            count = c * CHUNK * rounds_of_requests
            items = [billing(i) for i in range(count)]
            with frozen_input():
                for name, contender in CONTENDERS.items():
                    run = await contender(target, items, c)
                    if run.accepted != count:
                        raise RuntimeError(f"{name}: {run.accepted} of {count} accepted")
                    rates.setdefault(name, {})[c] = run.rate
                    efficiency.setdefault(name, {})[c] = run.rate / (c * CHUNK / latency)
    return {
        "latency": latency,
        "requests_per_slot": rounds_of_requests,
        "items_per_second": rates,
        "efficiency": efficiency,
    }


async def run(quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with servers.sink() as target:
        results["sink"] = await ceiling(target, 5_000 if quick else 20_000, 1 if quick else 3)
    with servers.emulator() as target:
        results["emulator"] = await ceiling(target, 2_000 if quick else 5_000, 1 if quick else 2)
    results["latency_bound"] = await latency_bound(0.05, 5 if quick else 20)
    return results
