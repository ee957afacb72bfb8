"""Journals: what was accepted, by key and content, so a later run sends only what changed.

A journal is shared by runs, files and (for PostgreSQL) machines: each record is scoped by
`(tenant, provider, resource, key)`. An item is skipped when its key was accepted before
with the same content hash, or with the same source digest (`Sourced`). Outcomes update the
record: `accepted` stores the content; `failed` forgets it (the server may or may not hold
the item: send it again); `rejected`, `invalid` and `not_sent` keep what was accepted last.

Before a changed item is sent, the engine records it `failed` (what was accepted before is
forgotten), so a run dying between the answer and its record leaves no stale content to skip
on; a `rejected` record then carries the content accepted before, restored unless another
writer stored something since.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Collection, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from .._exceptions import ConfigurationError
from .._logging import logger

if TYPE_CHECKING:
    from ._result import ItemState

SCHEMA_VERSION = 2
_LOOKUP_BATCH = 500


def content_hash(data: bytes) -> bytes:
    """The 16-byte digest a journal keeps of an item as sent."""
    return hashlib.blake2b(data, digest_size=16).digest()


class JournalScope(NamedTuple):
    tenant: str
    provider: str
    resource: str


class JournalEntry(NamedTuple):
    """What a journal remembers of a key accepted before."""

    content: bytes
    source: bytes | None


class JournalRecord(NamedTuple):
    """One item's outcome, written when its chunk ends. `content` and `source`: what the
    server now holds as far as the run knows (the item's own, once accepted; for a rejected
    change, what was accepted before). A named tuple: one is made per item sent."""

    key: str
    state: ItemState
    content: bytes | None = None
    source: bytes | None = None
    message: str = ""


@runtime_checkable
class JournalStore(Protocol):
    """Where a bulk run remembers outcomes. Implementations: `Journal` (SQLite) and
    `PostgresJournal`."""

    async def accepted(self, scope: JournalScope, keys: Collection[str]) -> dict[str, JournalEntry]:
        """For each of `keys` accepted before (and not failed since): what was accepted."""
        ...

    async def record(self, scope: JournalScope, records: Sequence[JournalRecord]) -> None:
        """Store one chunk's outcomes, in one transaction."""
        ...

    async def aclose(self) -> None:
        """Release the store's connections."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    tenant TEXT NOT NULL,
    provider TEXT NOT NULL,
    resource TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    content BLOB,
    source BLOB,
    message TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant, provider, resource, key)
) WITHOUT ROWID
"""
_UPSERT = """
INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, provider, resource, key) DO UPDATE SET
    state = excluded.state,
    message = excluded.message,
    updated_at = excluded.updated_at,
    content = CASE excluded.state WHEN 'accepted' THEN excluded.content
                                  WHEN 'failed' THEN NULL
                                  ELSE COALESCE(items.content, excluded.content) END,
    source = CASE WHEN excluded.state = 'accepted' THEN excluded.source
                  WHEN excluded.state = 'failed' THEN NULL
                  WHEN items.content IS NULL THEN excluded.source ELSE items.source END
"""


class Journal:
    """The SQLite journal (the default): a file, one transaction per chunk.

    A journal of the first format (items by input position, neofin-async 0.1) is migrated:
    its table is kept as `items_v1`, and since it recorded no content, its items are sent
    once more (`migrated` says so). A file of a newer format is refused."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.migrated = False
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(f"journal {self.path}: cannot be opened ({exc})") from None
        try:
            self._open()
        except BaseException as exc:
            self._db.close()  # a refused file leaves no connection behind
            if isinstance(exc, sqlite3.DatabaseError):
                raise ConfigurationError(
                    f"journal {self.path}: not a neofin-async journal ({exc})"
                ) from None
            raise

    def _open(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ConfigurationError(
                f"journal {self.path} has format {version}, written by a newer neofin-async "
                f"(this one reads format {SCHEMA_VERSION}): upgrade, or use another journal"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if version < SCHEMA_VERSION:
            columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
            with db:
                db.execute("BEGIN IMMEDIATE")
                if "idx" in columns:  # format 1: by input position, no content
                    db.execute("ALTER TABLE items RENAME TO items_v1")
                    self.migrated = True
                    logger.warning(
                        "journal %s was written by an older neofin-async (by input position); "
                        "migrated: the items it recorded carry no content and are sent once more",
                        self.path,
                    )
                elif columns:
                    raise ConfigurationError(f"journal {self.path}: unknown table layout")
                db.execute(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    async def accepted(self, scope: JournalScope, keys: Collection[str]) -> dict[str, JournalEntry]:
        """For each of `keys` accepted before (and not failed since): what was accepted."""
        found: dict[str, JournalEntry] = {}
        for batch in _batches(keys, _LOOKUP_BATCH):
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                "SELECT key, content, source FROM items WHERE tenant = ? AND provider = ? "
                f"AND resource = ? AND content IS NOT NULL AND key IN ({marks})",
                (*scope, *batch),
            )
            for key, content, source in rows:
                found[key] = JournalEntry(content, source)
        return found

    async def record(self, scope: JournalScope, records: Sequence[JournalRecord]) -> None:
        """Store one chunk's outcomes, in one transaction."""
        if not records:
            return
        now = time.time()
        rows = [(*scope, r.key, r.state, *_kept(r), r.message, now) for r in records]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(_UPSERT, rows)

    def counts(self, scope: JournalScope | None = None) -> dict[str, int]:
        """Items per last recorded state (in `scope`, or in the whole journal)."""
        where, values = ("", ()) if scope is None else (_IN_SCOPE, tuple(scope))
        query = f"SELECT state, COUNT(*) FROM items {where} GROUP BY state"
        return dict(self._db.execute(query, values).fetchall())

    async def aclose(self) -> None:
        """Close the file."""
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({self.path!r})"


_IN_SCOPE = "WHERE tenant = ? AND provider = ? AND resource = ?"


def _kept(record: JournalRecord) -> tuple[bytes | None, bytes | None]:
    """Content and source to store for a new key: none for a failed item."""
    if record.state == "failed":
        return None, None
    return record.content, record.source


def _batches(keys: Collection[str], size: int) -> Iterator[list[str]]:
    iterator = iter(keys)
    while batch := list(islice(iterator, size)):
        yield batch


def open_journal(value: JournalStore | str | os.PathLike[str]) -> tuple[JournalStore, bool]:
    """The store for a `journal=` option, and whether the caller opened it (and closes it):
    a `postgresql://` DSN selects PostgreSQL, anything else is a SQLite path."""
    if isinstance(value, JournalStore):
        return value, False
    text = os.fspath(value)
    if text.startswith(("postgresql://", "postgres://")):
        from ._pgjournal import PostgresJournal

        return PostgresJournal(text), True
    return Journal(text), True
