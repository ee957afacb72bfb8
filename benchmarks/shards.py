"""`python -m benchmarks.shards`: what sharding over Celery workers buys when the API's latency
is the limit, and what the journal costs per item.

Needs the services the tests use (RabbitMQ, Redis, PostgreSQL; URLs from NEOFIN_TEST_RABBITMQ,
NEOFIN_TEST_REDIS, NEOFIN_TEST_POSTGRES, defaults on 127.0.0.1) and `pip install -e
".[emulator,postgres,celery]"`.

1. Items/s of a 40,000-row CSV in 8 shards over 1, 2 and 4 `celery worker` processes (solo
   pool, concurrency 8 each, PostgreSQL journal), against the emulator in its own process
   answering every request after 200 ms. Baseline in the same run: one process,
   `bulk_upsert` of the same file at concurrency 8 (one worker's) and 32 (four workers').
2. The journal's cost per item: the bulk engine with a send that answers at once (so only
   the engine and the journal are measured), 100,000 items, without a journal, with SQLite
   and with PostgreSQL; a first run (every item new: lookups and writes) and a re-run
   (every item unchanged: lookups only).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from neofin_async import NeofinClient
from neofin_async.bulk import Answer, BulkEngine, BulkOptions, JournalScope
from neofin_async.contrib.celery import create_app, upsert_sharded
from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY
from neofin_async.exports import ReadOptions, Records, fields_of, write_records

from .data import billing
from .servers import ROOT, _process

POSTGRES = os.environ.get("NEOFIN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("NEOFIN_TEST_REDIS", "redis://127.0.0.1:6379/0")
RABBITMQ = os.environ.get("NEOFIN_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//")
LATENCY_MS = 200
SHARDS = 8
CONCURRENCY = 8


@contextlib.contextmanager
def slow_emulator() -> Iterator[str]:
    command = [
        sys.executable, "-m", "neofin_async.emulator", "--port", "0",
        "--latency-ms", str(LATENCY_MS),
    ]  # fmt: skip
    with _process(command, r"^Neofin emulator on http://127\.0\.0\.1:(\d+)") as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def schema() -> Iterator[str]:
    """A DSN whose journal goes to a fresh schema, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{POSTGRES}?options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {name} CASCADE")


@contextlib.contextmanager
def workers(count: int, queue: str, logs: Path) -> Iterator[None]:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": RABBITMQ,
        "CELERY_RESULT_BACKEND": REDIS,
        "NEOFIN_API_KEY": DEFAULT_API_KEY,
        "NEOFIN_SECRET_KEY": DEFAULT_SECRET_KEY,
    }
    processes = []
    for n in range(count):
        log = logs / f"{queue}-{n}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "neofin_async.contrib.celery", "worker",
            "--pool", "solo", "-Q", queue, "-n", f"bench{n}-{queue}@%h", "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with open(log, "w") as file:
            processes.append(
                subprocess.Popen(command, env=env, cwd=ROOT, stdout=file, stderr=subprocess.STDOUT)
            )
    try:
        _wait_ready(processes, logs, queue)
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()
        app = create_app(RABBITMQ)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        app.close()


def _wait_ready(processes: list[subprocess.Popen[bytes]], logs: Path, queue: str) -> None:
    """Workers log nothing at WARNING when ready: ping them through the broker."""
    app = create_app(RABBITMQ, REDIS)
    deadline = time.monotonic() + 60
    names = {f"bench{n}-{queue}" for n in range(len(processes))}
    while True:
        replies = app.control.ping(timeout=1.0) or []
        if names <= {name.split("@")[0] for reply in replies for name in reply}:
            break
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise RuntimeError(f"workers did not start; see {logs}")
    app.close()


def write_csv(path: Path, rows: int) -> None:
    first = billing(0)
    with open(path, "w", encoding="utf-8", newline="") as file:
        write_records((billing(i) for i in range(rows)), tuple(first), file, "csv")


