"""The bulk engine: pull chunks from the input, send them concurrently, fold every answer."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from .._constants import DEFAULT_CONCURRENCY, MAX_BATCH_SIZE
from .._errormap import describe, split_errors
from .._exceptions import AuthenticationError, BadRequestError
from .._retry import RetryEvent
from ._chunker import Chunk, Chunker, Entry, Prepare
from ._journal import Journal
from ._result import BulkResult, ChunkResult, ItemError, ItemState, Progress

T = TypeVar("T")

Send = Callable[[list[T], Callable[[RetryEvent], None]], Awaitable[Mapping[str, Any] | None]]
"""Send one chunk; return the errors map of a 2xx answer, raise `APIError` otherwise."""

_DRAIN_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ChunkRetry:
    """Passed to `on_retry` before a chunk's request is retried."""

    chunk: int
    attempt: int
    max_retries: int
    wait: float
    error: BaseException


class BulkEngine(Generic[T]):
    """Send any number of items through an endpoint that takes at most `chunk_size` per request.

    Pull-based: a chunk is taken from the input only when one of `concurrency` slots is free
    (a slot is held until the chunk's result is consumed), so memory stays flat whatever the
    input length. Every item ends in exactly one state of `ItemState`.
    """

    def __init__(
        self,
        send: Send[T],
        prepare: Prepare[T],
        *,
        chunk_size: int = MAX_BATCH_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        deadline: float | None = None,
        detect_duplicates: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
        on_retry: Callable[[ChunkRetry], None] | None = None,
        journal: Journal | None = None,
        max_chunk_size: int = MAX_BATCH_SIZE,
    ) -> None:
        if not 1 <= chunk_size <= max_chunk_size:
            raise ValueError(f"chunk_size must be between 1 and {max_chunk_size}, got {chunk_size}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if deadline is not None and deadline <= 0:
            raise ValueError("deadline must be a positive number of seconds")
        self._send = send
        self._prepare = prepare
        self.chunk_size = chunk_size
        self.concurrency = concurrency
        self.deadline = deadline
        self.detect_duplicates = detect_duplicates
        self.on_progress = on_progress
        self.on_retry = on_retry
        self.journal = journal

    def stream(self, items: Iterable[Any] | AsyncIterable[Any]) -> BulkStream:
        """Per-chunk results as chunks complete. Use `async with` to stop early cleanly."""
        return BulkStream(_Run(self, items))

    async def run(self, items: Iterable[Any] | AsyncIterable[Any]) -> BulkResult:
        """Send everything and return the aggregate result."""
        async with self.stream(items) as stream:
            async for _ in stream:
                pass
        return stream.result


class BulkStream(AsyncIterator[ChunkResult]):
    """Async iterator of `ChunkResult`s; `result` folds them as they pass."""

    def __init__(self, run: _Run[Any]) -> None:
        self._run = run
        self._results = run.results()
        self._started: float | None = None
        self.result = BulkResult()

    async def __anext__(self) -> ChunkResult:
        if self._started is None:
            self._started = time.perf_counter()
        try:
            chunk = await self._results.__anext__()
        finally:
            self.result.elapsed = time.perf_counter() - self._started
            self.result.stopped_by = self._run.stopped_by
        self.result.add(chunk)
        if self._run.engine.journal is not None:
            self._run.engine.journal.record(chunk)
        if self._run.engine.on_progress is not None:
            r = self.result
            counts = dataclasses.replace(r.counts)  # a snapshot: later chunks must not change it
            self._run.engine.on_progress(Progress(counts, r.requests, r.retries, r.elapsed))
        return chunk

    async def aclose(self) -> None:
        await self._results.aclose()

    async def __aenter__(self) -> BulkStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _Run(Generic[T]):
    """The state of one run: in-flight chunks, their cancel scopes, the stop cause."""

    def __init__(self, engine: BulkEngine[T], items: Iterable[Any] | AsyncIterable[Any]) -> None:
        self.engine = engine
        self.chunker = Chunker(
            items,
            engine._prepare,
            size=engine.chunk_size,
            detect_duplicates=engine.detect_duplicates,
            skip=engine.journal.was_accepted if engine.journal is not None else None,
        )
        self.in_flight: dict[int, Chunk[T]] = {}
        self.scopes: dict[int, anyio.CancelScope] = {}
        self.slot_wait: anyio.CancelScope | None = None
        self.stopped_by: BaseException | None = None
        self.input_error: Exception | None = None

    async def results(self) -> AsyncGenerator[ChunkResult, None]:
        send, receive = anyio.create_memory_object_stream[tuple[ChunkResult, bool]](math.inf)
        slots = anyio.Semaphore(self.engine.concurrency)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._dispatch, slots, send)
            try:
                async for result, held_slot in receive:
                    if held_slot:
                        slots.release()
                    yield result
            except GeneratorExit:  # closed early: a task group must not see GeneratorExit
                return
            finally:  # stop everything before closing the stream
                tg.cancel_scope.cancel()
                receive.close()
        if self.input_error is not None:
            raise self.input_error

    def stop(self, cause: BaseException) -> None:
        """Stop dispatching, cancel in-flight chunks (their items end `not_sent`)."""
        if self.stopped_by is None:
            self.stopped_by = cause
        for scope in (*self.scopes.values(), self.slot_wait):
            if scope is not None:
                scope.cancel()

    async def _dispatch(
        self, slots: anyio.Semaphore, results: MemoryObjectSendStream[tuple[ChunkResult, bool]]
    ) -> None:
        deadline = math.inf if self.engine.deadline is None else self.engine.deadline
        deadline += anyio.current_time()
        async with results, _closing(self.chunker):
            async with anyio.create_task_group() as senders:
                while self.stopped_by is None:
                    with anyio.CancelScope(deadline=deadline) as self.slot_wait:
                        await slots.acquire()
                    if self.slot_wait.cancel_called:
                        if self.stopped_by is None:
                            self.stopped_by = TimeoutError(
                                f"deadline of {self.engine.deadline}s reached"
                            )
                        break
                    try:
                        chunk = await self.chunker.next_chunk()
                    except Exception as exc:  # the input itself failed: re-raised at the end
                        self.input_error = exc
                        chunk = None
                    if chunk is None:
                        slots.release()
                        break
                    if not chunk.entries:
                        _emit(results, (_settled(chunk), True))
                        continue
                    self.in_flight[chunk.number] = chunk
                    senders.start_soon(self._send_chunk, chunk, results)
            # Every sender has ended: what is still in flight was cancelled before its answer.
            leftovers = [entry for chunk in self.in_flight.values() for entry in chunk.entries]
            for chunk in self.in_flight.values():
                _emit(results, (_settled(chunk), False))
            if leftovers:
                _emit(results, (self._not_sent(leftovers), False))
            if self.stopped_by is not None and not self.chunker.exhausted:
                batch: list[Entry[None]] = []
                async for entry in self.chunker.remaining():
                    batch.append(entry)
                    if len(batch) >= _DRAIN_BATCH:
                        _emit(results, (self._not_sent(batch), False))
                        batch = []
                if batch:
                    _emit(results, (self._not_sent(batch), False))

    def _not_sent(self, entries: Iterable[Entry[Any]]) -> ChunkResult:
        reason = f"not sent: the run stopped ({self.stopped_by})"
        errors = [ItemError(e.index, e.identifier, "not_sent", reason) for e in entries]
        return ChunkResult(-1, errors=errors)

    async def _send_chunk(
        self, chunk: Chunk[T], results: MemoryObjectSendStream[tuple[ChunkResult, bool]]
    ) -> None:
        with anyio.CancelScope() as scope:
            self.scopes[chunk.number] = scope
            if self.stopped_by is not None:
                scope.cancel()
            try:
                result = await self._deliver(chunk)
            finally:
                del self.scopes[chunk.number]
        if scope.cancelled_caught:
            return  # left in `in_flight`: reported as not_sent by the dispatcher
        del self.in_flight[chunk.number]
        _emit(results, (result, True))

    async def _deliver(self, chunk: Chunk[T]) -> ChunkResult:
        result = _settled(chunk)
        entries = chunk.entries

        def retried(event: RetryEvent) -> None:
            result.requests += 1
            result.retries += 1
            if self.engine.on_retry is not None:
                self.engine.on_retry(
                    ChunkRetry(
                        chunk.number, event.attempt, event.max_retries, event.wait, event.error
                    )
                )

        while entries:
            result.requests += 1
            try:
                errors = await self.engine._send([entry.item for entry in entries], retried)
            except BadRequestError as exc:
                per_item, chunk_level = split_errors(exc.errors, len(entries))
                if per_item:
                    _reject(result, entries, per_item, chunk_level)
                    entries = [e for i, e in enumerate(entries) if i not in per_item]
                    continue  # send the rest again without the named items
                _fail(
                    result, entries, "rejected" if chunk_level else "failed", str(exc), chunk_level
                )
            except AuthenticationError as exc:
                _fail(result, entries, "failed", str(exc))
                self.stop(exc)
            except Exception as exc:
                _fail(result, entries, "failed", str(exc) or type(exc).__name__)
            else:
                per_item, chunk_level = split_errors(errors, len(entries))
                _reject(result, entries, per_item, chunk_level, accept_others=True)
            break
        return result


