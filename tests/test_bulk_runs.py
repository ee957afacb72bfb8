"""Runs across time: the content-aware journal (nightly re-runs), clean stops (a signal, a dead
host), sourced items, options, and request bodies within the size limit."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from conftest import API_KEY, SECRET_KEY, billing_item
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neofin_async as nf
from neofin_async._constants import MAX_REQUEST_BYTES, MAX_SETTLED
from neofin_async.bulk import Journal, JournalEntry, JournalRecord, JournalScope, Sourced, _journal
from neofin_async.emulator import Emulator


async def no_sleep(_: float) -> None:
    await anyio.lowlevel.checkpoint()


class Recorder:
    """A Neofin stand-in that queues everything and remembers what each request carried."""

    def __init__(self) -> None:
        self.requests: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body.get("billings") or body["customers"])
        return httpx.Response(202, json={"message": "queued", "errors": {}})

    @property
    def sent(self) -> list[str]:
        return [item["integration_identifier"] for batch in self.requests for item in batch]

    def client(self, **options: Any) -> nf.NeofinClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http, **options)


def day(n: int, amounts: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """An export of `n` billings; `amounts` edits some of them."""
    amounts = amounts or {}
    return [
        billing_item(integration_identifier=f"ERP-{i}", amount=amounts.get(i, 1000 + i))
        for i in range(n)
    ]


# -- the content-aware journal -----------------------------------------------------------------


async def test_a_nightly_rerun_sends_only_what_changed(tmp_path: Path) -> None:
    journal = tmp_path / "sync.sqlite"
    server = Recorder()
    async with server.client() as client:
        first = await client.billings.bulk_upsert(day(1000), journal=journal)
        second = await client.billings.bulk_upsert(
            day(1000, {3: 99, 500: 77}) + day(1010)[1000:], journal=journal
        )
    assert first.ok and first.unchanged == 0 and first.requests == 20
    assert second.ok and second.total == 1010 and second.unchanged == 998
    assert server.sent[1000:] == ["ERP-3", "ERP-500", *(f"ERP-{i}" for i in range(1000, 1010))]
    assert [b["amount"] for b in server.requests[-1][:2]] == [99, 77]
    assert second.to_dict()["unchanged"] == 998


async def test_the_journal_remembers_what_was_accepted_not_what_was_sent(tmp_path: Path) -> None:
    """A rejected change leaves the server (and the journal) with the old content: sending
    the old content again is skipped; a failed chunk's items are sent again."""
    journal = tmp_path / "sync.sqlite"
    answers = iter(["queued", "reject-0", "fail", "queued", "queued"])
    sent: list[list[int]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append([b["amount"] for b in json.loads(request.content)["billings"]])
        kind = next(answers)
        if kind == "reject-0":
            return httpx.Response(202, json={"message": "", "errors": {"amount[0]": ["bad"]}})
        if kind == "fail":
            return httpx.Response(500)
        return httpx.Response(202, json={"message": "queued", "errors": {}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http, max_retries=0) as client:
        assert (await client.billings.bulk_upsert(day(2), journal=journal)).ok
        rejected = await client.billings.bulk_upsert(day(2, {0: 5, 1: 6}), journal=journal)
        assert (rejected.rejected, rejected.accepted) == (1, 1)  # item 1 now holds 6
        back = await client.billings.bulk_upsert(day(2, {1: 6}), journal=journal)
        assert back.unchanged == 2 and back.requests == 0  # item 0 was never changed
        failed = await client.billings.bulk_upsert(day(2, {1: 7}), journal=journal)
        assert failed.failed == 1
        again = await client.billings.bulk_upsert(day(2, {1: 6}), journal=journal)
    assert again.unchanged == 1 and sent[-1] == [6]  # the failed 7 may be there: resend 6


async def test_two_files_sharing_a_journal_do_not_disturb_each_other(tmp_path: Path) -> None:
    journal = tmp_path / "shared.sqlite"
    server = Recorder()
    billings = day(100)
    customers = [{"document": "52998224725", "integration_identifier": f"C-{i}"} for i in range(7)]
    async with server.client() as client:
        await client.billings.bulk_upsert(billings[:60], journal=journal)
        await client.customers.bulk_upsert(customers, journal=journal)
        other = await client.billings.bulk_upsert(billings[40:], journal=journal)
        again = await client.customers.bulk_upsert(customers, journal=journal)
    assert (other.unchanged, other.accepted) == (20, 60)
    assert again.unchanged == 7
    with Journal(journal) as j:
        assert j.counts() == {"accepted": 107}
        scope = JournalScope(client.account, "neofin", "customers")
        assert j.counts(scope) == {"accepted": 7}


async def test_another_account_does_not_share_a_journal_scope(tmp_path: Path) -> None:
    journal = tmp_path / "sync.sqlite"
    server = Recorder()
    async with server.client() as client:
        await client.billings.bulk_upsert(day(10), journal=journal)
        other = client.with_options(api_key="another-account-key")
        assert other.account != client.account and API_KEY not in client.account
        result = await other.billings.bulk_upsert(day(10), journal=journal)
        tenant = await other.billings.bulk_upsert(day(10), journal=journal, tenant="acme")
    assert result.unchanged == 0 and tenant.unchanged == 0 and len(server.sent) == 30


async def test_a_first_format_journal_is_migrated_never_misread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db, db:  # 0.1: by input position
        db.execute("CREATE TABLE items (idx INTEGER PRIMARY KEY, identifier TEXT, state TEXT "
                   "NOT NULL, message TEXT NOT NULL DEFAULT '')")  # fmt: skip
        db.executemany("INSERT INTO items VALUES (?, ?, 'accepted', '')", [(0, "ERP-0")])
    server = Recorder()
    async with server.client() as client:
        result = await client.billings.bulk_upsert(day(3), journal=path)
    assert result.unchanged == 0 and server.sent == ["ERP-0", "ERP-1", "ERP-2"]
    assert "older neofin-async" in caplog.text
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT COUNT(*) FROM items_v1").fetchone() == (1,)
        assert db.execute("PRAGMA user_version").fetchone() == (3,)


FORMAT_2 = """
CREATE TABLE items (
    tenant TEXT NOT NULL, provider TEXT NOT NULL, resource TEXT NOT NULL, key TEXT NOT NULL,
    state TEXT NOT NULL, content BLOB, source BLOB, message TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL, PRIMARY KEY (tenant, provider, resource, key)
) WITHOUT ROWID
"""


def as_format_2(path: Path) -> None:
    """Rewrite a journal as neofin-async wrote them before format 3: the scope's three names
    in every row."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("ALTER TABLE items RENAME TO items_v3")
        db.execute(FORMAT_2)
        db.execute(
            "INSERT INTO items SELECT tenant, provider, resource, key, state, content, source, "
            "message, updated_at FROM items_v3 JOIN scopes ON scopes.id = items_v3.scope"
        )
        db.execute("DROP TABLE items_v3")
        db.execute("DROP TABLE scopes")
        db.execute("PRAGMA user_version = 2")


async def test_a_second_format_journal_is_converted_in_place_its_entries_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.sqlite"
    server = Recorder()
    async with server.client() as client:
        await client.billings.bulk_upsert(day(30), journal=path)
        await client.billings.bulk_upsert(day(4, {3: 5}), journal=path, tenant="acme")
        changed = await client.billings.bulk_upsert(day(2, {1: 7}), journal=path, tenant="acme")
        assert changed.accepted == 2
        as_format_2(path)
        sent = len(server.sent)
        again = await client.billings.bulk_upsert(day(30), journal=path)
        acme = await client.billings.bulk_upsert(day(4, {3: 5, 1: 7}), journal=path, tenant="acme")
    assert (again.unchanged, again.requests) == (30, 0)
    assert (acme.unchanged, acme.requests) == (4, 0)  # the last content of each key
    assert len(server.sent) == sent
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "items_v2" not in tables
        assert db.execute("SELECT COUNT(*) FROM scopes").fetchone() == (2,)
    with Journal(path) as j:
        assert j.counts() == {"accepted": 34}
        assert j.counts(JournalScope("acme", "neofin", "billings")) == {"accepted": 4}
        assert j.counts(JournalScope("nobody", "neofin", "billings")) == {}


async def test_a_journal_converted_by_another_process_meanwhile_is_converted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shared.sqlite"
    server = Recorder()
    async with server.client() as client:
        await client.billings.bulk_upsert(day(5), journal=path)
    as_format_2(path)
    real_connect = sqlite3.connect
    raced: list[bool] = []

    class Racing:
        """A connection on which, while it waits for the write lock, another process opens
        the same file (and converts it)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.db = real_connect(*args, **kwargs)

        def execute(self, sql: str, *params: Any) -> sqlite3.Cursor:
            if sql == "BEGIN IMMEDIATE" and not raced:
                raced.append(True)
                Journal(path).close()
            return self.db.execute(sql, *params)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.db, name)

        def __enter__(self) -> sqlite3.Connection:
            return self.db.__enter__()

        def __exit__(self, *exc_info: Any) -> None:
            self.db.__exit__(*exc_info)

    monkeypatch.setattr("neofin_async.bulk._journal.sqlite3.connect", Racing)
    with Journal(path) as j:
        assert raced and j.counts() == {"accepted": 5}
    monkeypatch.undo()
    async with server.client() as client:
        again = await client.billings.bulk_upsert(day(5), journal=path)
    assert (again.unchanged, again.requests) == (5, 0)


def test_a_newer_or_foreign_journal_is_refused_and_left_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    newer = tmp_path / "newer.sqlite"
    with contextlib.closing(sqlite3.connect(newer)) as db:
        db.execute("PRAGMA user_version = 9")
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database at all, just some text " * 100)
    monkeypatch.setattr("neofin_async.bulk._journal.sqlite3.connect", connect)
    with pytest.raises(nf.ConfigurationError, match="format 9, written by a newer"):
        Journal(newer)
    with pytest.raises(nf.ConfigurationError, match="not a neofin-async journal"):
        Journal(foreign)
    with pytest.raises(nf.ConfigurationError, match="cannot be opened"):
        Journal(tmp_path / "missing" / "dir" / "j.sqlite")
    assert len(opened) == 2
    for db in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            db.execute("SELECT 1")


async def test_sourced_items_are_skipped_without_being_loaded(tmp_path: Path) -> None:
    loaded: list[int] = []

    def rows(edit: int | None = None) -> Iterator[Sourced]:
        for i, item in enumerate(day(200, {edit: 1} if edit is not None else None)):

            def load(i: int = i, item: dict[str, Any] = item) -> dict[str, Any]:
                loaded.append(i)
                return item

            digest = f"line {i} amount {item['amount']}".encode()
            yield Sourced(key=item["integration_identifier"], digest=digest, load=load)

    server = Recorder()
    async with server.client() as client:
        await client.billings.bulk_upsert(rows(), journal=tmp_path / "j.sqlite")
        loaded.clear()
        result = await client.billings.bulk_upsert(rows(edit=7), journal=tmp_path / "j.sqlite")
    assert loaded == [7] and result.unchanged == 199 and server.sent[-1] == "ERP-7"


@pytest.mark.parametrize("json_functions", [True, False])
async def test_the_journal_looks_keys_up_with_or_without_sqlite_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, json_functions: bool
) -> None:
    if not json_functions:  # an SQLite built without them: keys bound one by one
        monkeypatch.setattr(_journal, "_has_json", lambda db: False)
    keys = ["ERP-1", 'a "quoted" key', "ação/é", "back\\slash", "tab\tand\nline", "😀", "x" * 300]
    scope = JournalScope("tenant", "neofin", "billings")
    with Journal(tmp_path / "j.sqlite") as journal:
        records = [
            JournalRecord(k, "accepted", b"c%d" % i, b"s%015d" % i) for i, k in enumerate(keys)
        ]
        await journal.record(scope, [*records, JournalRecord("gone", "failed")])
        found = await journal.accepted(
            scope, [*keys, "unknown", "gone", *(f"k{i}" for i in range(600))]
        )
        other = await journal.accepted(JournalScope("other", "neofin", "billings"), keys)
        same = [(k, b"s%015d" % i) for i, k in enumerate(keys)]
        moved = [(k, b"t%015d" % i) for i, k in enumerate(keys)]
        asked = [*same[::2], *moved[1::2], ("unknown", b"u" * 16), ("gone", b"g" * 16)]
        changed = await journal.changed(scope, *zip(*asked, strict=True))
        mixed = [*same[:2], ("ERP-1", b"short")]  # digests of two widths: compared one by one
        widths = await journal.changed(scope, *zip(*mixed, strict=True))
        other_scope = JournalScope("other", "neofin", "billings")
        elsewhere = await journal.changed(other_scope, *zip(*same, strict=True))
    entries = {k: JournalEntry(b"c%d" % i, b"s%015d" % i) for i, k in enumerate(keys)}
    assert found == entries and other == {}
    assert changed == {
        **{k: entries[k] for k in keys[1::2]},
        "unknown": None,
        "gone": None,
    }
    assert widths == {"ERP-1": entries["ERP-1"]}
    assert elsewhere == dict.fromkeys(keys)


