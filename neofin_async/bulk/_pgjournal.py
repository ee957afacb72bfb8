"""The PostgreSQL journal: the SQLite journal's semantics, shared by every machine of a sync.

Records are keyed by `(tenant, provider, resource, key)` with the content hash and source
digest of what was last accepted (see `_journal`). A chunk's outcomes are one
`INSERT ... ON CONFLICT DO UPDATE` (rows in key order, so concurrent writers of overlapping
keys never deadlock); a window of keys is looked up in one `SELECT ... = ANY(keys)`. The
primary key starts with `key`, so that lookup is an index probe per key even on a table
that was never analyzed (a journal filling up during its first run). Commits do not wait
for the disk (`synchronous_commit=off`): a write lost in a server crash only means those
items are sent once more. The tables are created on first use (under an advisory lock, so
workers starting together do not race) and carry a format version: a newer one is refused,
never misread.

Needs `pip install 'neofin-async[postgres]'` (psycopg 3) and an asyncio event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._postgres import psycopg_module, safe_dsn
from ._journal import JournalEntry, JournalRecord, JournalScope, _batches

if TYPE_CHECKING:
    import psycopg

SCHEMA_VERSION = 1
"""The format of the tables; `neofin_journal_version` holds the one a database has."""
_LOOKUP_BATCH = 5000
_SCHEMA_LOCK = 0x6E656F66696E6A  # "neofinj": serializes the first use by many workers

_SCHEMA = (
    """CREATE TABLE neofin_journal_version (version INTEGER NOT NULL)""",
    """CREATE TABLE neofin_journal (
        tenant TEXT NOT NULL,
        provider TEXT NOT NULL,
        resource TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        content BYTEA,
        source BYTEA,
        message TEXT NOT NULL DEFAULT '',
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (key, tenant, provider, resource)
    )""",
)
_LOOKUP = """
SELECT key, content, source FROM neofin_journal
WHERE tenant = %s AND provider = %s AND resource = %s AND key = ANY(%s) AND content IS NOT NULL
"""
_UPSERT = """
INSERT INTO neofin_journal AS j (tenant, provider, resource, key, state, content, source, message)
SELECT %s, %s, %s, r.key, r.state,
       CASE WHEN r.state <> 'failed' THEN r.content END,
       CASE WHEN r.state <> 'failed' THEN r.source END,
       r.message
FROM unnest(%s::text[], %s::text[], %s::bytea[], %s::bytea[], %s::text[])
     AS r(key, state, content, source, message)
ORDER BY r.key
ON CONFLICT (tenant, provider, resource, key) DO UPDATE SET
    state = excluded.state,
    message = excluded.message,
    updated_at = now(),
    content = CASE excluded.state WHEN 'accepted' THEN excluded.content
                                  WHEN 'failed' THEN NULL
                                  ELSE COALESCE(j.content, excluded.content) END,
    source = CASE WHEN excluded.state = 'accepted' THEN excluded.source
                  WHEN excluded.state = 'failed' THEN NULL
                  WHEN j.content IS NULL THEN excluded.source ELSE j.source END