def _emit(
    results: MemoryObjectSendStream[tuple[ChunkResult, bool]], item: tuple[ChunkResult, bool]
) -> None:
    with contextlib.suppress(anyio.BrokenResourceError):  # the consumer stopped iterating
        results.send_nowait(item)


@asynccontextmanager
async def _closing(chunker: Chunker[Any]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):
            await chunker.aclose()


def _settled(chunk: Chunk[Any]) -> ChunkResult:
    """A chunk's result before sending: its invalid and already-accepted (skipped) items."""
    return ChunkResult(
        chunk.number,
        accepted=list(chunk.skipped),
        errors=list(chunk.invalid),
        skipped=len(chunk.skipped),
    )


def _reject(
    result: ChunkResult,
    entries: list[Entry[Any]],
    per_item: dict[int, dict[str, list[str]]],
    chunk_level: dict[str, list[str]],
    *,
    accept_others: bool = False,
) -> None:
    """Items named in `per_item` (or all, if there are chunk-level errors) are rejected."""
    for position, entry in enumerate(entries):
        errors = per_item.get(position)
        if errors is None and chunk_level and accept_others:
            errors = chunk_level
        elif errors is not None and chunk_level:
            errors = {**errors, **chunk_level}
        if errors:
            result.errors.append(
                ItemError(entry.index, entry.identifier, "rejected", describe(errors), errors)
            )
        elif accept_others:
            result.accepted.append((entry.index, entry.identifier))


def _fail(
    result: ChunkResult,
    entries: list[Entry[Any]],
    status: ItemState,
    message: str,
    errors: dict[str, list[str]] | None = None,
) -> None:
    for entry in entries:
        result.errors.append(
            ItemError(entry.index, entry.identifier, status, message, errors or {})
        )
