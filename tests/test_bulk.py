"""The bulk engine's promises (design.md section 3), against an instrumented fake transport."""

from __future__ import annotations

import asyncio
import json
import operator
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from conftest import Ticks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neofin_async as nf
from neofin_async.bulk import Answer, BulkEngine, BulkResult, ChunkResult, Journal, Progress

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]
DOC = "51491769000190"


async def no_sleep(_: float) -> None:
    await anyio.lowlevel.checkpoint()


def billing(i: int, **overrides: Any) -> dict[str, Any]:
    item = {
        "integration_identifier": f"b{i}",
        "customer_document": DOC,
        "amount": 1000 + i,
        "due_date": 1_700_000_000,
        "installment_type": "monthly",
        "installments": 1,
        "type": "boleto",
    }
    return item | overrides


def invalid(i: int) -> dict[str, Any]:
    return billing(i, amount=-5)


def client_for(handler: Handler, **options: Any) -> nf.NeofinClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    policy = nf.RetryPolicy(sleep=no_sleep, max_retries=options.pop("max_retries", 2))
    return nf.NeofinClient(
        "key-123", "secret-456", http_client=http, retry_policy=policy, **options
    )


def ids_of(request: httpx.Request) -> list[str]:
    return [b["integration_identifier"] for b in json.loads(request.content)["billings"]]


async def queued(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, json={"message": "Billings successfully queued.", "errors": {}})


def assert_accounted(result: BulkResult, n: int) -> None:
    assert result.total == n
    states = [result.accepted, result.rejected, result.invalid, result.failed, result.not_sent]
    assert sum(states) == n
    assert len(result.errors) == n - result.accepted
    assert len({e.index for e in result.errors}) == len(result.errors)


# -- basics ---------------------------------------------------------------------------------


async def test_empty_input() -> None:
    async with client_for(queued) as client:
        result = await client.billings.bulk_upsert([])
    assert result.total == 0 and result.ok and result.requests == 0
    result.raise_for_errors()


