"""At most N shards of one account at once, across every worker: PostgreSQL advisory locks.

An account has N slots, the session advisory locks `(account hash, 0..N-1)` in the journal's
database; a shard holds one on its own connection while it runs. Why PostgreSQL and not a
Redis semaphore: the journal already needs that database (no other service to run), and a
lock lives exactly as long as its connection, so a worker that dies (SIGKILL, a lost
machine) frees its slot the moment its socket closes, with no lease to expire or renew. Two
accounts whose hashes collide share their slots: the bound still holds, only tighter.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from .._exceptions import ConfigurationError
from .._postgres import psycopg_module, safe_dsn

_POLL = (0.2, 1.0)
"""Seconds between attempts to take a slot (a random wait in this range)."""


class TenantBusy(Exception):
    """Every slot of the account is taken: run the shard later (the Celery task retries)."""


@asynccontextmanager
async def tenant_slot(dsn: str, account: str, limit: int, *, wait: float) -> AsyncIterator[int]:
    """Hold one of the `limit` slots of `account` for the block; wait up to `wait` seconds
    for one, then raise `TenantBusy`. Yields the slot's number."""
    psycopg = psycopg_module()
    key = _lock_key(account)
    try:
        connection = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    except psycopg.Error:
        raise ConfigurationError(
            f"tenant slots: cannot connect to {safe_dsn(psycopg, dsn)}"
        ) from None
    try:
        slot = await _take(connection, key, limit, wait)
        if slot is None:
            raise TenantBusy(f"all {limit} slots of {account} are taken (waited {wait:g}s)")
        yield slot
    finally:
        with anyio.CancelScope(shield=True):
            await connection.close()  # releases the lock with the session


async def _take(connection: Any, key: int, limit: int, wait: float) -> int | None:
    deadline = anyio.current_time() + wait
    while True:
        for slot in random.sample(range(limit), limit):  # spread the shards over the slots
            cursor = await connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (key, slot))
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return slot
        pause = random.uniform(*_POLL)
        if anyio.current_time() + pause > deadline:
            return None
        await anyio.sleep(pause)


def _lock_key(account: str) -> int:
    """A signed 32-bit key for `account` (advisory locks take two int4 keys)."""
    digest = hashlib.blake2b(account.encode(), digest_size=4, person=b"neofin-slot").digest()
    return int.from_bytes(digest, "big", signed=True)
