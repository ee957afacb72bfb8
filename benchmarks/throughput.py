"""Benchmarks 1 and 2: throughput ceiling on loopback, and efficiency when latency-bound."""

from __future__ import annotations

import contextlib
import gc
import statistics
from collections.abc import Callable, Iterator
from typing import Any

import neofin_async as nf

from . import servers
from .clients import CONTENDERS, POOL_CONTENDERS, VALIDATING, Run, ours
from .data import CHUNK, billing
from .servers import Target

CONCURRENCIES = (1, 4, 16, 64)
MODELS_IN = ", models in"
"""Suffix of our client given already-validated models: the engine + transport cost alone."""
PLAIN = [name for name in CONTENDERS if VALIDATING not in name]
"""The contenders of the emulator and latency tables (the fair pairs are for the sink)."""


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


async def _rounds(
    contenders: dict[str, Callable[[], Any]], rounds: int, expected: int
) -> dict[str, list[Run]]:
    """Every round's run of each contender, in a rotating order (noise hits all)."""
    runs: dict[str, list[Run]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            run: Run = await contenders[name]()
            if run.accepted != expected:
                raise RuntimeError(f"{name}: {run.accepted} of {expected} accepted")
            runs[name].append(run)
    return runs


def _summary(runs: list[Run]) -> dict[str, float]:
    """Median items/s over the rounds, the spread around it, and CPU per item."""
    rates = [run.rate for run in runs]
    median = statistics.median(rates)
    return {
        "median": median,
        "min": min(rates),
        "max": max(rates),
        "spread": (max(rates) - min(rates)) / median,
        "cpu_us_per_item": statistics.median(run.cpu_us_per_item for run in runs),
    }


async def ceiling(target: Target, items_count: int, rounds: int) -> dict[str, Any]:
    """Items/s per contender and concurrency on one server, and the ratios that matter."""
    items = [billing(i) for i in range(items_count)]
    models = [nf.BillingInput.model_validate(item) for item in items]
    names = list(CONTENDERS) if target.name == "sink" else PLAIN
    summaries: dict[str, dict[int, dict[str, float]]] = {}
    with frozen_input():
        for name in names:  # warm-up: imports, pools, caches
            await CONTENDERS[name](target, items[: CHUNK * 4], 4)
        for c in CONCURRENCIES:
            contenders: dict[str, Callable[[], Any]] = {
                name: (lambda f=CONTENDERS[name], c=c: f(target, items, c)) for name in names
            }
            if target.name == "sink":
                for backend in ("httpx", "aiohttp"):
                    contenders[f"ours {backend}{MODELS_IN}"] = lambda c=c, b=backend: ours(
                        target, models, c, b
                    )
            for name, runs in (await _rounds(contenders, rounds, items_count)).items():
                summaries.setdefault(name, {})[c] = _summary(runs)
    rates = {name: {c: s["median"] for c, s in by_c.items()} for name, by_c in summaries.items()}
    ratios = {
        "ours/hand, httpx": _ratio(rates, "ours httpx", "hand httpx"),
        "ours/hand, aiohttp": _ratio(rates, "ours aiohttp", "hand aiohttp"),
        "ours aiohttp/hand httpx": _ratio(rates, "ours aiohttp", "hand httpx"),
    }
    if target.name == "sink":
        for backend in ("httpx", "aiohttp"):
            ratios[f"ours/hand{VALIDATING}, {backend}"] = _ratio(
                rates, f"ours {backend}", f"hand {backend}{VALIDATING}"
            )
    return {
        "server": target.name,
        "items": items_count,
        "rounds": rounds,
        "items_per_second": rates,
        "spread": {n: {c: s["spread"] for c, s in by_c.items()} for n, by_c in summaries.items()},
        "cpu_us_per_item": {
            n: {c: s["cpu_us_per_item"] for c, s in by_c.items()} for n, by_c in summaries.items()
        },
        "ratios": ratios,
    }


def _ratio(rates: dict[str, dict[int, float]], ours: str, hand: str) -> dict[int, float]:
    return {c: rates[ours][c] / rates[hand][c] for c in rates[ours]}


async def latency_bound(
    latency: float,
    rounds_of_requests: int,
    rounds: int,
    *,
    concurrencies: tuple[int, ...] = CONCURRENCIES,
    tls: bool = False,
) -> dict[str, Any]:
    """Items/s with `latency` s added per request, as a fraction of `c * 50 / latency`: the
    plain contenders, and the httpx pool capped at 20 idle connections (lever 4, reverted)."""
    contenders = {name: CONTENDERS[name] for name in PLAIN} | POOL_CONTENDERS
    summaries: dict[str, dict[int, dict[str, float]]] = {}
    with servers.sink(latency=latency, tls=tls) as target:
        for c in concurrencies:
            count = c * CHUNK * rounds_of_requests
            items = [billing(i) for i in range(count)]
            with frozen_input():
                calls: dict[str, Callable[[], Any]] = {
                    name: (lambda f=f, c=c, i=items: f(target, i, c))
                    for name, f in contenders.items()
                }
                for name, runs in (await _rounds(calls, rounds, count)).items():
                    summaries.setdefault(name, {})[c] = _summary(runs)
    theory = {c: c * CHUNK / latency for c in concurrencies}
    return {
        "latency": latency,
        "tls": tls,
        "requests_per_slot": rounds_of_requests,
        "rounds": rounds,
        "items_per_second": {
            n: {c: s["median"] for c, s in by_c.items()} for n, by_c in summaries.items()
        },
        "efficiency": {
            n: {c: s["median"] / theory[c] for c, s in by_c.items()}
            for n, by_c in summaries.items()
        },
        "spread": {n: {c: s["spread"] for c, s in by_c.items()} for n, by_c in summaries.items()},
        "cpu_us_per_item": {
            n: {c: s["cpu_us_per_item"] for c, s in by_c.items()} for n, by_c in summaries.items()
        },
    }


async def run(quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with servers.sink() as target:
        results["sink"] = await ceiling(target, 5_000 if quick else 20_000, 1 if quick else 5)
    with servers.emulator() as target:
        results["emulator"] = await ceiling(target, 2_000 if quick else 5_000, 1 if quick else 3)
    results["latency_bound"] = await latency_bound(0.05, 5 if quick else 20, 1 if quick else 3)
    results["latency_bound_tls"] = await latency_bound(
        0.05, 5, 1 if quick else 3, concurrencies=(16, 64), tls=True
    )
    return results