async def sharded_rate(path: Path, count: int, logs: Path) -> tuple[float, int]:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    app = create_app(RABBITMQ, REDIS)
    with slow_emulator() as url, schema() as journal, workers(count, queue, logs):
        report = await upsert_sharded(
            str(path),
            SHARDS,
            app=app,
            queue=queue,
            resource="billings",
            target={"base_url": url},
            journal=journal,
            options={"concurrency": CONCURRENCY},
        )
    app.close()
    assert report.ok, report.to_bulk_result()
    return report.total / report.elapsed, report.total


async def single_rate(path: Path, concurrency: int) -> float:
    with slow_emulator() as url:
        async with NeofinClient(DEFAULT_API_KEY, DEFAULT_SECRET_KEY, base_url=url) as client:
            started = time.perf_counter()
            records = Records(ReadOptions(path=str(path)), fields_of("billings"))
            result = await client.billings.bulk_upsert(records, concurrency=concurrency)
            elapsed = time.perf_counter() - started
    assert result.ok, result
    return result.total / elapsed


async def engine_rate(items: list[dict[str, Any]], journal: str | None) -> float:
    async def send(chunk: list[Any], on_retry: Any) -> Answer:
        return Answer()

    engine: BulkEngine[dict[str, Any]] = BulkEngine(
        send,
        lambda raw, index: raw,
        key=lambda item: item["integration_identifier"],
        content=lambda item: json.dumps(item, separators=(",", ":")).encode(),
        options=BulkOptions(concurrency=CONCURRENCY, journal=journal),
        scope=JournalScope("bench", "neofin", "billings"),
    )
    started = time.perf_counter()
    result = await engine.run(items)
    elapsed = time.perf_counter() - started
    assert result.ok
    return len(items) / elapsed


def table(title: str, rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"\n{title}")
    for n, row in enumerate(rows):
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        print("| " + " | ".join(cells) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


async def main(rows: int, journal_items: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        path = folder / "billings.csv"
        write_csv(path, rows)
        print(f"{rows} rows, {SHARDS} shards, concurrency {CONCURRENCY} per shard, "
              f"the emulator answering after {LATENCY_MS} ms")  # fmt: skip
        rates: list[tuple[str, ...]] = [("", "items/s", "vs 1 worker")]
        single = {c: await single_rate(path, c) for c in (CONCURRENCY, 4 * CONCURRENCY)}
        measured = {n: (await sharded_rate(path, n, folder))[0] for n in (1, 2, 4)}
        for n, rate in measured.items():
            rates.append((f"{n} worker(s)", f"{rate:,.0f}", f"{rate / measured[1]:.2f}"))
        for c, rate in single.items():
            rates.append((f"one process, c={c}", f"{rate:,.0f}", f"{rate / measured[1]:.2f}"))
        ideal = CONCURRENCY * 50 / (LATENCY_MS / 1000)
        rates.append(("ideal per worker", f"{ideal:,.0f}", ""))
        table("1. Sharded over Celery workers (items/s, wall time from enqueue to report)", rates)

    items = [billing(i) for i in range(journal_items)]
    with tempfile.TemporaryDirectory() as directory, schema() as dsn:
        sqlite = str(Path(directory) / "journal.sqlite")
        bare = await engine_rate(items, None)
        costs: list[tuple[str, ...]] = [("", "items/s", "µs per item", "vs no journal")]
        costs.append(("no journal", f"{bare:,.0f}", "", "1.00"))
        for name, journal in (("SQLite", sqlite), ("PostgreSQL", dsn)):
            for run in ("first run", "re-run"):
                rate = await engine_rate(items, journal)
                cost = (1 / rate - 1 / bare) * 1e6
                costs.append(
                    (f"{name}, {run}", f"{rate:,.0f}", f"{cost:.1f}", f"{rate / bare:.2f}")
                )
        table(f"2. Journal cost ({journal_items:,} items, a send that answers at once)", costs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--journal-items", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.journal_items))
