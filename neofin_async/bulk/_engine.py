"""The bulk engine: pull chunks from the input, send them concurrently, fold every answer."""

from __future__ import annotations

import asyncio
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
)
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
import sniffio
from anyio.streams.memory import MemoryObjectSendStream

from .._constants import MAX_BATCH_SIZE, MAX_ITEM_MESSAGE_LENGTH
from .._errormap import describe
from .._exceptions import APIConnectionError, AuthenticationError
from .._retry import RetryEvent
from ._answer import Answer
from ._chunker import Chunk, Chunker, Entry, Journaled, KeyOf, Prepare
from ._journal import JournalRecord, JournalScope, JournalStore, open_journal
from ._options import BulkOptions
from ._result import BulkResult, ChunkResult, ItemError, ItemState, Progress

T = TypeVar("T")

Send = Callable[[list[T], Callable[[RetryEvent], None]], Awaitable[Answer]]
"""Send one chunk and say what became of each item. May raise: an `AuthenticationError`
fails the chunk and stops the run, any other exception fails the chunk."""

_Emitted = tuple[ChunkResult, bool, list[JournalRecord]]
"""A chunk's result, whether it holds a slot, and what to journal of it."""


@dataclass(frozen=True, slots=True)
class ChunkRetry:
    """Passed to `on_retry` before a chunk's request is retried."""

    chunk: int
    attempt: int
    max_retries: int
    wait: float
    error: BaseException


class BulkEngine(Generic[T]):
    """Send any number of items through an endpoint that takes at most `max_chunk_size` per
    request, with the settings of `options`.

    Pull-based: a chunk is taken from the input only when one of `concurrency` slots is free
    (a slot is held until the chunk's result is consumed), so memory stays flat whatever the
    input length. Every item ends in exactly one state of `ItemState`. `send` says what
    became of a chunk's items (an `Answer`); `prepare` validates an input item; `key` gives an
    item's upsert key and `content` the bytes it is sent as (hashed by a journal). `scope`
    names where a journal records this run's items.
    """

    def __init__(
        self,
        send: Send[T],
        prepare: Prepare[T],
        *,
        key: KeyOf = lambda item: None,
        content: Callable[[T], bytes] | None = None,
        options: BulkOptions | None = None,
        max_chunk_size: int = MAX_BATCH_SIZE,
        scope: JournalScope | None = None,
        key_field: str = "key",
    ) -> None:
        self.options = options = options or BulkOptions()
        self.chunk_size = options.chunk_size or max_chunk_size
        if not 1 <= self.chunk_size <= max_chunk_size:
            raise ValueError(
                f"chunk_size must be between 1 and {max_chunk_size}, got {self.chunk_size}"
            )
        if options.journal is not None and (scope is None or content is None):
            raise ValueError("a journal needs the engine's scope and content")
        self._send = send
        self._prepare = prepare
        self._key = key
        self._content = content
        self._scope = scope
        self._key_field = key_field

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
    """Async iterator of `ChunkResult`s; `result` folds them as they pass. A journal the
    run opened is closed when the stream ends or is closed."""

    def __init__(self, run: _Run[Any]) -> None:
        self._run = run
        self._results = run.results()
        self._started: float | None = None
        self._library = ""
        """The event loop's library (sniffio's name), told to sniffio while a chunk is awaited:
        under `asyncio.run()` nothing tells it, and each anyio and httpcore call found out
        again (3% of a run on aiohttp)."""
        self.result = BulkResult()

    async def __anext__(self) -> ChunkResult:
        self._library = self._library or sniffio.current_async_library()
        known = sniffio.current_async_library_cvar.set(self._library)
        try:
            return await self._next()
        finally:
            sniffio.current_async_library_cvar.reset(known)

    async def _next(self) -> ChunkResult:
        if self._started is None:
            self._started = time.perf_counter()
        try:
            chunk, records = await self._results.__anext__()
        except BaseException:
            await self._run.close_journal()
            raise
        finally:
            self.result.elapsed = time.perf_counter() - self._started
            self.result.stopped_by = self._run.stopped_by
            self.result.input_unread = self._run.input_unread
        self.result.add(chunk)
        await self._run.journal_chunk(records)
        on_progress = self._run.engine.options.on_progress
        if on_progress is not None:
            r = self.result
            counts = dataclasses.replace(r.counts)  # a snapshot: later chunks must not change it
            on_progress(Progress(counts, r.requests, r.retries, r.elapsed, r.unchanged))
        return chunk

    def stop(self, reason: BaseException | str, *, grace: float = 0.0) -> None:
        """Stop the run: no new chunk starts, chunks in flight get `grace` seconds to answer
        (then fail as "outcome unknown"), and the rest of the input is counted `not_sent`.
        Call it from the event loop (a signal handler added with `loop.add_signal_handler`)."""
        cause = reason if isinstance(reason, BaseException) else _Stopped(reason)
        self._run.stop(cause, grace=grace)

    async def aclose(self) -> None:
        """Stop the run (nothing more is sent) and release what it holds."""
        try:
            await self._results.aclose()
        finally:
            await self._run.close_journal()

    async def __aenter__(self) -> BulkStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _Stopped(Exception):
    """The reason given to `BulkStream.stop()`."""


