"""The bulk engine: any number of items through an endpoint that takes a few per request."""

from ._answer import Answer, Sourced
from ._chunker import Chunker
from ._confirm import ConfirmResult, confirm
from ._engine import BulkEngine, BulkStream, ChunkRetry
from ._journal import (
    ComparesSources,
    Journal,
    JournalEntry,
    JournalRecord,
    JournalScope,
    JournalStore,
    content_hash,
    open_journal,
)
from ._methods import BulkUpserts, Items
from ._options import BulkChanges, BulkOptions
from ._pgjournal import PostgresJournal
from ._result import (
    STATES,
    BulkError,
    BulkResult,
    ChunkResult,
    Counts,
    ItemError,
    ItemErrors,
    ItemState,
    NotSentRange,
    Progress,
)

__all__ = [
    "STATES",
    "Answer",
    "BulkChanges",
    "BulkEngine",
    "BulkError",
    "BulkOptions",
    "BulkResult",
    "BulkStream",
    "BulkUpserts",
    "ChunkResult",
    "ChunkRetry",
    "Chunker",
    "ComparesSources",
    "ConfirmResult",
    "Counts",
    "ItemError",
    "ItemErrors",
    "ItemState",
    "Items",
    "Journal",
    "JournalEntry",
    "JournalRecord",
    "JournalScope",
    "JournalStore",
    "NotSentRange",
    "PostgresJournal",
    "Progress",
    "Sourced",
    "confirm",
    "content_hash",
    "open_journal",
]
