"""Benchmark 3: peak RSS of a fresh process sending N billings from a generator.

Ours (`bulk_upsert(generator)`, pull-based) against the naive way: build every chunk, then
`asyncio.gather` them all (bounded by a semaphore). Both send through aiohttp at concurrency 16,
each measurement in a new interpreter so peaks do not mix:
`python -m benchmarks.memory --approach ours --items 1000000 --url http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import servers
from .data import CHUNK, billings
from .servers import Target

CONCURRENCY = 16


async def _ours(target: Target, count: int) -> int:
    from .clients import ours

    run = await ours(target, billings(count), CONCURRENCY, "aiohttp")
    return run.accepted


async def _naive(target: Target, count: int) -> int:
    from .clients import handwritten_aiohttp

    every_chunk: list[list[dict[str, Any]]] = []
    chunk: list[dict[str, Any]] = []
    for item in billings(count):
        chunk.append(item)
        if len(chunk) == CHUNK:
            every_chunk.append(chunk)
            chunk = []
    if chunk:
        every_chunk.append(chunk)
    items = [item for chunk in every_chunk for item in chunk]
    run = await handwritten_aiohttp(target, items, CONCURRENCY)
    return run.accepted


def measure(approach: str, count: int, target: Target) -> dict[str, Any]:
    """Run one approach in a fresh interpreter; its peak RSS in MB, time and accepted count."""
    command = [sys.executable, "-m", "benchmarks.memory", "--approach", approach]
    command += ["--items", str(count), "--url", target.url]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, cwd=servers.ROOT
    ).stdout
    return json.loads(output)  # type: ignore[no-any-return]


def run(quick: bool) -> dict[str, Any]:
    small, large = (10_000, 100_000) if quick else (100_000, 1_000_000)
    peaks: dict[str, dict[int, Any]] = {}
    with servers.sink() as target:
        for approach in ("ours", "naive"):
            for count in (small, large):
                peaks.setdefault(approach, {})[count] = measure(approach, count, target)
    return {
        "items": [small, large],
        "concurrency": CONCURRENCY,
        "runs": peaks,
        "growth": {
            a: runs[large]["peak_rss_mb"] / runs[small]["peak_rss_mb"] for a, runs in peaks.items()
        },
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size. Linux's VmHWM, not `ru_maxrss`, which survives
    exec() and so would report the (larger) benchmark driver that forked this process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--approach", choices=("ours", "naive"), required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    target = Target("sink", args.url)
    started = time.perf_counter()
    send = _ours if args.approach == "ours" else _naive
    accepted = asyncio.run(send(target, args.items))
    peak = peak_rss_mb()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"peak_rss_mb": round(peak, 1), "seconds": round(seconds, 2), "accepted": accepted}
        )
    )


if __name__ == "__main__":
    main()