class _Run(Generic[T]):
    """The state of one run: in-flight chunks, their cancel scopes, the stop cause."""

    def __init__(self, engine: BulkEngine[T], items: Iterable[Any] | AsyncIterable[Any]) -> None:
        self.engine = engine
        options = engine.options
        self.journal: JournalStore | None = None
        self.owns_journal = False
        journaled = None
        if options.journal is not None:
            assert engine._scope is not None and engine._content is not None
            self.journal, self.owns_journal = open_journal(options.journal)
            journaled = Journaled(self.journal, engine._scope, engine._content)
        self.chunker = Chunker(
            items,
            engine._prepare,
            size=engine.chunk_size,
            key=engine._key,
            key_field=engine._key_field,
            detect_duplicates=options.detect_duplicates,
            journal=journaled,
        )
        self.in_flight: dict[int, Chunk[T]] = {}
        self.scopes: dict[int, anyio.CancelScope] = {}
        self.slot_wait: anyio.CancelScope | None = None
        self.stopped_by: BaseException | None = None
        self.input_error: Exception | None = None
        self.input_unread = False
        self.connection_failures = 0

    async def results(self) -> AsyncGenerator[tuple[ChunkResult, list[JournalRecord]], None]:
        send, receive = anyio.create_memory_object_stream[_Emitted](math.inf)
        slots = anyio.Semaphore(self.engine.options.concurrency)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._dispatch, slots, send)
            try:
                async for result, held_slot, records in receive:
                    if held_slot:
                        slots.release()
                    yield result, records
            except GeneratorExit:  # closed early: a task group must not see GeneratorExit
                return
            finally:  # stop everything before closing the stream
                tg.cancel_scope.cancel()
                receive.close()
        if self.input_error is not None:
            raise self.input_error

    def stop(self, cause: BaseException, *, grace: float = 0.0) -> None:
        """Stop dispatching; in-flight chunks are cancelled after `grace` seconds."""
        if self.stopped_by is None:
            self.stopped_by = cause
        if self.slot_wait is not None:
            self.slot_wait.cancel()
        deadline = _now() + grace
        for scope in self.scopes.values():
            scope.deadline = min(scope.deadline, deadline)

    async def journal_chunk(self, records: list[JournalRecord]) -> None:
        if self.journal is not None and records:
            assert self.engine._scope is not None
            await self.journal.record(self.engine._scope, records)

    async def close_journal(self) -> None:
        journal, self.journal = self.journal, None
        if journal is not None and self.owns_journal:
            with anyio.CancelScope(shield=True):
                await journal.aclose()

    async def _dispatch(
        self, slots: anyio.Semaphore, results: MemoryObjectSendStream[_Emitted]
    ) -> None:
        options = self.engine.options
        deadline = math.inf if options.deadline is None else options.deadline
        deadline += anyio.current_time()
        async with results:
            async with anyio.create_task_group() as senders:
                while self.stopped_by is None:
                    if not await self._take_slot(slots, deadline):
                        if self.stopped_by is None:
                            self.stopped_by = TimeoutError(
                                f"deadline of {options.deadline}s reached"
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
                    if not chunk.entries or self.stopped_by is not None:
                        _emit(results, (self._leftover(chunk), True, chunk.resourced))
                        continue
                    self.in_flight[chunk.number] = chunk
                    senders.start_soon(self._send_chunk, chunk, results)
            # Every sender has ended: what is still in flight was cancelled before its answer.
            for chunk in self.in_flight.values():
                _emit(results, (self._leftover(chunk), False, _failed_records(chunk)))
            if self.stopped_by is not None:
                filling = self.chunker.take_filling()
                if filling is not None:
                    _emit(results, (self._leftover(filling), False, filling.resourced))
                reason = f"not sent: the run stopped ({self.stopped_by})"
                ranges, self.input_unread = await self.chunker.drain(reason, options.drain_limit)
                _emit(results, (ChunkResult(-1, not_sent=ranges), False, []))

    async def _take_slot(self, slots: anyio.Semaphore, deadline: float) -> bool:
        """Take a free slot, waiting for one until `deadline`; False if stopped or too late.
        A free slot is taken without a cancel scope, but with its checkpoint: without it the
        dispatcher starts chunks in bursts, which cost httpx's pool half as much again."""
        if slots.value and (deadline == math.inf or anyio.current_time() < deadline):
            slots.acquire_nowait()
            await anyio.lowlevel.checkpoint()
            return True
        with anyio.CancelScope(deadline=deadline) as self.slot_wait:
            await slots.acquire()
        return not self.slot_wait.cancel_called

    def _leftover(self, chunk: Chunk[T]) -> ChunkResult:
        """A chunk the run will not send (stopped), or stopped waiting for (in flight)."""
        result = _settled(chunk)
        in_flight = chunk.number in self.in_flight
        reason = (
            f"the run stopped ({self.stopped_by}) while this chunk was in flight: the API may "
            "or may not hold these items (an upsert is safe to send again)"
            if in_flight
            else f"not sent: the run stopped ({self.stopped_by})"
        )
        state: ItemState = "failed" if in_flight else "not_sent"
        result.errors += [ItemError(e.index, e.key, state, reason) for e in chunk.entries]
        return result

    async def _send_chunk(self, chunk: Chunk[T], results: MemoryObjectSendStream[_Emitted]) -> None:
        with anyio.CancelScope() as scope:
            self.scopes[chunk.number] = scope
            if self.stopped_by is not None:
                scope.cancel()
            try:
                result, records, stop = await self._deliver(chunk)
            finally:
                del self.scopes[chunk.number]
        if scope.cancelled_caught:
            return  # left in `in_flight`: reported by the dispatcher
        del self.in_flight[chunk.number]
        _emit(results, (result, True, records))
        if stop is not None and self.stopped_by is None:
            self.stop(stop)

    async def _deliver(
        self, chunk: Chunk[T]
    ) -> tuple[ChunkResult, list[JournalRecord], BaseException | None]:
        """Send a chunk; its result, what to journal, and why the run must stop (if so)."""
        result = _settled(chunk)
        entries = chunk.entries
        on_retry = self.engine.options.on_retry

        def retried(event: RetryEvent) -> None:
            result.requests += 1
            result.retries += 1
            if on_retry is not None:
                on_retry(
                    ChunkRetry(
                        chunk.number, event.attempt, event.max_retries, event.wait, event.error
                    )
                )

        if self.journal is not None:
            await self._forget_replaced(entries)
        try:
            answer = await self.engine._send([entry.item for entry in entries], retried)
        except AuthenticationError as exc:
            answer = Answer(failed=dict.fromkeys(range(len(entries)), exc), stop=exc)
        except Exception as exc:
            answer = Answer(failed=dict.fromkeys(range(len(entries)), exc))
        result.requests += answer.requests
        result.request_id = answer.request_id
        if answer.rejected or answer.failed or self.journal is not None:
            records = chunk.resourced + self._fold(answer, entries, result)
        else:  # the usual answer: every item accepted, nothing to journal
            result.accepted += [(entry.index, entry.key) for entry in entries]
            records = []
        return result, records, answer.stop or self._unreachable(answer, len(entries))

    def _fold(
        self, answer: Answer, entries: list[Entry[T]], result: ChunkResult
    ) -> list[JournalRecord]:
        """Each item's state from the answer, into `result`; what to journal of them."""
        records: list[JournalRecord] = []
        journaled = self.journal is not None
        for position, entry in enumerate(entries):
            errors = answer.rejected.get(position)
            failure = answer.failed.get(position)
            state: ItemState = "accepted"
            message = ""
            if errors is not None:
                state, message = "rejected", _capped(describe(errors))
                result.errors.append(ItemError(entry.index, entry.key, state, message, errors))
            elif failure is not None:
                state, message = "failed", _capped(str(failure) or type(failure).__name__)
                result.errors.append(ItemError(entry.index, entry.key, state, message))
            else:
                result.accepted.append((entry.index, entry.key))
            if journaled and entry.key is not None:
                records.append(_record(entry, state, message))
        return records

    async def _forget_replaced(self, entries: list[Entry[T]]) -> None:
        """Before a changed item goes out, the journal forgets what was accepted for its key:
        if the run dies between the answer and its record, the server may hold the new
        content, and a later run sending the old content again must not skip it."""
        replaced = [
            JournalRecord(e.key, "failed", message=_IN_FLIGHT)
            for e in entries
            if e.previous is not None and e.key is not None
        ]
        if replaced:
            await self.journal_chunk(replaced)

    def _unreachable(self, answer: Answer, size: int) -> APIConnectionError | None:
        """A stop cause once `max_connection_failures` chunks in a row failed to reach the
        API (every item a connection error or timeout after all retries)."""
        failures = list(answer.failed.values())
        if not (len(failures) == size and all(isinstance(f, APIConnectionError) for f in failures)):
            self.connection_failures = 0
            return None
        self.connection_failures += 1
        limit = self.engine.options.max_connection_failures
        if limit is None or self.connection_failures < limit:
            return None
        return APIConnectionError(
            f"the API could not be reached: {self.connection_failures} chunks in a row failed "
            f"without an answer (last: {failures[-1]})"
        )


_IN_FLIGHT = "sent: waiting for the answer"


def _now() -> float:
    """anyio's clock, also in a loop callback such as a signal handler: there, with sniffio
    installed, anyio cannot tell which event loop runs (no current task) and raises."""
    try:
        return anyio.current_time()
    except RuntimeError:
        return asyncio.get_running_loop().time()  # what anyio's asyncio clock reads


def _capped(message: str) -> str:
    if len(message) <= MAX_ITEM_MESSAGE_LENGTH:
        return message
    return message[: MAX_ITEM_MESSAGE_LENGTH - 3] + "..."


def _record(entry: Entry[Any], state: ItemState, message: str) -> JournalRecord:
    """What to journal of a sent item: its content once accepted; for a rejected change, the
    content accepted before (forgotten while the item was in flight, restored now)."""
    assert entry.key is not None
    held = entry if state == "accepted" else entry.previous if state == "rejected" else None
    content, source = (held.content, held.source) if held is not None else (None, None)
    return JournalRecord(entry.key, state, content, source, message)


def _failed_records(chunk: Chunk[Any]) -> list[JournalRecord]:
    """A chunk cancelled in flight: its items' outcome is unknown, so a journal forgets them
    (and keeps the new digests of its unchanged items)."""
    failed = [JournalRecord(e.key, "failed") for e in chunk.entries if e.key is not None]
    return chunk.resourced + failed


def _emit(results: MemoryObjectSendStream[_Emitted], item: _Emitted) -> None:
    with contextlib.suppress(anyio.BrokenResourceError):  # the consumer stopped iterating
        results.send_nowait(item)


def _settled(chunk: Chunk[Any]) -> ChunkResult:
    """A chunk's result before sending: its invalid and unchanged (journal) items."""
    return ChunkResult(
        chunk.number,
        accepted=list(chunk.unchanged),
        errors=list(chunk.invalid),
        unchanged=len(chunk.unchanged),
    )