"""


class PostgresJournal:
    """A `JournalStore` in PostgreSQL, for runs on several machines sharing one journal.

    `dsn` is a libpq connection string (`postgresql://user@host:5432/db`; a schema other
    than the default through `?options=-csearch_path%3Dname`). Nothing connects until the
    first lookup or write; `aclose()` closes the connection. The password never appears in
    the repr or in error messages."""

    def __init__(self, dsn: str) -> None:
        self._psycopg = psycopg_module()
        self.dsn = dsn
        self.where = safe_dsn(self._psycopg, dsn)
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def accepted(self, scope: JournalScope, keys: Collection[str]) -> dict[str, JournalEntry]:
        """For each of `keys` accepted before (and not failed since): what was accepted."""
        found: dict[str, JournalEntry] = {}
        async with self._lock:
            db = await self._connect()
            for batch in _batches(keys, _LOOKUP_BATCH):
                cursor = await db.execute(_LOOKUP, (*scope, batch))
                for key, content, source in await cursor.fetchall():
                    found[key] = JournalEntry(bytes(content), _bytes(source))
        return found

    async def record(self, scope: JournalScope, records: Sequence[JournalRecord]) -> None:
        """Store one chunk's outcomes: one `INSERT ... ON CONFLICT DO UPDATE`."""
        if not records:
            return
        async with self._lock:
            db = await self._connect()
            rounds = _rounds(records)
            if len(rounds) == 1:  # the usual chunk: one statement, its own transaction
                await db.execute(_UPSERT, _parameters(scope, rounds[0]))
                return
            async with db.transaction():  # a key twice in a chunk: applied in input order
                for records_round in rounds:
                    await db.execute(_UPSERT, _parameters(scope, records_round))

    async def counts(self, scope: JournalScope | None = None) -> dict[str, int]:
        """Items per last recorded state (in `scope`, or in the whole journal)."""
        where, values = ("", ()) if scope is None else (_IN_SCOPE, tuple(scope))
        async with self._lock:
            db = await self._connect()
            cursor = await db.execute(
                f"SELECT state, COUNT(*) FROM neofin_journal {where} GROUP BY state", values
            )
            return {state: count for state, count in await cursor.fetchall()}

    async def aclose(self) -> None:
        """Close the connection, if one was opened."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def __aenter__(self) -> PostgresJournal:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"PostgresJournal({self.where!r})"

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if self._connection is not None and not self._connection.closed:
            return self._connection
        try:
            connection: psycopg.AsyncConnection[Any] = await self._psycopg.AsyncConnection.connect(
                self.dsn, autocommit=True
            )
        except self._psycopg.Error as exc:
            raise ConfigurationError(
                f"journal {self.where}: cannot connect ({_first_line(exc)})"
            ) from None
        try:
            # A commit lost in a server crash only makes a later run send those items again.
            await connection.execute("SET synchronous_commit TO off")
            await _prepare_schema(connection, self.where)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        return connection


_IN_SCOPE = "WHERE tenant = %s AND provider = %s AND resource = %s"


async def _prepare_schema(db: psycopg.AsyncConnection[Any], where: str) -> None:
    """Create the tables if the database has none; refuse a format this code cannot read."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        cursor = await db.execute("SELECT to_regclass('neofin_journal_version') IS NOT NULL")
        row = await cursor.fetchone()
        if row is None or not row[0]:
            for statement in _SCHEMA:
                await db.execute(statement)
            await db.execute("INSERT INTO neofin_journal_version VALUES (%s)", (SCHEMA_VERSION,))
            return
        cursor = await db.execute("SELECT max(version) FROM neofin_journal_version")
        row = await cursor.fetchone()
        version = row[0] if row is not None else None
    if version != SCHEMA_VERSION:
        newer = version is not None and version > SCHEMA_VERSION
        raise ConfigurationError(
            f"journal {where} has format {version}, "
            + ("written by a newer neofin-async" if newer else "which this one cannot read")
            + f" (this one reads format {SCHEMA_VERSION}): upgrade, or use another database "
            "or schema"
        )


def _rounds(records: Sequence[JournalRecord]) -> list[list[JournalRecord]]:
    """The records in rounds where each key appears at most once (one `ON CONFLICT` statement
    cannot touch a row twice): round n holds each key's n-th record, in key order."""
    rounds: list[list[JournalRecord]] = []
    seen: dict[str, int] = {}
    for record in records:
        n = seen.get(record.key, 0)
        seen[record.key] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(record)
    for records_round in rounds:
        records_round.sort(key=lambda record: record.key)
    return rounds


def _parameters(scope: JournalScope, records: list[JournalRecord]) -> tuple[Any, ...]:
    return (
        *scope,
        [r.key for r in records],
        [r.state for r in records],
        [r.content for r in records],
        [r.source for r in records],
        [r.message for r in records],
    )


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
