"""A SQLite journal so a killed run can resume: accepted items are not sent again."""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._result import ChunkResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    idx INTEGER PRIMARY KEY,
    identifier TEXT,
    state TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT ''
)
"""


class Journal:
    """Records each item's outcome by input position, one transaction per chunk.

    Resuming with the same journal and the same input skips every item accepted before (same
    position, same `integration_identifier`); the others are sent again. Upserts are idempotent,
    so an item accepted by Neofin just before a crash, but not yet journalled, is merely resent.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def was_accepted(self, index: int, identifier: str | None) -> bool:
        row = self._db.execute(
            "SELECT identifier FROM items WHERE idx = ? AND state = 'accepted'", (index,)
        ).fetchone()
        return row is not None and row[0] == identifier

    def record(self, chunk: ChunkResult) -> None:
        rows = [(index, identifier, "accepted", "") for index, identifier in chunk.accepted]
        rows += [(e.index, e.integration_identifier, e.status, e.message) for e in chunk.errors]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)", rows)

    def counts(self) -> dict[str, int]:
        """Items per state recorded so far."""
        return dict(self._db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall())

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
