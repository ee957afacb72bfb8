"""The bulk engine: any number of items through a <= 50 items-per-request endpoint."""

from ._chunker import Chunker
from ._confirm import ConfirmResult, confirm
from ._engine import BulkEngine, BulkStream, ChunkRetry
from ._journal import Journal
from ._result import (
    BulkError,
    BulkResult,
    ChunkResult,
    Counts,
    ItemError,
    ItemState,
    Progress,
)

__all__ = [
    "BulkEngine",
    "BulkError",
    "BulkResult",
    "BulkStream",
    "ChunkResult",
    "ChunkRetry",
    "Chunker",
    "ConfirmResult",
    "Counts",
    "ItemError",
    "ItemState",
    "Journal",
    "Progress",
    "confirm",
]
