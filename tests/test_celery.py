"""neofin_async.contrib.celery against real services: RabbitMQ as the broker, Redis as the
result backend, PostgreSQL as the shared journal, real `celery worker` processes and a
served emulator. One worker is SIGKILLed in the middle of a shard."""

from __future__ import annotations

import json
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
from test_cli_providers import cli

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


# -- the command: neofin-async upsert ... --shards N ----------------------------------------------


def comparable_report(path: Path) -> dict[str, object]:
    """A report without what differs between a sharded run and a single one by nature."""
    report = json.loads(path.read_text(encoding="utf-8"))
    for key in ("target", "elapsed", "requests", "retries", "shards", "runs", "stopped",
                "missing", "errors_omitted", "unchanged"):  # fmt: skip
        report.pop(key, None)
    return report  # type: ignore[no-any-return]


def test_the_command_shards_a_file_with_the_summary_and_report_of_a_single_run(
    tmp_path: Path, cluster: Cluster, postgres_url: str
) -> None:
    rows = 3000
    path = tmp_path / "big.csv"
    write_rows(path, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[101] = lines[101].replace(",1100,", ",-5,")  # line 102: a negative amount
    # line 1851 repeats line 1801's key, in the same shard (across shards, repeats are not seen)
    lines[1850] = lines[1800].replace(",2799,", ",2800,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    emulator = Emulator()
    with emulator.serving() as server:
        sharded = [
            "upsert", "billings", str(path), "--shards", "6", "--broker", cluster.broker,
            "--result-backend", cluster.backend, "--queue", cluster.queue,
            "--base-url", server.base_url, "--journal", postgres_url,
        ]  # fmt: skip
        first = cli(*sharded, "--report", "sharded.json", cwd=tmp_path)
        assert first.returncode == 1, first.stdout + first.stderr
        assert len(emulator.billings) == rows - 2
        requests = emulator.request_counts[UPSERTS]
        again = cli(*sharded, "--report", "again.json", cwd=tmp_path)
        assert again.returncode == 1, again.stderr
        assert emulator.request_counts[UPSERTS] == requests  # the journal: nothing sent
    single = cli("upsert", "billings", str(path), "--report", "single.json", cwd=tmp_path)
    assert single.returncode == 1, single.stderr

    for output in (first.stdout, single.stdout):
        assert "line 102 BIG-000100: invalid: amount" in output
        assert "line 1851 BIG-001799: invalid: integration_identifier: duplicate 'BIG-001799', " \
            "the same as line 1801" in output  # fmt: skip
    assert "(6 shards)" in first.stdout and "shards done: 6/6" in first.stderr
    assert comparable_report(tmp_path / "sharded.json") == comparable_report(
        tmp_path / "single.json"
    )
    report = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert (report["total"], report["accepted"], report["unchanged"]) == (rows, rows - 2, rows - 2)
    assert report["requests"] == 0 and len(report["runs"]) == 6


@pytest.mark.parametrize("cluster", [1], indirect=True)
def test_the_command_fails_like_a_single_run_on_keys(tmp_path: Path, cluster: Cluster) -> None:
    """Keys the API refuses: exit 2, after the summary and report (as a single run). Keys a
    worker does not have: the shard task fails, so does the run (exit 2), naming them."""
    path = tmp_path / "b.csv"
    write_rows(path, 200)
    common = ["--broker", cluster.broker, "--result-backend", cluster.backend,
              "--queue", cluster.queue]  # fmt: skip
    emulator = Emulator()
    emulator.configure(api_key="ak-other", secret_key="sk-other")  # not the workers' keys
    with emulator.serving() as server:
        refused = cli(
            "upsert", "billings", str(path), "--shards", "2", *common,
            "--base-url", server.base_url, "--report", "r.json", cwd=tmp_path,
        )  # fmt: skip
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "refused the keys of the workers that ran shard(s) 0, 1" in refused.stderr
        assert (tmp_path / "r.json").exists() and emulator.billings == {}
    customers = tmp_path / "co.csv"
    customers.write_text("external_key,company\nCO-1,Acme Inc.\n", encoding="utf-8")
    missing = cli("upsert", "customers", str(customers), "--provider", "chargeover",
                           "--shards", "1", *common, "--base-url", "http://127.0.0.1:9",
                           cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2
    assert "a shard failed: no keys for this shard: set CHARGEOVER_PUBLIC_KEY" in missing.stderr
    assert "Traceback" not in missing.stderr + refused.stderr


def test_the_command_refuses_what_a_sharded_run_cannot_do(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_rows(path, 5)
    broker = ["--broker", "amqp://guest:secret-pw@127.0.0.1:1//"]
    cases = {
        ("--shards", "2", *broker): "the built-in emulator lives in this process",
        ("--shards", "2", "--base-url", "http://127.0.0.1:9"): "needs a broker",
        ("--shards", "2", *broker, "--target", "sandbox", "--journal", "j.sqlite"):
            "give --journal postgresql://",
        ("--shards", "2", *broker, "--target", "sandbox", "--api-key", "x"):
            "drop --api-key and --secret-key",
        ("--tenant", "acme",): "--tenant applies to sharded runs only",
        ("--shards", "2", *broker, "--target", "sandbox",
         "--journal", "postgresql://sync:pw@db/neofin"): "PGPASSWORD",
    }  # fmt: skip
    for args, message in cases.items():
        done = cli("upsert", "billings", str(path), *args, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert "secret-pw" not in done.stderr and "Traceback" not in done.stderr
