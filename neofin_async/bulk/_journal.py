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
import json
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from .._exceptions import ConfigurationError
from .._logging import logger

if TYPE_CHECKING:
    from ._result import ItemState

SCHEMA_VERSION = 3
_entry = tuple.__new__
"""Makes a `JournalEntry` from a pair without its Python-level `__new__` (a lookup makes one
a key)."""
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
    `PostgresJournal`. A store may also compare source digests itself (`ComparesSources`):
    a nightly re-run of `Sourced` items then reads back only what changed."""

    async def accepted(self, scope: JournalScope, keys: Collection[str]) -> dict[str, JournalEntry]:
        """For each of `keys` accepted before (and not failed since): what was accepted."""
        ...

    async def record(self, scope: JournalScope, records: Sequence[JournalRecord]) -> None:
        """Store one chunk's outcomes, in one transaction."""
        ...

    async def aclose(self) -> None:
        """Release the store's connections."""
        ...


@runtime_checkable
class ComparesSources(Protocol):
    """A `JournalStore` that compares source digests itself (SQLite's `Journal`): a nightly
    re-run then reads back the few items that changed, not what was accepted for every key.
    (`PostgresJournal` does not: joined to the pairs, a table never analyzed was scanned
    whole for every window; its `accepted()` probes the index, and the engine compares.)"""

    async def changed(
        self, scope: JournalScope, keys: Sequence[str], digests: Sequence[bytes]
    ) -> dict[str, JournalEntry | None]:
        """Of `keys`, each read with the source digest at the same position of `digests`,
        those not accepted before with that digest: what was accepted for each (None:
        nothing)."""
        ...


async def changed_sources(
    store: JournalStore, scope: JournalScope, keys: Sequence[str], digests: Sequence[bytes]
) -> dict[str, JournalEntry | None]:
    """`store.changed()`, or the same from `store.accepted()` for a store without it."""
    if isinstance(store, ComparesSources):
        return await store.changed(scope, keys, digests)
    return await compare_sources(store.accepted, scope, keys, digests)


async def compare_sources(
    accepted: Callable[[JournalScope, Collection[str]], Awaitable[dict[str, JournalEntry]]],
    scope: JournalScope,
    keys: Sequence[str],
    digests: Sequence[bytes],
) -> dict[str, JournalEntry | None]:
    """`changed()` through `accepted()`, compared here."""
    found = await accepted(scope, set(keys))
    return {
        key: entry
        for key, digest in zip(keys, digests, strict=True)
        if (entry := found.get(key)) is None or entry.source != digest
    }