async def test_single_item() -> None:
    seen: list[list[str]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(ids_of(request))
        return await queued(request)

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert([billing(0)])
    assert result.ok and result.accepted == 1 and result.requests == 1
    assert seen == [["b0"]]


async def test_chunks_hold_only_valid_items_and_invalid_are_never_sent() -> None:
    bodies: list[list[str]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(ids_of(request))
        return await queued(request)

    items = [invalid(i) if i % 3 == 0 else billing(i) for i in range(150)]
    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert(items, concurrency=1)
    assert [len(b) for b in bodies] == [50, 50]
    sent = {i for body in bodies for i in body}
    assert all(f"b{i}" not in sent for i in range(0, 150, 3))
    assert result.invalid == 50 and result.accepted == 100
    bad = next(e for e in result.errors if e.index == 3)
    assert bad.status == "invalid" and bad.integration_identifier == "b3"
    assert "amount" in bad.errors and "item 3" in bad.message


async def test_chunk_size_above_fifty_is_refused() -> None:
    async with client_for(queued) as client:
        with pytest.raises(ValueError, match="chunk_size"):
            await client.billings.bulk_upsert([billing(0)], chunk_size=51)


async def test_async_iterable_input_and_customers() -> None:
    async def customers() -> AsyncIterator[dict[str, Any]]:
        for i in range(120):
            await anyio.lowlevel.checkpoint()
            yield {"document": DOC, "integration_identifier": f"c{i}", "name": f"C {i}"}

    paths: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return await queued(request)

    async with client_for(handler) as client:
        result = await client.customers.bulk_upsert(customers())
    assert result.accepted == 120 and set(paths) == {"/customer/"} and len(paths) == 3


# -- error maps -----------------------------------------------------------------------------


async def test_error_map_of_a_202_rejects_named_items_by_input_index() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        ids = ids_of(request)
        errors = {f"amount[{ids.index('b7')}]": ["Invalid value."]} if "b7" in ids else {}
        return httpx.Response(
            202, json={"message": "Billings successfully queued.", "errors": errors}
        )

    items = [invalid(0), *[billing(i) for i in range(1, 60)]]
    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert(items, concurrency=1)
    rejected = [e for e in result.errors if e.status == "rejected"]
    assert [(e.index, e.integration_identifier) for e in rejected] == [(7, "b7")]
    assert rejected[0].errors == {"amount": ["Invalid value."]}
    assert rejected[0].message == "amount: Invalid value."
    assert result.accepted == 58


async def test_a_400_rejects_only_named_items_and_resends_the_rest() -> None:
    bodies: list[list[str]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        ids = ids_of(request)
        bodies.append(ids)
        if "b1" in ids:
            errors = {
                f"installment_type[{ids.index('b1')}]": ["Field not found."],
                f"type[{ids.index('b3')}]": ["Invalid."],
            }
            return httpx.Response(400, json={"message": "", "errors": errors})
        return await queued(request)

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert([billing(i) for i in range(5)])
    assert bodies == [["b0", "b1", "b2", "b3", "b4"], ["b0", "b2", "b4"]]
    assert result.accepted == 3 and result.rejected == 2 and result.requests == 2
    by_index = {e.index: e for e in result.errors}
    assert by_index[1].errors == {"installment_type": ["Field not found."]}
    assert by_index[3].status == "rejected"


async def test_out_of_range_and_unindexed_keys_apply_to_the_whole_chunk() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        errors = {"amount[99]": ["out of range"], "billings": ["something"]}
        return httpx.Response(202, json={"message": "queued", "errors": errors})

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert([billing(i) for i in range(3)])
    assert result.rejected == 3
    assert all(
        e.errors == {"amount[99]": ["out of range"], "billings": ["something"]}
        for e in result.errors
    )


async def test_a_400_without_item_keys_fails_the_chunk_without_looping() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(400, json={"message": "Bad body", "errors": {}})

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert([billing(i) for i in range(4)])
    assert calls == 1 and result.failed == 4
    assert "Bad body" in result.errors[0].message


# -- retries, failures, stopping ------------------------------------------------------------


async def test_5xx_is_retried_and_a_chunk_that_keeps_failing_is_failed() -> None:
    attempts: dict[str, int] = {}
    retries: list[nf.bulk.ChunkRetry] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        first = ids_of(request)[0]
        attempts[first] = attempts.get(first, 0) + 1
        if first == "b0":
            return httpx.Response(503, json={"message": "down"})
        if attempts[first] == 1:
            return httpx.Response(500)
        return await queued(request)

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert(
            [billing(i) for i in range(100)], on_retry=retries.append
        )
    assert attempts == {"b0": 3, "b50": 2}
    assert result.failed == 50 and result.accepted == 50
    assert result.requests == 5 and result.retries == 3
    assert "503" in result.errors[0].message and "down" in result.errors[0].message
    assert sorted((r.chunk, r.attempt) for r in retries) == [(0, 1), (0, 2), (1, 1)]


async def test_403_stops_the_run_and_the_rest_is_not_sent() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(403, json={"message": "Invalid API Keys", "errors": {}})

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert((billing(i) for i in range(1000)), concurrency=1)
    assert calls == 1
    assert result.failed == 50 and result.not_sent == 950
    assert_accounted(result, 1000)
    assert isinstance(result.stopped_by, nf.AuthenticationError)
    with pytest.raises(nf.AuthenticationError):
        result.raise_for_errors()


async def test_403_cancels_chunks_in_flight() -> None:
    release = anyio.Event()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if ids_of(request)[0] == "b0":
            await anyio.sleep(0.01)
            return httpx.Response(403, json={"message": "Invalid API Keys"})
        await release.wait()  # the others hang until cancelled
        return await queued(request)

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert([billing(i) for i in range(400)], concurrency=4)
    assert calls == 4
    # the 403's chunk and the three cancelled in flight (their outcome is unknown) failed
    assert result.failed == 200 and result.not_sent == 200
    assert {e.status for e in result.errors if e.index >= 200} == {"not_sent"}
    assert_accounted(result, 400)


async def test_deadline_leaves_the_rest_not_sent() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)
        return await queued(request)

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert(
            [billing(i) for i in range(1000)], concurrency=1, deadline=0.12
        )
    assert_accounted(result, 1000)
    assert 50 <= result.accepted <= 150 and result.not_sent == 1000 - result.accepted
    assert isinstance(result.stopped_by, TimeoutError)
    assert {e.status for e in result.errors} == {"not_sent"}


async def test_deadline_stops_a_run_whose_slots_are_free() -> None:
    """A slow input, a fast API: every slot is free when the deadline passes."""

    async def slow_input() -> AsyncIterator[dict[str, Any]]:
        for i in range(1000):
            await anyio.sleep(0.002)
            yield billing(i)

    async with client_for(queued) as client:
        result = await client.billings.bulk_upsert(
            slow_input(), concurrency=8, chunk_size=5, deadline=0.1, drain_limit=20
        )
    assert isinstance(result.stopped_by, TimeoutError)
    assert 5 <= result.accepted < 500 and result.input_unread
    assert {e.status for e in result.errors} == {"not_sent"}
    assert_accounted(result, result.accepted + result.not_sent)


async def invalid_items(count: int) -> AsyncIterator[dict[str, Any]]:
    for i in range(count):
        yield invalid(i)  # an async input that never suspends on its own


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_long_run_of_invalid_items_lets_other_tasks_run(kind: str) -> None:
    """Filling a chunk past thousands of refused items yields to the loop as it reads."""
    items = [invalid(i) for i in range(20_000)] if kind == "sync" else invalid_items(20_000)
    ticks = Ticks()
    async with client_for(queued) as client, anyio.create_task_group() as tg:
        tg.start_soon(ticks.run)
        result = await client.billings.bulk_upsert(items)
        tg.cancel_scope.cancel()
    assert result.invalid == 20_000
    assert ticks.count >= 100  # a checkpoint per chunk's worth read (about 400); without, 4


async def test_cancellation_leaves_no_task_behind() -> None:
    started = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep(3600)
        raise AssertionError("unreachable")

    before = len(asyncio.all_tasks())
    async with client_for(handler) as client:
        with anyio.move_on_after(5) as outer:
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.billings.bulk_upsert, (billing(i) for i in range(10_000)))
                await started.wait()
                tg.cancel_scope.cancel()
        assert not outer.cancelled_caught
    await anyio.lowlevel.checkpoint()
    assert len(asyncio.all_tasks()) == before


async def test_stream_results_stay_valid_after_breaking_out() -> None:
    async with client_for(queued) as client:
        seen: list[ChunkResult] = []
        async with client.billings.stream_upsert(billing(i) for i in range(500)) as stream:
            async for chunk in stream:
                seen.append(chunk)
                if len(seen) == 2:
                    break
    assert len(seen) == 2
    assert all(len(c.accepted) == 50 and not c.errors for c in seen)
    assert stream.result.accepted == 100


async def test_input_errors_propagate_after_sending_what_was_read() -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield from (billing(i) for i in range(60))
        raise RuntimeError("database went away")

    async with client_for(queued) as client:
        with pytest.raises(RuntimeError, match="database went away"):
            await client.billings.bulk_upsert(broken(), concurrency=1)


async def test_duplicate_detection() -> None:
    items = [billing(0), billing(1), billing(0, amount=5)]
    async with client_for(queued) as client:
        off = await client.billings.bulk_upsert(items)
        on = await client.billings.bulk_upsert(items, detect_duplicates=True)
    assert off.accepted == 3
    assert on.accepted == 2 and on.invalid == 1
    duplicate = on.errors[0]
    assert (duplicate.index, duplicate.duplicate_of) == (2, 0)
    assert "the same as item 0" in duplicate.message


@pytest.mark.parametrize("expected", [None, 100_000, 10])
def test_seen_keys_grows_to_what_the_input_expects_once(expected: int | None) -> None:
    from neofin_async.bulk._seen import SeenKeys

    asked = []

    def hint() -> int:
        asked.append(expected)
        return expected or 0

    seen = SeenKeys(expected=hint if expected is not None else None)
    keys = [f"K{i}" for i in range(6000)]
    assert [seen.first(key, i) for i, key in enumerate(keys)] == list(range(6000))
    assert [seen.first(key, 10_000 + i) for i, key in enumerate(keys)] == list(range(6000))
    assert len(seen) == 6000 and len(asked) == (expected is not None)
    table = seen.nbytes // 16  # slots, at most two thirds full
    assert table == {None: 16_384, 100_000: 262_144, 10: 16_384}[expected]


def test_a_file_tells_the_engine_how_many_records_it_holds(tmp_path: Path) -> None:
    from neofin_async.exports import ReadOptions, Records, fields_of

    path = tmp_path / "export.csv"
    path.write_text("integration_identifier\n" + "".join(f"ID-{i:05d}\n" for i in range(20_000)))
    records = Records(ReadOptions(path=str(path)), fields_of("billings", "neofin"))
    items = records.for_engine(digests=False)
    assert isinstance(items, Iterable)
    rows = iter(items)
    for _ in range(1000):
        next(rows)
    assert 19_000 <= operator.length_hint(items) <= 21_000
    assert sum(1 for _ in rows) == 19_000 and operator.length_hint(items) == 20_000


# -- bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_concurrency_and_pull_bounds(concurrency: int) -> None:
    in_flight = max_in_flight = 0
    pulled = 0
    done = 0
    worst_lead = 0

    full = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, max_in_flight
        in_flight += 1
        max_in_flight = max(max_in_flight, in_flight)
        if in_flight == concurrency:
            full.set()
        with anyio.move_on_after(2):  # the first requests wait until every slot is in use
            await full.wait()
        await anyio.lowlevel.checkpoint()
        in_flight -= 1
        return await queued(request)

    def source() -> Iterator[dict[str, Any]]:
        nonlocal pulled, worst_lead
        for i in range(3000):
            pulled += 1
            worst_lead = max(worst_lead, pulled - done)
            yield billing(i)

    def progress(p: Progress) -> None:
        nonlocal done
        done = p.done

    async with client_for(handler) as client:
        result = await client.billings.bulk_upsert(
            source(), concurrency=concurrency, on_progress=progress
        )
    assert result.accepted == 3000
    assert full.is_set() and max_in_flight == concurrency
    # Items read from the input but not yet reported: at most the chunks holding a slot,
    # plus the one being filled.
    assert worst_lead <= (concurrency + 1) * 50


async def test_progress_reports_counts_per_state() -> None:
    reports: list[Progress] = []
    items = [invalid(i) if i % 10 == 0 else billing(i) for i in range(200)]
    async with client_for(queued) as client:
        await client.billings.bulk_upsert(items, concurrency=2, on_progress=reports.append)
    assert reports[-1].counts.as_dict() == {
        "accepted": 180,
        "rejected": 0,
        "invalid": 20,
        "failed": 0,
        "not_sent": 0,
        "total": 200,
    }
    done = [r.done for r in reports]
    assert done == sorted(done) and len(set(done)) == len(reports)  # snapshots, growing


async def test_hundred_thousand_billings() -> None:
    async with client_for(queued) as client:
        result = await client.billings.bulk_upsert(
            (billing(i) for i in range(100_000)), concurrency=16
        )
    assert result.ok and result.accepted == 100_000 and result.requests == 2000


# -- journal and confirm --------------------------------------------------------------------


async def test_journal_resumes_without_resending_accepted_items(tmp_path: Path) -> None:
    sent: list[str] = []
    fail_after = 3

    async def handler(request: httpx.Request) -> httpx.Response:
        if len(sent) >= fail_after * 50 and fail_after:
            return httpx.Response(403, json={"message": "Invalid API Keys"})
        sent.extend(ids_of(request))
        return await queued(request)

    journal = tmp_path / "run.sqlite"
    items = [billing(i) for i in range(400)]
    async with client_for(handler) as client:
        first = await client.billings.bulk_upsert(items, concurrency=1, journal=journal)
        assert first.accepted == 150 and first.not_sent + first.failed == 250
        first_sent = set(sent)
        fail_after = 0
        second = await client.billings.bulk_upsert(items, concurrency=1, journal=journal)
    assert second.ok and second.total == 400 and second.skipped == 150
    resent = sent[len(first_sent) :]
    assert not first_sent & set(resent) and len(resent) == 250
    with Journal(journal) as j:
        assert j.counts() == {"accepted": 400}


async def test_confirm_polls_until_available() -> None:
    reads: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        ident = request.url.path.rsplit("/", 1)[-1]
        reads[ident] = reads.get(ident, 0) + 1
        if ident == "never" or reads[ident] < 3:
            return httpx.Response(404, json={"message": "Billing not found.", "errors": {}})
        return httpx.Response(200, json={"integration_identifier": ident, "status": "pending"})

    async with client_for(handler) as client:
        result = await client.billings.confirm(["a", "b", "never"], timeout=0.2, interval=0.01)
    assert sorted(result.available) == ["a", "b"] and result.missing == ["never"]
    assert not result.ok and result.rounds >= 3


async def test_bulk_engine_works_on_its_own() -> None:
    async def send(items: list[int], on_retry: Any) -> Answer:
        return Answer(rejected={i: {"value": ["odd"]} for i, v in enumerate(items) if v % 2})

    options = nf.BulkOptions(chunk_size=7, concurrency=2)
    engine = BulkEngine(send, lambda item, index: int(item), options=options)
    result = await engine.run(range(100))
    assert result.accepted == 50 and result.rejected == 50
    assert {e.index for e in result.errors} == set(range(1, 100, 2))


async def test_a_run_tells_sniffio_its_event_loop_and_leaves_the_caller_as_it_was() -> None:
    """Under `asyncio.run()` nothing tells sniffio which library runs, so every anyio and
    httpcore call sniffed for it; a run tells it, for its own tasks only."""
    import sniffio

    told: list[str | None] = []

    async def send(items: list[int], on_retry: Any) -> Answer:
        told.append(sniffio.current_async_library_cvar.get())
        return Answer()

    assert sniffio.current_async_library_cvar.get() is None
    result = await BulkEngine(send, lambda item, index: item).run(range(120))
    assert result.accepted == 120 and told == ["asyncio"] * 3
    assert sniffio.current_async_library_cvar.get() is None


async def test_report_is_json() -> None:
    async with client_for(queued) as client:
        result = await client.billings.bulk_upsert([billing(0), invalid(1)])
    report = json.loads(json.dumps(result.to_dict()))
    assert report["total"] == 2 and report["invalid"] == 1 and not report["ok"]
    assert report["errors"][0]["index"] == 1
    with pytest.raises(nf.bulk.BulkError, match="1 of 2 items not accepted"):
        result.raise_for_errors()


# -- property: every item in exactly one state, whatever the server does -------------------

BEHAVIOURS = ["ok", "item_errors", "bad_request", "5xx", "timeout", "drop", "429", "403"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(st.booleans(), min_size=0, max_size=180),
    weights=st.lists(st.integers(0, 5), min_size=len(BEHAVIOURS), max_size=len(BEHAVIOURS)),
    seed=st.integers(0, 2**32),
    use_async=st.booleans(),
    concurrency=st.integers(1, 6),
    chunk_size=st.integers(1, 50),
)
def test_every_item_ends_in_exactly_one_state(
    kinds: list[bool],
    weights: list[int],
    seed: int,
    use_async: bool,
    concurrency: int,
    chunk_size: int,
) -> None:
    if not any(weights):
        weights = [1, *weights[1:]]
    attempts: dict[str, int] = {}
    accepted_by_server: set[str] = set()

    async def handler(request: httpx.Request) -> httpx.Response:
        ids = ids_of(request)
        key = ",".join(ids)
        attempts[key] = attempts.get(key, 0) + 1
        rng = random.Random(f"{seed}:{key}:{attempts[key]}")
        kind = rng.choices(BEHAVIOURS, weights)[0]
        await anyio.lowlevel.checkpoint()
        named = {f"amount[{i}]": ["bad"] for i in range(len(ids)) if rng.random() < 0.3}
        if kind == "ok" or (kind == "item_errors" and not named):
            accepted_by_server.update(ids)
            return httpx.Response(202, json={"message": "queued", "errors": {}})
        if kind == "item_errors":
            named_ids = {ids[int(k[7:-1])] for k in named}
            accepted_by_server.update(set(ids) - named_ids)
            return httpx.Response(202, json={"message": "queued", "errors": named})
        if kind == "bad_request":
            return httpx.Response(400, json={"message": "", "errors": named})
        if kind == "5xx":
            return httpx.Response(rng.choice([500, 502, 503, 504]))
        if kind == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if kind == "drop":
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        if kind == "429":
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(403, json={"message": "Invalid API Keys"})

    items = [billing(i) if ok else invalid(i) for i, ok in enumerate(kinds)]

    async def source() -> AsyncIterator[dict[str, Any]]:
        for item in items:
            yield item

    async def scenario() -> tuple[BulkResult, list[ChunkResult]]:
        async with client_for(handler) as client:
            stream = client.billings.stream_upsert(
                source() if use_async else iter(items),
                concurrency=concurrency,
                chunk_size=chunk_size,
            )
            chunks = [chunk async for chunk in stream]
            return stream.result, chunks

    result, chunks = anyio.run(scenario)
    n = len(items)
    assert_accounted(result, n)
    accepted = [index for chunk in chunks for index, _ in chunk.accepted]
    erred = [error.index for error in result.errors]
    assert sorted(accepted + erred) == list(range(n))
    assert {f"b{i}" for i in accepted} <= accepted_by_server
    assert all(not kinds[e.index] for e in result.errors if e.status == "invalid")
    if isinstance(result.stopped_by, nf.AuthenticationError):
        assert result.not_sent + result.failed > 0


async def test_cancellation_over_real_sockets_closes_everything() -> None:
    """Cancelled mid-run against a served emulator: no task left, the pool closes cleanly
    (pytest turns an unclosed-socket ResourceWarning into a failure)."""
    from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator

    emulator = Emulator(latency_ms=300)
    with emulator.serving() as server:
        before = len(asyncio.all_tasks())
        client = nf.NeofinClient(DEFAULT_API_KEY, DEFAULT_SECRET_KEY, base_url=server.base_url)
        with anyio.move_on_after(0.5):
            await client.billings.bulk_upsert((billing(i) for i in range(5_000)), concurrency=4)
        await client.aclose()
        await anyio.lowlevel.checkpoint()
        assert len(asyncio.all_tasks()) == before
        assert emulator.request_counts["POST /billing/"] <= 8
    assert not emulator.errors
