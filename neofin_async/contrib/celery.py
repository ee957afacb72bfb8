"""A sync sharded over Celery workers (`pip install 'neofin-async[celery]'`).

Start workers (each with the keys in its environment, see `neofin_async.sharding`)::

    CELERY_BROKER_URL=amqp://... CELERY_RESULT_BACKEND=redis://... \\
        celery -A neofin_async.contrib.celery worker

or call `register(app)` on your own Celery app. Then enqueue a file and wait for its report::

    report = await upsert_sharded("/shared/big.csv", 8, resource="billings",
                                  journal="postgresql://sync@db/neofin")

The shards go out as a chord: a group of `neofin_async.sync_shard` tasks whose callback,
`neofin_async.fold_shards`, folds their results into one report. Chords need a result
backend that stores results (Redis, a database; not `rpc://`).

A shard task is acknowledged only once it has run (`acks_late`) and is given back to the
queue when its worker process dies (`reject_on_worker_lost`): another worker runs it again.
That is safe by construction: upserts are idempotent by key, and the shared journal makes
the second run send only what the first did not get accepted.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio.to_thread
from celery import Celery, Task, chord, group
from celery.result import AsyncResult, GroupResult

from .._exceptions import ConfigurationError, NeofinError
from .._logging import logger
from ..sharding import ReadSettings, ShardReport, ShardSpec, TenantBusy, fold, plan_file, sync_shard

SHARD_TASK = "neofin_async.sync_shard"
FOLD_TASK = "neofin_async.fold_shards"
BUSY_RETRY = (1.0, 5.0)
"""Seconds (a random wait in this range) before a shard whose account had no free slot is
tried again."""
POLL_INTERVAL = 0.5

SETTINGS: dict[str, Any] = {
    "task_serializer": "json",
    "result_serializer": "json",
    "accept_content": ["json"],
    "worker_prefetch_multiplier": 1,  # a worker holds one shard at a time, not a backlog
    "broker_connection_retry_on_startup": True,
}
"""What `create_app` sets; for your own app, set at least `worker_prefetch_multiplier=1`."""


class ShardsFailed(NeofinError):
    """A shard task failed (and was not retried): the run has no complete report."""


def create_app(broker: str | None = None, backend: str | None = None, **settings: Any) -> Celery:
    """A Celery app with the shard tasks. Broker and result backend default to Celery's
    own environment variables, `CELERY_BROKER_URL` and `CELERY_RESULT_BACKEND`."""
    app = Celery("neofin_async", broker=broker, backend=backend, set_as_current=False)
    app.conf.update(SETTINGS | settings)
    register(app)
    return app


def register(app: Celery) -> None:
    """Add the tasks `neofin_async.sync_shard` and `neofin_async.fold_shards` to `app`."""
    app.task(
        name=SHARD_TASK,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,
    )(_run_shard)
    # The fold is a pure function of the results: run again if its worker dies too.
    app.task(name=FOLD_TASK, acks_late=True, reject_on_worker_lost=True)(_fold)


def _run_shard(task: Task[Any, Any], spec: dict[str, Any]) -> dict[str, Any]:
    try:
        result = asyncio.run(sync_shard(spec))
    except TenantBusy as exc:
        raise task.retry(exc=exc, countdown=random.uniform(*BUSY_RETRY)) from None
    return result.model_dump(mode="json")


def _fold(results: list[dict[str, Any]], shards: int) -> dict[str, Any]:
    return fold(results, shards).model_dump(mode="json")


def enqueue(
    app: Celery, specs: Sequence[ShardSpec], *, queue: str | None = None
) -> AsyncResult[Any]:
    """Send the shards as a group with the fold as its callback, to `queue` (default: where
    `app` routes the tasks); returns the callback's result (its value: the report as a
    dict; `.parent`: the shards' group)."""
    if not specs:
        raise ValueError("nothing to enqueue: no shard")
    backend = type(app.backend).__name__
    if backend in ("DisabledBackend", "RPCBackend"):
        raise ConfigurationError(
            "sharded runs need a result backend that stores results, for the chord that "
            "folds them: set CELERY_RESULT_BACKEND (e.g. redis://host:6379/0)"
        )
    options = {"queue": queue} if queue else {}
    header = group(
        app.signature(SHARD_TASK, args=(s.model_dump(mode="json"),), **options) for s in specs
    )
    # The last shard's worker sends the callback: pin it to the queue this app routes it to.
    fold_queue = queue or app.amqp.router.route({}, FOLD_TASK)["queue"].name
    callback = app.signature(FOLD_TASK, kwargs={"shards": len(specs)}, queue=fold_queue)
    return chord(header)(callback)


async def upsert_sharded(
    path: str,
    shards: int,
    *,
    app: Celery | None = None,
    broker: str | None = None,
    backend: str | None = None,
    queue: str | None = None,
    read: ReadSettings | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    **spec: Any,
) -> ShardReport:
    """Plan the file at `path` into `shards` shards, enqueue them and wait for the folded
    report: what `neofin-async upsert ... --shards N --broker URL` runs.

    `spec` holds the other `ShardSpec` fields (`resource`, `provider`, `target`, `journal`,
    `tenant`, `tenant_limit`, `options`); the rest is as for `run_shards`."""
    specs = await anyio.to_thread.run_sync(lambda: plan_file(path, shards, read=read, **spec))
    return await run_shards(
        specs, app=app, broker=broker, backend=backend, queue=queue, on_progress=on_progress
    )


async def run_shards(
    specs: Sequence[ShardSpec],
    *,
    app: Celery | None = None,
    broker: str | None = None,
    backend: str | None = None,
    queue: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ShardReport:
    """Enqueue shards (a file's, or inline rows, e.g. one shard per tenant) and wait for the
    folded report; its `elapsed` is the wall time. `app` (default: one made from `broker`
    and `backend`, closed at the end) sends them to `queue`. `on_progress(done, total)` is
    called as shards end. Raises `ShardsFailed` when a shard failed. Cancelling the wait
    (e.g. `anyio.fail_after`) leaves the shards running on the workers (the chord's id is
    logged when it is sent)."""
    own_app = app is None
    app = app or create_app(broker, backend)
    started = time.perf_counter()
    try:
        result = await anyio.to_thread.run_sync(lambda: enqueue(app, specs, queue=queue))
        logger.info("%d shards sent as chord %s", len(specs), result.id)
        report = await _wait(result, len(specs), on_progress)
    finally:
        if own_app:
            app.close()
    return report.model_copy(update={"elapsed": round(time.perf_counter() - started, 3)})


async def _wait(
    result: AsyncResult[Any],
    total: int,
    on_progress: Callable[[int, int], None] | None,
) -> ShardReport:
    shards = result.parent if isinstance(result.parent, GroupResult) else None
    done = -1
    while not await anyio.to_thread.run_sync(result.ready):
        if on_progress is not None and shards is not None:
            now_done = await anyio.to_thread.run_sync(shards.completed_count)
            if now_done != done:
                done = now_done
                on_progress(done, total)
        await anyio.sleep(POLL_INTERVAL)
    try:
        value = await anyio.to_thread.run_sync(lambda: result.get(propagate=True))
    except Exception as exc:
        raise ShardsFailed(f"a shard failed: {exc}") from None
    if on_progress is not None:
        on_progress(total, total)
    return ShardReport.model_validate(value)


app = create_app()
"""The app of `celery -A neofin_async.contrib.celery worker`."""