_SCHEMA = """
CREATE TABLE IF NOT EXISTS scopes (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    provider TEXT NOT NULL,
    resource TEXT NOT NULL,
    UNIQUE (tenant, provider, resource)
);
CREATE TABLE IF NOT EXISTS items (
    scope INTEGER NOT NULL REFERENCES scopes (id),
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    content BLOB,
    source BLOB,
    message TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
"""
_FROM_FORMAT_2 = """
INSERT INTO scopes (tenant, provider, resource)
    SELECT DISTINCT tenant, provider, resource FROM items_v2;
INSERT INTO items
    SELECT scopes.id, key, state, content, source, message, updated_at
    FROM items_v2 JOIN scopes USING (tenant, provider, resource);
DROP TABLE items_v2;
"""
_CHANGED_JSON = """
SELECT asked.value, items.content, items.source
FROM json_each(?) AS asked
LEFT JOIN items ON items.scope = ? AND items.key = asked.value AND items.content IS NOT NULL
WHERE items.source IS NOT substr(?, asked.key * ? + 1, ?)
"""
"""Of the keys asked (a JSON array) and their source digests (one blob of digests of one
width), those accepted with another digest, or not at all."""
_LOOKUP_JSON = """
SELECT items.key, items.content, items.source
FROM json_each(?) AS asked CROSS JOIN items ON items.scope = ? AND items.key = asked.value
WHERE items.content IS NOT NULL
"""
"""The keys asked, as a JSON array (`CROSS JOIN` keeps it the outer loop: one primary key
look-up a key)."""
_UPSERT = """
INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (scope, key) DO UPDATE SET
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

    Entries are keyed by a scope's number and the item's key (format 3: format 2 repeated
    the scope's three names in every key, in a file half as large again and slower to look
    up and write). A format 2 journal is converted in place, its entries kept. A journal of
    the first format (items by input position, neofin-async 0.1) is migrated: its table is
    kept as `items_v1`, and since it recorded no content, its items are sent once more
    (`migrated` says so). A file of a newer format is refused."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.migrated = False
        self._scopes: dict[JournalScope, int] = {}
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
        self._json_keys = _has_json(db)
        if version < SCHEMA_VERSION:
            with db:
                db.execute("BEGIN IMMEDIATE")
                self._upgrade()

    def _upgrade(self) -> None:
        """Bring the file to this format, under the write lock: another process may have done
        it while this one waited for the lock."""
        db = self._db
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
        format_2 = "tenant" in columns  # the scope's names in every key
        if "idx" in columns:  # format 1: by input position, no content
            db.execute("ALTER TABLE items RENAME TO items_v1")
            self.migrated = True
            logger.warning(
                "journal %s was written by an older neofin-async (by input position); "
                "migrated: the items it recorded carry no content and are sent once more",
                self.path,
            )
        elif format_2:
            db.execute("ALTER TABLE items RENAME TO items_v2")
        elif columns:
            raise ConfigurationError(f"journal {self.path}: unknown table layout")
        _script(db, _SCHEMA)
        if format_2:
            _script(db, _FROM_FORMAT_2)
            logger.info("journal %s converted to format %d", self.path, SCHEMA_VERSION)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _scope_id(self, scope: JournalScope, *, create: bool = False) -> int | None:
        """The number of `scope` in this file; None while nothing was recorded in it, unless
        `create` (inside a write transaction)."""
        number = self._scopes.get(scope)
        if number is None:
            if create:
                self._db.execute(
                    "INSERT OR IGNORE INTO scopes (tenant, provider, resource) VALUES (?, ?, ?)",
                    scope,
                )
            row = self._db.execute(
                "SELECT id FROM scopes WHERE tenant = ? AND provider = ? AND resource = ?", scope
            ).fetchone()
            if row is None:
                return None
            number = self._scopes[scope] = row[0]
        return number

    async def accepted(self, scope: JournalScope, keys: Collection[str]) -> dict[str, JournalEntry]:
        """For each of `keys` accepted before (and not failed since): what was accepted."""
        number = self._scope_id(scope)
        if number is None or not keys:
            return {}
        if self._json_keys:  # the keys as one JSON array: binding each cost as much again
            rows = self._db.execute(_LOOKUP_JSON, (json.dumps(list(keys)), number))
            return {key: _entry(JournalEntry, (content, source)) for key, content, source in rows}
        found: dict[str, JournalEntry] = {}
        for batch in _batches(keys, _LOOKUP_BATCH):
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                "SELECT key, content, source FROM items WHERE scope = ? "
                f"AND content IS NOT NULL AND key IN ({marks})",
                (number, *batch),
            )
            for key, content, source in rows:
                found[key] = JournalEntry(content, source)
        return found

    async def changed(
        self, scope: JournalScope, keys: Sequence[str], digests: Sequence[bytes]
    ) -> dict[str, JournalEntry | None]:
        """Of `keys`, each read with the source digest at the same position of `digests`,
        those not accepted before with that digest: what was accepted for each (None:
        nothing). Compared in SQLite, so that a nightly re-run reads back only the few that
        changed."""
        number = self._scope_id(scope)
        if number is None:
            return dict.fromkeys(keys, None)
        widths = set(map(len, digests))
        if not self._json_keys or len(widths) != 1 or len(keys) != len(digests):
            return await compare_sources(self.accepted, scope, keys, digests)
        width = widths.pop()
        asked = (json.dumps(keys), number, b"".join(digests), width, width)
        rows = self._db.execute(_CHANGED_JSON, asked)
        return {
            key: None if content is None else _entry(JournalEntry, (content, source))
            for key, content, source in rows
        }

    async def record(self, scope: JournalScope, records: Sequence[JournalRecord]) -> None:
        """Store one chunk's outcomes, in one transaction."""
        if not records:
            return
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            number = self._scope_id(scope, create=True)
            rows = [(number, r.key, r.state, *_kept(r), r.message, now) for r in records]
            self._db.executemany(_UPSERT, rows)

    def counts(self, scope: JournalScope | None = None) -> dict[str, int]:
        """Items per last recorded state (in `scope`, or in the whole journal)."""
        if scope is None:
            return dict(self._db.execute("SELECT state, COUNT(*) FROM items GROUP BY state"))
        number = self._scope_id(scope)
        if number is None:
            return {}
        query = "SELECT state, COUNT(*) FROM items WHERE scope = ? GROUP BY state"
        return dict(self._db.execute(query, (number,)))

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


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run `script`'s statements in the transaction under way (`executescript` would commit
    it first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _has_json(db: sqlite3.Connection) -> bool:
    """Whether this SQLite has `json_each` (built in since 3.38, and in most builds before)."""
    try:
        db.execute("SELECT count(*) FROM json_each('[]')")
    except sqlite3.OperationalError:
        return False
    return True


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
