"""Benchmark 4: throughput under faults, and proof that every item is accounted for.

10% of requests fail: 8% answered 500, 2% answered 429 with `Retry-After: 1`. The client uses
the default `RetryPolicy` and really sleeps (0.5 s * U[0.75, 1] before the first retry, twice
that before the second, the server's Retry-After for a 429).

What is fair: a chunk waiting out a backoff keeps its concurrency slot (that is what makes a
backoff lighten the load on a struggling server), so the cost of a fault is the backoff
*relative to the request's own duration*. Against a loopback server that answers in a
millisecond, a 0.44 s backoff is 400 requests' worth of time and any retry policy looks
catastrophic; against the real API, whose upserts take hundreds of milliseconds, it is a
request or two. So the faulty run is compared with a fault-free run of the same server latency,
concurrency and items, and the headline uses a latency in the range of the real service's
(300 ms per request); 50 ms is shown too, to make the dependence visible. First-order model:
`ratio = L / (L + sum_i p_i * (wait_i + L))` (L: request latency, p_i: rate of fault i).
"""

from __future__ import annotations

from typing import Any

from . import servers
from .clients import ours
from .data import billings
from .servers import Target

FAIL_RATE = 0.08
RATE_LIMIT_RATE = 0.02
RETRY_AFTER = 1.0
CONCURRENCY = 16


def model_ratio(latency: float) -> float:
    first_retry = 0.5 * 0.875  # mean of 0.5 * U[0.75, 1]
    extra = FAIL_RATE * (first_retry + latency) + RATE_LIMIT_RATE * (RETRY_AFTER + latency)
    return latency / (latency + extra)


def steady_rate(progress: list[tuple[float, int]], count: int) -> float:
    """Items/s between 10% and 90% of the items done: the run without its start and its tail."""
    start = next(p for p in progress if p[1] >= 0.1 * count)
    end = next(p for p in progress if p[1] >= 0.9 * count)
    return (end[1] - start[1]) / (end[0] - start[0])


async def _send(target: Target, count: int) -> dict[str, Any]:
    servers.reset(target)
    progress: list[tuple[float, int]] = []
    run = await ours(
        target,
        billings(count),
        CONCURRENCY,
        on_progress=lambda p: progress.append((p.elapsed, p.done)),
    )
    assert run.result is not None
    seen = servers.stats(target)
    counts = run.result.counts.as_dict()
    return {
        "items_per_second": run.rate,
        "steady_items_per_second": steady_rate(progress, count),
        "seconds": run.seconds,
        "counts": counts,
        "requests": run.result.requests,
        "retries": run.result.retries,
        "server": seen,
        "accounted": (
            counts["total"] == count
            and sum(v for k, v in counts.items() if k != "total") == count
            and seen["accepted_items"] == counts["accepted"]
            and seen["distinct_accepted"] == counts["accepted"]
            and seen["requests"] == run.result.requests
        ),
    }


async def faults_at(latency: float, count: int) -> dict[str, Any]:
    with servers.sink(latency=latency, track=True) as target:
        clean = await _send(target, count)
    with servers.sink(
        latency=latency,
        fail_rate=FAIL_RATE,
        rate_limit_rate=RATE_LIMIT_RATE,
        retry_after=f"{RETRY_AFTER:g}",
        seed=1,
        track=True,
    ) as target:
        faulty = await _send(target, count)
    return {
        "latency": latency,
        "items": count,
        "fault_free": clean,
        "faulty": faulty,
        "ratio": faulty["items_per_second"] / clean["items_per_second"],
        "steady_ratio": faulty["steady_items_per_second"] / clean["steady_items_per_second"],
        "model_ratio": model_ratio(latency),
    }


async def run(quick: bool) -> dict[str, Any]:
    return {
        "fail_rate": FAIL_RATE,
        "rate_limit_rate": RATE_LIMIT_RATE,
        "retry_after": RETRY_AFTER,
        "concurrency": CONCURRENCY,
        "runs": [
            await faults_at(0.3, 6_000 if quick else 30_000),
            await faults_at(0.05, 6_000 if quick else 30_000),
        ],
    }
