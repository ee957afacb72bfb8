"""`BulkUpserts`: `bulk_upsert` and `stream_upsert` for any provider's resource."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from typing_extensions import Unpack

from .._retry import RetryEvent
from ..models import AllowedExtras, resolve_extra_fields
from ._answer import Answer
from ._engine import BulkEngine, BulkStream
from ._journal import JournalScope
from ._options import BulkChanges, BulkOptions
from ._result import BulkResult

T = TypeVar("T")

Items = Iterable[Any] | AsyncIterable[Any]


class BulkUpserts(Generic[T]):
    """Mixed into a resource whose API upserts items by a key, this gives it the bulk
    engine. The resource says how to validate an item, read its key, encode it, send a
    chunk, and whose account it is."""

    bulk_provider: ClassVar[str]
    """`"neofin"`, `"piriod"` or `"chargeover"`: part of a journal's scope."""
    bulk_resource: ClassVar[str]
    """`"billings"` or `"customers"`: part of a journal's scope."""
    bulk_key_field: ClassVar[str]
    """The name of the key field, for messages (`"integration_identifier"`)."""
    max_chunk_size: ClassVar[int]
    _extra_fields: AllowedExtras = None
    """The client's `extra_fields`; a call's are added to them."""

    def _bulk_prepare(self, raw: Any, index: int, extra_fields: AllowedExtras) -> T:
        """Validate input item `index` (letting `extra_fields` through); raise
        `InvalidItemError` to refuse it."""
        raise NotImplementedError

    def _bulk_key(self, item: Any) -> str | None:
        raise NotImplementedError

    def _bulk_content(self, item: T) -> bytes:
        raise NotImplementedError

    async def _bulk_send(self, items: list[T], on_retry: Callable[[RetryEvent], None]) -> Answer:
        raise NotImplementedError

    def _bulk_tenant(self) -> str:
        raise NotImplementedError

    async def bulk_upsert(
        self, items: Items, options: BulkOptions | None = None, /, **changes: Unpack[BulkChanges]
    ) -> BulkResult:
        """Upsert any number of items (a sync or async iterable of models or dicts).

        Items are validated one by one (`invalid` ones are never sent), sent in chunks with at
        most `concurrency` requests in flight, retried on 5xx, 408, 429, timeouts and
        connection errors, and every item ends in exactly one state of the returned
        `BulkResult`. Settings: a `BulkOptions`, or its fields as keywords (`concurrency`,
        `chunk_size`, `deadline`, `detect_duplicates`, `on_progress`, `on_retry`, `journal`,
        `tenant`, `max_connection_failures`, `drain_limit`, `extra_fields`). With a
        `journal`, an item whose key was accepted before with the same content is not sent
        again (counted accepted and `unchanged`)."""
        return await self._bulk_engine(options, changes).run(items)

    def stream_upsert(
        self, items: Items, options: BulkOptions | None = None, /, **changes: Unpack[BulkChanges]
    ) -> BulkStream:
        """Like `bulk_upsert`, but an async iterator of `ChunkResult`s as chunks complete;
        `stream.result` holds the running total and `stream.stop()` ends the run cleanly. Use
        it as `async with` to be able to leave early."""
        return self._bulk_engine(options, changes).stream(items)

    def _bulk_engine(self, options: BulkOptions | None, changes: BulkChanges) -> BulkEngine[T]:
        settings = (options or BulkOptions()).replace(**changes)
        scope = JournalScope(
            settings.tenant or self._bulk_tenant(), self.bulk_provider, self.bulk_resource
        )
        extra_fields = resolve_extra_fields(self._extra_fields, settings.extra_fields)

        def prepare(raw: Any, index: int) -> T:
            return self._bulk_prepare(raw, index, extra_fields)

        return BulkEngine(
            self._bulk_send,
            prepare,
            key=self._bulk_key,
            content=self._bulk_content,
            options=settings,
            max_chunk_size=self.max_chunk_size,
            scope=scope,
            key_field=self.bulk_key_field,
        )
