"""neofin_async.contrib.celery against real services: RabbitMQ as the broker, Redis as the
result backend, PostgreSQL as the shared journal, real `celery worker` processes and a
served emulator. One worker is SIGKILLed in the middle of a shard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from conftest import VALID_CNPJ, service_url

import neofin_async as nf
from neofin_async.contrib.celery import (
    ShardsFailed,
    create_app,
    enqueue,
    run_shards,
    upsert_sharded,
)
from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator
from neofin_async.sharding import InlineRows, ShardSpec, plan_file

UPSERTS = "POST /billing/"
READY_TIMEOUT = 60.0


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def running(self) -> dict[str, int]:
        """The shard tasks it received and has not finished, with the requests each made."""
        running: dict[str, int] = {}
        for line in self.text().splitlines():
            if "HTTP Request: POST" in line:
                for task in running:
                    running[task] += 1
            if "neofin_async.sync_shard[" not in line:
                continue
            task = line.split("neofin_async.sync_shard[", 1)[1].split("]", 1)[0]
            if line.rstrip().endswith("received"):
                running[task] = 0
            elif " succeeded in " in line or " raised " in line or " retry: " in line:
                running.pop(task, None)
        return running


@dataclass
class Cluster:
    broker: str
    backend: str
    queue: str
    workers: list[Worker]


def start_workers(
    tmp_path: Path, count: int, queue: str, broker: str, backend: str
) -> list[Worker]:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": backend,
        "NEOFIN_API_KEY": DEFAULT_API_KEY,
        "NEOFIN_SECRET_KEY": DEFAULT_SECRET_KEY,
    }
    workers = []
    for n in range(count):
        name = f"w{n}-{queue}"
        log = tmp_path / f"{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "neofin_async.contrib.celery", "worker",
            "--pool", "solo", "-Q", queue, "-n", f"{name}@%h", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with open(log, "wb") as file:
            process = subprocess.Popen(command, env=env, stdout=file, stderr=subprocess.STDOUT)
        workers.append(Worker(name, process, log))
    deadline = time.monotonic() + READY_TIMEOUT
    for worker in workers:
        while " ready." not in worker.text():
            assert worker.process.poll() is None, f"{worker.name} exited:\n{worker.text()}"
            assert time.monotonic() < deadline, f"{worker.name} not ready:\n{worker.text()}"
            time.sleep(0.1)
    return workers


def stop_workers(workers: list[Worker], broker: str, queue: str) -> None:
    """Idle workers are killed (a warm or cold shutdown takes seconds); the queue goes."""
    for worker in workers:
        worker.process.kill()
        worker.process.wait()
    app = create_app(broker)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_delete(queue)
    app.close()


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Two `celery worker` processes on a queue of their own."""
    broker, backend = service_url("rabbitmq"), service_url("redis")
    queue = f"neofin-test-{uuid.uuid4().hex[:10]}"
    count = getattr(request, "param", 2)
    workers = start_workers(tmp_path, count, queue, broker, backend)
    try:
        yield Cluster(broker, backend, queue, workers)
    finally:
        stop_workers(workers, broker, queue)


