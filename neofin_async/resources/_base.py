"""What every resource shares: the transport, path building, the <= 50 item upsert."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sized
from typing import Any, ClassVar, Generic
from urllib.parse import quote

from .._constants import DEFAULT_CONCURRENCY, MAX_BATCH_SIZE
from .._retry import RetryEvent
from .._transport import Transport
from ..bulk import BulkEngine, BulkResult, BulkStream, ChunkRetry, ConfirmResult, Journal, Progress
from ..bulk import confirm as confirm_all
from ..models import InputModel, QueuedResponse, encode_batch, validate_item
from ..models._base import InputT

Items = Iterable[Any] | AsyncIterable[Any]


def segment(value: str, name: str) -> str:
    """One URL path segment, percent-encoded; empty values are refused."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    if value in (".", ".."):  # would be removed as a dot-segment, changing the route
        return value.replace(".", "%2E")
    return quote(value, safe="")


class Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport


class UpsertResource(Resource, Generic[InputT]):
    """A resource with a `POST` upsert endpoint taking at most 50 items, and the bulk engine
    on top of it for any number of items."""

    _path: ClassVar[str]
    _key: ClassVar[str]
    _model: type[InputT]

    async def retrieve(self, integration_identifier: str) -> Any:
        raise NotImplementedError

    async def upsert(
        self, items: Iterable[InputT | Mapping[str, Any]] | InputT | Mapping[str, Any]
    ) -> QueuedResponse:
        """Upsert at most 50 items in one request. Items are validated first: an invalid item
        raises `InvalidItemError` naming it, and nothing is sent. A 202 answer means queued."""
        batch = (
            [items]
            if isinstance(items, (Mapping, InputModel))
            else list(itertools.islice(items, MAX_BATCH_SIZE + 1))
        )
        if not batch:
            raise ValueError("upsert() needs at least one item")
        if len(batch) > MAX_BATCH_SIZE:
            raise ValueError(
                f"upsert() takes at most {MAX_BATCH_SIZE} items, got "
                f"{len(items) if isinstance(items, Sized) else 'more'}; "
                "use bulk_upsert() for any number"
            )
        models = [validate_item(self._model, item, index) for index, item in enumerate(batch)]
        body = await self._transport.request(
            "POST", self._path, content=encode_batch(self._key, models)
        )
        return QueuedResponse.model_validate(body)

    async def bulk_upsert(
        self,
        items: Items,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        chunk_size: int = MAX_BATCH_SIZE,
        deadline: float | None = None,
        detect_duplicates: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
        on_retry: Callable[[ChunkRetry], None] | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
    ) -> BulkResult:
        """Upsert any number of items (sync or async iterable, models or dicts).

        Items are validated one by one (`invalid` ones are never sent), sent in chunks of
        `chunk_size` with at most `concurrency` requests in flight, retried on 5xx, 408, 429,
        timeouts and connection errors, and every item ends in exactly one state of the
        returned `BulkResult`. `deadline` (seconds) stops sending new chunks; a 401/403 stops
        the run; the rest is `not_sent`. `detect_duplicates` refuses a repeated
        `integration_identifier` (memory grows with the number of distinct identifiers).
        `journal` (a SQLite path) makes a killed run resumable without resending accepted items.
        """
        engine = self._engine(
            concurrency, chunk_size, deadline, detect_duplicates, on_progress, on_retry, journal
        )
        try:
            return await engine.run(items)
        finally:
            if engine.journal is not None and not isinstance(journal, Journal):
                engine.journal.close()

    def stream_upsert(
        self,
        items: Items,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        chunk_size: int = MAX_BATCH_SIZE,
        deadline: float | None = None,
        detect_duplicates: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
        on_retry: Callable[[ChunkRetry], None] | None = None,
        journal: Journal | None = None,
    ) -> BulkStream:
        """Like `bulk_upsert`, but an async iterator of `ChunkResult`s as chunks complete;
        `stream.result` holds the running total. Use `async with` to be able to stop early."""
        return self._engine(
            concurrency, chunk_size, deadline, detect_duplicates, on_progress, on_retry, journal
        ).stream(items)

    async def confirm(
        self,
        integration_identifiers: Iterable[str],
        *,
        timeout: float = 60.0,
        interval: float = 2.0,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> ConfirmResult:
        """Poll `retrieve()` until each identifier can be read back (a 202 means queued, not
        created); report which became available and which were still missing at `timeout`."""
        return await confirm_all(
            self.retrieve,
            integration_identifiers,
            timeout=timeout,
            interval=interval,
            concurrency=concurrency,
        )

    def _engine(
        self,
        concurrency: int,
        chunk_size: int,
        deadline: float | None,
        detect_duplicates: bool,
        on_progress: Callable[[Progress], None] | None,
        on_retry: Callable[[ChunkRetry], None] | None,
        journal: Journal | str | os.PathLike[str] | None,
    ) -> BulkEngine[InputT]:
        return BulkEngine(
            self._send_chunk,
            self._prepare,
            chunk_size=chunk_size,
            concurrency=concurrency,
            deadline=deadline,
            detect_duplicates=detect_duplicates,
            on_progress=on_progress,
            on_retry=on_retry,
            journal=journal
            if journal is None or isinstance(journal, Journal)
            else Journal(journal),
        )

    def _prepare(self, item: Any, index: int) -> InputT:
        return validate_item(self._model, item, index)

    async def _send_chunk(
        self, items: list[InputT], on_retry: Callable[[RetryEvent], None]
    ) -> Mapping[str, Any] | None:
        body = await self._transport.request(
            "POST", self._path, content=encode_batch(self._key, items), on_retry=on_retry
        )
        errors = body.get("errors") if isinstance(body, dict) else None
        return errors if isinstance(errors, Mapping) else None
