"""The PostgreSQL journal, against a real PostgreSQL: the SQLite journal's semantics, many
concurrent writers, a versioned schema, and the bulk engine with `journal="postgresql://..."`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import billing_item

import neofin_async as nf
from neofin_async.bulk import (
    ComparesSources,
    Journal,
    JournalEntry,
    JournalRecord,
    JournalScope,
    JournalStore,
    open_journal,
)
from neofin_async.bulk._journal import changed_sources
from neofin_async.bulk._pgjournal import _LOOKUP, SCHEMA_VERSION, PostgresJournal
from neofin_async.emulator import Emulator

SCOPE = JournalScope("acme", "neofin", "billings")
A, B, C = (bytes([n]) * 16 for n in (1, 2, 3))


def accepted(key: str, content: bytes, source: bytes | None = None) -> JournalRecord:
    return JournalRecord(key, "accepted", content, source)


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JournalStore]:
    """The same semantics tests run on both journals."""
    if request.param == "sqlite":
        journal: JournalStore = Journal(tmp_path / "j.sqlite")
    else:
        journal = PostgresJournal(request.getfixturevalue("postgres_url"))
    yield journal
    await journal.aclose()


# -- the same semantics as the SQLite journal -------------------------------------------------


async def test_accepted_stores_content_and_source(store: JournalStore) -> None:
    await store.record(SCOPE, [accepted("a", A, B), accepted("b", C)])
    found = await store.accepted(SCOPE, ["a", "b", "unknown"])
    assert {k: (e.content, e.source) for k, e in found.items()} == {"a": (A, B), "b": (C, None)}


async def test_failed_forgets_and_other_states_keep_the_last_accepted(store: JournalStore) -> None:
    await store.record(SCOPE, [accepted("kept", A), accepted("forgotten", A), accepted("x", A)])
    await store.record(
        SCOPE,
        [
            JournalRecord("kept", "rejected", message="amount: must be > 0"),
            JournalRecord("forgotten", "failed", message="timed out"),
            JournalRecord("new", "rejected"),
        ],
    )
    found = await store.accepted(SCOPE, ["kept", "forgotten", "new", "x"])
    assert {k: e.content for k, e in found.items()} == {"kept": A, "x": A}


async def test_a_changed_item_accepted_again_replaces_the_content(store: JournalStore) -> None:
    await store.record(SCOPE, [accepted("a", A)])
    await store.record(SCOPE, [accepted("a", B)])
    assert (await store.accepted(SCOPE, ["a"]))["a"].content == B


async def test_scopes_are_separate(store: JournalStore) -> None:
    others = [
        JournalScope("other", "neofin", "billings"),
        JournalScope("acme", "piriod", "billings"),
        JournalScope("acme", "neofin", "customers"),
    ]
    await store.record(SCOPE, [accepted("a", A)])
    for scope in others:
        assert await store.accepted(scope, ["a"]) == {}
        await store.record(scope, [JournalRecord("a", "failed")])
    assert (await store.accepted(SCOPE, ["a"]))["a"].content == A


@pytest.mark.parametrize(
    ("states", "kept"),
    [
        (("accepted", "rejected"), A),  # the server holds the first
        (("accepted", "failed"), None),  # unknown: send again
        (("failed", "accepted"), B),
        (("rejected", "rejected"), C),  # nothing new: the last accepted stays
    ],
)
async def test_a_key_twice_in_one_chunk_applies_in_order(
    store: JournalStore, states: tuple[Any, Any], kept: bytes | None
) -> None:
    await store.record(SCOPE, [accepted("a", C)])
    first, second = states
    await store.record(
        SCOPE,
        [
            JournalRecord("a", first, A),
            JournalRecord("z", "accepted", A),
            JournalRecord("a", second, B),
        ],
    )
    found = await store.accepted(SCOPE, ["a", "z"])
    assert (found["a"].content if "a" in found else None) == kept
    assert found["z"].content == A


async def test_lookups_of_many_keys(store: JournalStore) -> None:
    keys = [f"K-{n:05d}" for n in range(12_000)]
    for start in range(0, len(keys), 500):
        await store.record(SCOPE, [accepted(k, A) for k in keys[start : start + 500]])
    found = await store.accepted(SCOPE, [*keys[::3], "missing"])
    assert len(found) == len(keys[::3])


async def test_changed_names_the_keys_whose_source_moved(store: JournalStore) -> None:
    """A nightly re-run asks which keys' source digests changed: only those come back, with
    what was accepted for them (None for a key never accepted, or forgotten). SQLite
    compares them itself; PostgreSQL's rows are compared by the engine."""
    assert isinstance(store, ComparesSources) == isinstance(store, Journal)
    keys = [f"K-{n:05d}" for n in range(6_000)]  # more than one batch of PostgreSQL's
    await store.record(SCOPE, [accepted(k, A, B) for k in keys])
    await store.record(SCOPE, [accepted("no-source", A), JournalRecord(keys[7], "failed")])
    asked = [(k, C if n % 1000 == 0 else B) for n, k in enumerate(keys)]
    pairs = [*asked, ("no-source", B), ("new", B), ("new", C)]
    changed = await changed_sources(store, SCOPE, *zip(*pairs, strict=True))
    moved = {k: JournalEntry(A, B) for n, k in enumerate(keys) if n % 1000 == 0}
    assert changed == {**moved, keys[7]: None, "no-source": JournalEntry(A, None), "new": None}
    elsewhere = JournalScope("other", "neofin", "billings")
    first = await changed_sources(store, elsewhere, *zip(*asked[:3], strict=True))
    assert first == dict.fromkeys(keys[:3])