def write_rows(path: Path, count: int) -> None:
    """`count` small valid billings, as CSV."""
    lines = [
        "integration_identifier,customer_document,amount,due_date,installment_type,installments,type"
    ]
    lines += [f"BIG-{n:06d},{VALID_CNPJ},{1000 + n},2030-01-15,monthly,1,pix" for n in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_a_sharded_run_survives_a_worker_killed_mid_shard(
    tmp_path: Path, cluster: Cluster, postgres_url: str
) -> None:
    rows = 100_000
    path = tmp_path / "big.csv"
    write_rows(path, rows)
    emulator = Emulator(latency_ms=20)
    app = create_app(cluster.broker, cluster.backend)
    victim, survivor = cluster.workers
    killed: list[str] = []

    async def kill_mid_shard() -> None:
        """SIGKILL the victim a third into one of its shards (of 250 requests), once the
        emulator holds half of the rows: part of that shard is journaled, part is not."""
        while not killed:
            busy = [t for t, sent in victim.running().items() if 80 <= sent <= 160]
            if busy and len(emulator.billings) > rows // 2:
                os.kill(victim.process.pid, signal.SIGKILL)
                killed.extend(busy)
            await anyio.sleep(0.02)

    with emulator.serving() as server:
        spec = {
            "resource": "billings",
            "target": {"base_url": server.base_url},
            "journal": postgres_url,
            "options": {"concurrency": 8},
        }
        with anyio.fail_after(240):
            async with anyio.create_task_group() as tg:
                tg.start_soon(kill_mid_shard)
                report = await upsert_sharded(str(path), 8, app=app, queue=cluster.queue, **spec)
                tg.cancel_scope.cancel()
        assert killed and victim.process.wait(5) == -signal.SIGKILL
        first_requests = emulator.request_counts[UPSERTS]

        # every row reached the emulator, and the report counts each exactly once
        assert len(emulator.billings) == rows
        assert (report.total, report.accepted, report.missing) == (rows, rows, [])
        assert sum(run.total for run in report.runs) == rows and len(report.runs) == 8
        # the killed shard ran again on the survivor, skipping what the victim had journaled
        assert f"neofin_async.sync_shard[{killed[0]}] succeeded" in survivor.text()
        assert 0 < report.unchanged < 0.8 * rows / 8

        with anyio.fail_after(120):
            again = await upsert_sharded(str(path), 8, app=app, queue=cluster.queue, **spec)
    print(
        "TIMES",
        report.elapsed,
        again.elapsed,
        report.unchanged,
        [r.elapsed for r in report.runs],
        [r.elapsed for r in again.runs],
    )
    assert (again.total, again.accepted, again.unchanged) == (rows, rows, rows)
    assert again.requests == 0 and emulator.request_counts[UPSERTS] == first_requests
    app.close()


@pytest.mark.parametrize("cluster", [1], indirect=True)
async def test_a_failing_shard_fails_the_run_with_its_reason(
    tmp_path: Path, cluster: Cluster
) -> None:
    path = tmp_path / "gone.csv"
    write_rows(path, 10)
    specs = plan_file(str(path), 1, resource="billings", target={"base_url": "http://127.0.0.1:9"})
    path.unlink()  # the file is gone before a worker reads it
    app = create_app(cluster.broker, cluster.backend)
    with anyio.fail_after(60), pytest.raises(ShardsFailed, match="No such file or directory"):
        await run_shards(specs, app=app, queue=cluster.queue)
    app.close()


async def test_a_busy_account_is_retried_until_a_slot_frees(
    cluster: Cluster, postgres_url: str
) -> None:
    """Two shards of one account, at most one at a time: the second finds the slot taken,
    and its task is retried until the first is done."""
    emulator = Emulator(latency_ms=50)
    app = create_app(cluster.broker, cluster.backend)
    with emulator.serving() as server:
        specs = [
            ShardSpec.model_validate(
                {
                    "resource": "billings",
                    "input": {"rows": [{**BILLING, "integration_identifier": f"T{shard}-{n}"}
                                       for n in range(100)]},
                    "target": {"base_url": server.base_url},
                    "journal": postgres_url,
                    "tenant_limit": 1,
                    "slot_wait": 0,
                    "options": {"concurrency": 1},
                    "shard": shard,
                }
            )
            for shard in range(2)
        ]  # fmt: skip
        with anyio.fail_after(60):
            report = await run_shards(specs, app=app, queue=cluster.queue)
    assert (report.total, report.accepted) == (200, 200) and len(emulator.billings) == 200
    logs = "".join(worker.text() for worker in cluster.workers)
    assert "Retry in" in logs and "slots of" in logs  # one shard waited for the other
    app.close()


BILLING = {
    "customer_document": VALID_CNPJ,
    "amount": 1000,
    "due_date": "2030-01-15",
    "installment_type": "monthly",
    "installments": 1,
    "type": "pix",
}


def test_chords_need_a_result_backend_that_stores_results() -> None:
    spec = ShardSpec(resource="billings", input=InlineRows(rows=[]))
    for backend in (None, "rpc://"):
        app = create_app("memory://", backend)
        with pytest.raises(nf.ConfigurationError, match="CELERY_RESULT_BACKEND"):
            enqueue(app, [spec])
        app.close()