class PlainStore:
    """A user's journal store: the protocol's three methods, and no `changed()`."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def accepted(self, scope: JournalScope, keys: Any) -> dict[str, JournalEntry]:
        return await self.journal.accepted(scope, keys)

    async def record(self, scope: JournalScope, records: Any) -> None:
        await self.journal.record(scope, records)

    async def aclose(self) -> None:
        pass


nights = st.lists(  # each night's rows: (key, amount, export layout); a key may repeat
    st.lists(st.tuples(st.integers(0, 12), st.integers(1, 3), st.sampled_from("ab")), max_size=30),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nights=nights)
def test_a_store_that_compares_sources_decides_as_one_that_does_not(
    tmp_path_factory: pytest.TempPathFactory, nights: list[list[tuple[int, int, str]]]
) -> None:
    """SQLite compares the digests of a re-run (`changed()`); a store without that is asked
    what was accepted and compared in Python: every night ends the same either way."""

    def row(key: int, amount: int, layout: str) -> Sourced:
        item = billing_item(integration_identifier=f"K{key}", amount=1000 + amount)
        return Sourced(f"K{key}", f"{layout} {key} {amount}".encode(), lambda: item)

    async def scenario(native: bool) -> tuple[list[Any], list[str]]:
        server, outcomes = Recorder(), []
        with Journal(tmp_path_factory.mktemp("j") / "j.sqlite") as journal:
            store = journal if native else PlainStore(journal)
            async with server.client() as client:
                for rows in nights:
                    result = await client.billings.bulk_upsert(
                        [row(*r) for r in rows],
                        journal=store,
                        concurrency=1,
                        detect_duplicates=True,
                    )
                    errors = sorted((e.index, e.status) for e in result.errors)
                    outcomes.append((result.counts.as_dict(), result.unchanged, errors))
        return outcomes, server.sent

    assert anyio.run(scenario, True) == anyio.run(scenario, False)


async def test_an_unchanged_item_read_from_a_new_source_is_loaded_once(tmp_path: Path) -> None:
    """A source digest that changed while the content did not (a reformatted export, a newer
    reader) costs one night of loading each item; the journal then keeps the new digest."""
    loaded: list[int] = []

    def rows(source: str) -> Iterator[Sourced]:
        for i, item in enumerate(day(300)):

            def load(i: int = i, item: dict[str, Any] = item) -> dict[str, Any]:
                loaded.append(i)
                return item

            digest = f"{source} line {i}".encode()
            yield Sourced(key=item["integration_identifier"], digest=digest, load=load)

    server, journal = Recorder(), tmp_path / "j.sqlite"
    async with server.client() as client:
        await client.billings.bulk_upsert(rows("v1"), journal=journal)
        nights = []
        for _ in range(2):
            loaded.clear()
            result = await client.billings.bulk_upsert(rows("v2"), journal=journal)
            nights.append((len(loaded), result.unchanged, result.requests))
    assert nights == [(300, 300, 0), (0, 300, 0)]
    with Journal(journal) as opened:
        assert opened.counts() == {"accepted": 300}


async def test_a_rerun_that_sends_little_reports_in_bounded_chunks_and_sends_full_ones(
    tmp_path: Path,
) -> None:
    """Unchanged items end a chunk every `MAX_SETTLED` (progress, flat memory) while the
    changed ones met meanwhile wait for a full request."""
    journal, server = tmp_path / "sync.sqlite", Recorder()
    edits = {i: 1 for i in range(0, 3000, 50)}  # 60 changes, one every 50 items
    async with server.client() as client:
        await client.billings.bulk_upsert(day(3000), journal=journal)
        runs = []
        for export in (day(3000, edits), day(3000, edits)):  # the second: nothing changed
            stream = client.billings.stream_upsert(export, journal=journal)
            async with stream:
                runs.append(([chunk async for chunk in stream], stream.result))
    (chunks, changed), (quiet_chunks, quiet) = runs
    assert changed.ok and changed.unchanged == 2940 and changed.requests == 2  # 50 + 10
    assert [len(batch) for batch in server.requests[-2:]] == [50, 10]
    assert quiet.ok and quiet.unchanged == 3000 and quiet.requests == 0
    assert len(quiet_chunks) == 3
    for chunk in chunks + quiet_chunks:
        assert chunk.unchanged <= MAX_SETTLED and len(chunk.accepted) <= MAX_SETTLED + 50


async def test_a_stop_counts_the_changed_items_waiting_for_their_chunk(tmp_path: Path) -> None:
    journal, server = tmp_path / "sync.sqlite", Recorder()
    async with server.client() as client:
        await client.billings.bulk_upsert(day(3000), journal=journal)
        stream = client.billings.stream_upsert(
            day(3000, dict.fromkeys(range(10), 1)), journal=journal, concurrency=1
        )
        async with stream:
            chunks = []
            async for chunk in stream:
                chunks.append(chunk)
                stream.stop("enough")
    result = stream.result
    assert len(server.requests) == 60 and result.requests == 0  # the first run's only
    assert chunks[-1].chunk == -1 and result.total == 3000 and result.unchanged >= MAX_SETTLED
    assert result.accepted + result.not_sent == 3000
    not_sent = [e for e in result.errors if e.index < 10]
    assert [(e.index, e.status) for e in not_sent] == [(i, "not_sent") for i in range(10)]


journal_runs = st.lists(  # each run: the export's amounts by key (a key may disappear)
    st.dictionaries(st.integers(0, 30), st.integers(1, 4), min_size=1, max_size=25),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(runs=journal_runs, fail_rate=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 1000))
def test_the_emulator_ends_with_the_last_content_of_every_key(
    tmp_path_factory: pytest.TempPathFactory,
    runs: list[dict[int, int]],
    fail_rate: float,
    seed: int,
) -> None:
    """Whatever the runs and the faults, a final run over the last export leaves the server
    with exactly that content; and no run ever leaves it holding content no run sent."""
    journal = tmp_path_factory.mktemp("j") / "sync.sqlite"
    emulator = Emulator(fail_rate=fail_rate, drop_rate=fail_rate / 3, seed=seed)

    def export(amounts: dict[int, int]) -> list[dict[str, Any]]:
        return [billing_item(integration_identifier=f"K{k}", amount=v) for k, v in amounts.items()]

    async def scenario() -> None:
        async with emulator.client(retry_policy=nf.RetryPolicy(sleep=no_sleep)) as client:
            for amounts in runs:
                result = await client.billings.bulk_upsert(export(amounts), journal=journal)
                assert result.total == len(amounts)
                for index, key in (e for e in _accepted_keys(result, amounts)):
                    assert emulator.billings[key].data["amount"] == amounts[index]
            emulator.configure(fail_rate=0.0, drop_rate=0.0)
            final = await client.billings.bulk_upsert(export(runs[-1]), journal=journal)
            assert final.ok

    anyio.run(scenario)
    last = runs[-1]
    assert {
        key: b.data["amount"] for key, b in emulator.billings.items() if int(key[1:]) in last
    } == {f"K{k}": v for k, v in last.items()}


def _accepted_keys(result: nf.BulkResult, amounts: dict[int, int]) -> Iterator[tuple[int, str]]:
    not_accepted = {e.index for e in result.errors}
    for index, key in enumerate(amounts):
        if index not in not_accepted:
            yield key, f"K{key}"


# -- clean stops ---------------------------------------------------------------------------------


async def test_stop_lets_chunks_in_flight_finish_and_counts_the_rest() -> None:
    release = anyio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(202, json={"message": "queued", "errors": {}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))

    async def interrupt() -> None:
        await anyio.sleep(0.05)
        stream.stop("interrupted by the user", grace=5)
        release.set()

    async with nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http) as client:
        stream = client.billings.stream_upsert(day(1000), concurrency=3)
        async with stream, anyio.create_task_group() as tg:
            tg.start_soon(interrupt)
            chunks = [chunk async for chunk in stream]
    result = stream.result
    assert result.total == 1000 and (result.accepted, result.failed) == (150, 0)
    assert result.not_sent == 850 and str(result.stopped_by) == "interrupted by the user"
    assert sum(len(c.accepted) for c in chunks) == 150


async def test_stop_gives_up_on_chunks_in_flight_after_the_grace() -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(3600)
        raise AssertionError("unreachable")

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http) as client:
        stream = client.billings.stream_upsert(day(300), concurrency=2)
        async with stream, anyio.create_task_group() as tg:
            tg.start_soon(lambda: _stop_later(stream, 0.05, grace=0.1))
            async for _ in stream:
                pass
    result = stream.result
    assert (result.failed, result.not_sent) == (100, 200)
    assert all("may or may not hold these items" in e.message for e in result.errors[:100])


async def _stop_later(stream: nf.BulkStream, delay: float, *, grace: float) -> None:
    await anyio.sleep(delay)
    stream.stop("interrupted", grace=grace)


async def test_a_dead_host_stops_the_run_after_a_few_chunks() -> None:
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("Connection refused", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    policy = nf.RetryPolicy(sleep=no_sleep)
    async with nf.NeofinClient(API_KEY, SECRET_KEY, http_client=http, retry_policy=policy) as c:
        result = await c.billings.bulk_upsert(day(20_000), concurrency=1)
        patient = await c.billings.bulk_upsert(
            day(500), concurrency=1, max_connection_failures=None
        )
    assert (result.failed, result.not_sent) == (150, 19_850)
    assert attempts - 30 == 3 * 3  # three chunks, each tried three times
    assert isinstance(result.stopped_by, nf.APIConnectionError)
    assert "could not be reached: 3 chunks in a row" in str(result.stopped_by)
    assert patient.failed == 500 and patient.stopped_by is None


async def test_options_object_and_keywords_mean_the_same() -> None:
    server = Recorder()
    options = nf.BulkOptions(chunk_size=7, concurrency=2)
    async with server.client() as client:
        a = await client.billings.bulk_upsert(day(30), options)
        b = await client.billings.bulk_upsert(day(30), chunk_size=7, concurrency=2)
        c = await client.billings.bulk_upsert(day(30), options, chunk_size=10)
    assert a.requests == b.requests == 5 and c.requests == 3
    with pytest.raises(ValueError, match="chunk_size must be between 1 and 50"):
        await client.billings.bulk_upsert(day(3), chunk_size=51)
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        nf.BulkOptions(concurrency=0)


async def test_a_chunk_over_the_request_size_limit_is_sent_in_parts() -> None:
    server = Recorder()
    big = "x" * (MAX_REQUEST_BYTES // 20)  # 50 of these cannot go in one request
    items = [billing_item(integration_identifier=f"P{i}", boleto_base64=big) for i in range(50)]
    async with server.client() as client:
        result = await client.billings.bulk_upsert(items)
    assert result.ok and result.requests == len(server.requests) > 1
    sizes = [len(json.dumps({"billings": batch})) for batch in server.requests]
    assert max(sizes) <= MAX_REQUEST_BYTES and sorted(server.sent) == sorted(
        f"P{i}" for i in range(50)
    )


def test_the_keywords_are_the_options() -> None:
    """`BulkChanges` (the keywords' types) and `BulkOptions` name the same settings."""
    import dataclasses

    from neofin_async.bulk import BulkChanges

    fields = [f.name for f in dataclasses.fields(nf.BulkOptions)]
    assert list(BulkChanges.__annotations__) == fields


async def test_a_run_dying_before_its_record_never_leaves_a_stale_skip(tmp_path: Path) -> None:
    """The server took content B, the run died before journalling it: a later run sending
    the old content A again must send it (the journal forgot A when B went out)."""

    class DiesBeforeRecording(Journal):
        async def record(self, scope: JournalScope, records: Any) -> None:
            if any(r.state == "accepted" for r in records):
                raise RuntimeError("killed before the journal write")
            await super().record(scope, records)

    server = Recorder()
    path = tmp_path / "sync.sqlite"
    async with server.client() as client:
        await client.billings.bulk_upsert(day(3), journal=path)  # A
        with DiesBeforeRecording(path) as dying, pytest.raises(RuntimeError, match="killed"):
            await client.billings.bulk_upsert(day(3, {1: 5}), journal=dying)
        again = await client.billings.bulk_upsert(day(3), journal=path)  # A again
    assert again.unchanged == 2 and server.requests[-1][0]["amount"] == 1001  # item 1 resent