# -- PostgreSQL specifics -----------------------------------------------------------------------


async def test_schema_is_created_on_first_use_and_versioned(postgres_url: str) -> None:
    journal = PostgresJournal(postgres_url)
    with psycopg.connect(postgres_url) as db:  # nothing yet: the constructor does not connect
        assert db.execute("SELECT to_regclass('neofin_journal')").fetchone() == (None,)
    await journal.record(SCOPE, [accepted("a", A)])
    await journal.aclose()
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT version FROM neofin_journal_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]


async def test_many_workers_starting_together_create_the_schema_once(postgres_url: str) -> None:
    journals = [PostgresJournal(postgres_url) for _ in range(8)]
    await asyncio.gather(*(j.record(SCOPE, [accepted(f"k{n}", A)]) for n, j in enumerate(journals)))
    await asyncio.gather(*(j.aclose() for j in journals))
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT count(*) FROM neofin_journal_version").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM neofin_journal").fetchone() == (8,)


async def test_a_newer_format_is_refused(postgres_url: str) -> None:
    async with PostgresJournal(postgres_url) as journal:
        await journal.record(SCOPE, [accepted("a", A)])
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE neofin_journal_version SET version = %s", (SCHEMA_VERSION + 1,))
    async with PostgresJournal(postgres_url) as journal:
        with pytest.raises(nf.ConfigurationError, match="written by a newer neofin-async"):
            await journal.accepted(SCOPE, ["a"])


async def test_concurrent_writers_of_overlapping_keys(postgres_url: str) -> None:
    """Eight writers upsert the same keys in shuffled orders at once: no deadlock, no lost
    row, and each key ends with one of the contents written (the last writer's)."""
    keys = [f"K-{n:04d}" for n in range(400)]
    contents = [bytes([n]) * 16 for n in range(8)]

    async def writer(n: int) -> None:
        rng = random.Random(n)
        async with PostgresJournal(postgres_url) as journal:
            for _ in range(5):
                order = rng.sample(keys, len(keys))
                for start in range(0, len(order), 50):
                    chunk = order[start : start + 50]
                    await journal.record(SCOPE, [accepted(k, contents[n]) for k in chunk])
                    await journal.accepted(SCOPE, chunk)

    await asyncio.gather(*(writer(n) for n in range(8)))
    async with PostgresJournal(postgres_url) as journal:
        found = await journal.accepted(SCOPE, keys)
        assert await journal.counts(SCOPE) == {"accepted": len(keys)}
    assert set(found) == set(keys)
    assert {entry.content for entry in found.values()} <= set(contents)


async def test_lookups_probe_the_index_by_key_on_a_table_never_analyzed(
    postgres_url: str,
) -> None:
    """A journal filling up during its first run has no statistics: the lookup must still
    be an index probe per key, not a scan of the whole scope (which grew with the table)."""
    async with PostgresJournal(postgres_url) as journal:
        for start in range(0, 5000, 500):
            await journal.record(SCOPE, [accepted(f"K-{n}", A) for n in range(start, start + 500)])
    with psycopg.connect(postgres_url) as db:
        db.execute("SET plan_cache_mode = force_generic_plan")
        query = _LOOKUP
        for n in range(1, 5):
            query = query.replace("%s", f"${n}", 1)
        db.execute(f"PREPARE lookup(text, text, text, text[]) AS {query}")
        (plan,) = db.execute(
            "EXPLAIN (FORMAT JSON) EXECUTE lookup('acme', 'neofin', 'billings', '{K-1,K-2}')"
        ).fetchone()  # type: ignore[misc]
    node = plan[0]["Plan"]
    assert node["Node Type"] == "Index Scan" and "key = ANY" in node["Index Cond"]


async def test_no_password_in_repr_or_errors() -> None:
    journal = PostgresJournal("postgresql://sync:hunter2-secret@127.0.0.1:1/test")
    assert "hunter2" not in repr(journal)
    with pytest.raises(nf.ConfigurationError, match="cannot connect") as caught:
        await journal.accepted(SCOPE, ["a"])
    assert "hunter2" not in str(caught.value)
    with pytest.raises(nf.ConfigurationError) as caught:
        PostgresJournal("postgresql://sync:hunter2-secret@[bad")
    assert "hunter2" not in str(caught.value)


def test_open_journal_selects_postgres_for_a_dsn(tmp_path: Path) -> None:
    store, owned = open_journal("postgresql://sync@127.0.0.1/test")
    assert isinstance(store, PostgresJournal) and owned
    store, owned = open_journal(tmp_path / "j.sqlite")
    assert isinstance(store, Journal) and owned
    store.close()


# -- the bulk engine with journal="postgresql://..." -------------------------------------------


async def test_a_rerun_sends_only_what_changed(postgres_url: str) -> None:
    emulator = Emulator()
    items = [
        billing_item(integration_identifier=f"PG-{n:04d}", amount=1000 + n) for n in range(300)
    ]
    upserts = "POST /billing/"
    async with emulator.client() as client:
        first = await client.billings.bulk_upsert(items, journal=postgres_url)
        assert first.ok and first.unchanged == 0 and emulator.request_counts[upserts] == 6

        again = await client.billings.bulk_upsert(items, journal=postgres_url)
        assert again.ok and again.total == 300 and again.unchanged == 300
        assert again.requests == 0 and emulator.request_counts[upserts] == 6

        items[42] = {**items[42], "amount": 999_999}
        changed = await client.billings.bulk_upsert(items, journal=postgres_url)
    assert changed.ok and changed.unchanged == 299 and changed.requests == 1
    assert emulator.request_counts[upserts] == 7
    assert emulator.billings["PG-0042"].data["amount"] == 999_999
