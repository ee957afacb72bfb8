"""`customers.bulk_upsert` for Piriod: lookup then PATCH or POST, never a second customer per
reference, every item in exactly one state whatever the server does."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neofin_async as nf
from neofin_async.bulk import BulkResult
from neofin_async.piriod import REFERENCE_METADATA_KEY, PiriodClient, sample_customers
from neofin_async.piriod.emulator import Emulator

KEY = REFERENCE_METADATA_KEY


async def no_sleep(_: float) -> None:
    await anyio.lowlevel.checkpoint()


def item(i: int, **overrides: Any) -> dict[str, Any]:
    return {"reference": f"R{i}", "name": f"Customer {i}", "country": "US"} | overrides


def bad(i: int) -> dict[str, Any]:
    return item(i, email="not-an-email")


class FakePiriod:
    """A tiny stateful server: a `decide(method, attempt)` picks each request's behaviour."""

    def __init__(self, decide: Callable[[httpx.Request], str] | None = None) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.decide = decide or (lambda request: "ok")

    def by_reference(self) -> Counter[str]:
        return Counter(c["metadata"].get(KEY) for c in self.customers.values())

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await anyio.lowlevel.checkpoint()
        self.requests.append((request.method, request.url.path))
        kind = self.decide(request)
        if kind == "401":
            return httpx.Response(401, json={"detail": "Invalid token."})
        if kind == "5xx":
            return httpx.Response(503, json={"detail": "Service unavailable."})
        if kind == "429":
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "Throttled."})
        if kind == "drop":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if kind == "400" and request.method in ("POST", "PATCH"):
            return httpx.Response(400, json={"name": ["Ensure this field is valid."]})
        response = self.handle(request)
        if kind == "lost":  # processed and stored, but the answer never arrives
            raise httpx.ReadTimeout("timed out", request=request)
        if kind == "500_after":
            return httpx.Response(500, json={"detail": "A server error occurred."})
        return response

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/customers/":
            wanted = request.url.params.get(f"metadata__{KEY}")
            found = [c for c in self.customers.values() if c["metadata"].get(KEY) == wanted]
            return httpx.Response(200, json={"count": len(found), "next": None, "results": found})
        if request.method == "POST" and path == "/customers/":
            customer = {**json.loads(request.content), "id": f"cus_{len(self.customers) + 1}"}
            self.customers[customer["id"]] = customer
            return httpx.Response(201, json=customer)
        if request.method == "PATCH":
            customer_id = path.split("/")[2]
            if customer_id not in self.customers:
                return httpx.Response(404, json={"detail": "Not found."})
            self.customers[customer_id].update(json.loads(request.content))
            return httpx.Response(200, json=self.customers[customer_id])
        return httpx.Response(405, json={"detail": "Method not allowed."})


def client_for(server: FakePiriod, **options: Any) -> PiriodClient:
    policy = nf.RetryPolicy(sleep=no_sleep, max_retries=options.pop("max_retries", 2))
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return PiriodClient("token", "acc_test", http_client=http, retry_policy=policy, **options)


def assert_accounted(result: BulkResult, n: int) -> None:
    assert result.total == n
    assert result.accepted + result.rejected + result.invalid + result.failed + result.not_sent == n
    assert len(result.errors) == n - result.accepted
    assert len({e.index for e in result.errors}) == len(result.errors)


# -- the upsert strategy ---------------------------------------------------------------------


async def test_new_items_are_looked_up_then_posted_known_ones_patched() -> None:
    server = FakePiriod()
    async with client_for(server) as client:
        first = await client.customers.bulk_upsert([item(i) for i in range(3)])
        server.requests.clear()
        second = await client.customers.bulk_upsert([item(i, name=f"New {i}") for i in range(3)])
    assert first.ok and first.accepted == 3 and first.requests == 6
    assert second.ok and second.requests == 6
    assert sorted(method for method, _ in server.requests) == ["GET"] * 3 + ["PATCH"] * 3
    assert {c["name"] for c in server.customers.values()} == {"New 0", "New 1", "New 2"}
    assert all(c["metadata"][KEY] == c["reference"] for c in server.customers.values())


async def test_an_update_merges_metadata_and_leaves_unset_fields_alone() -> None:
    server = FakePiriod()
    async with client_for(server) as client:
        await client.customers.bulk_upsert([item(1, email="a@b.example.com", metadata={"a": 1})])
        (customer,) = server.customers.values()
        customer["metadata"]["panel"] = "kept"
        await client.customers.bulk_upsert([item(1, metadata={"b": 2})])
    assert customer["metadata"] == {"a": 1, "panel": "kept", "b": 2, KEY: "R1"}
    assert customer["email"] == "a@b.example.com"


async def test_a_post_whose_answer_was_lost_is_not_sent_again() -> None:
    posts = 0

    def decide(request: httpx.Request) -> str:
        nonlocal posts
        if request.method == "POST":
            posts += 1
            return "lost" if posts == 1 else "ok"
        return "ok"

    server = FakePiriod(decide)
    retries: list[nf.bulk.ChunkRetry] = []
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert([item(1)], on_retry=retries.append)
    assert result.ok and server.by_reference() == {"R1": 1}
    assert [m for m, _ in server.requests] == ["GET", "POST", "GET", "PATCH"]
    assert posts == 1 and len(retries) == 1 and result.requests == 4 and result.retries == 1


async def test_a_post_that_failed_before_storing_is_posted_again_after_a_lookup() -> None:
    answers = iter(["5xx", "drop", "ok"])
    server = FakePiriod(lambda r: next(answers) if r.method == "POST" else "ok")
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert([item(1)])
    assert result.ok and server.by_reference() == {"R1": 1}
    assert [m for m, _ in server.requests] == ["GET", "POST", "GET", "POST", "GET", "POST"]
    assert result.requests == 6 and result.retries == 2


async def test_a_post_failing_every_time_fails_the_item_after_the_retries() -> None:
    server = FakePiriod(lambda r: "500_after" if r.method == "POST" else "ok")
    async with client_for(server, max_retries=3) as client:
        result = await client.customers.bulk_upsert([item(1)])
    # stored by the first attempt: found again and updated, never a second POST
    assert result.ok and server.by_reference() == {"R1": 1}
    server = FakePiriod(lambda r: "5xx" if r.method == "POST" else "ok")
    async with client_for(server, max_retries=1) as client:
        result = await client.customers.bulk_upsert([item(1)])
    assert result.failed == 1 and "503" in result.errors[0].message and not server.customers
    assert "the customer may exist; a new run finds it" in result.errors[0].message
    server = FakePiriod(lambda r: "400" if r.method == "POST" else "ok")
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert([item(1)])
    assert result.rejected == 1 and "may exist" not in result.errors[0].message


async def test_a_2xx_without_a_customer_body_is_still_accepted() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"count": 0, "next": None, "results": []})
        return httpx.Response(201, json=["created"])

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with PiriodClient("token", "acc_test", http_client=http) as client:
        assert (await client.customers.bulk_upsert([item(1)])).ok


async def test_duplicate_keys_in_one_run_never_make_two_customers() -> None:
    server = FakePiriod()
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert(
            [item(1, name=f"v{i}") for i in range(12)], concurrency=3, chunk_size=4
        )
        assert len(client.customers._upserter.locks) == 0
    assert result.accepted == 12 and server.by_reference() == {"R1": 1}


async def test_the_400_field_map_rejects_that_item_by_input_index() -> None:
    server = FakePiriod(lambda r: "400" if b'"R2"' in r.content else "ok")
    items = [item(0), bad(1), item(2), item(3)]
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert(items)
    assert_accounted(result, 4)
    by_index = {e.index: e for e in result.errors}
    assert by_index[1].status == "invalid" and "email" in by_index[1].errors
    assert by_index[1].key == "R1"
    assert by_index[2].status == "rejected" and by_index[2].key == "R2"
    assert by_index[2].errors == {"name": ["Ensure this field is valid."]}
    assert result.accepted == 2 and set(server.by_reference()) == {"R0", "R3"}
    sent = b"".join(r.encode() for _, r in server.requests)
    assert b"R1" not in sent


async def test_items_without_a_reference_or_with_a_conflicting_key_are_invalid() -> None:
    server = FakePiriod()
    items = [{"name": "no key"}, item(1, metadata={KEY: "other"}), item(2)]
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert(items)
    errors = {e.index: e for e in result.errors}
    assert errors[0].errors == {
        "reference": ["required for bulk_upsert: the key customers are upserted by"]
    }
    assert f"metadata.{KEY}" in errors[1].errors and result.accepted == 1


async def test_extra_fields_are_let_through_when_named() -> None:
    server = FakePiriod()
    items = [item(1, erp_code="A-1"), item(2, erp_cod="typo")]
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert(items, extra_fields={"erp_code"})
    assert result.accepted == 1 and result.errors[0].index == 1
    assert result.errors[0].errors == {"erp_cod": ["unknown field; did you mean 'erp_code'?"]}
    (customer,) = server.customers.values()
    assert customer["erp_code"] == "A-1"


async def test_a_401_stops_the_run_without_misreporting_items_already_done() -> None:
    posts = 0

    def decide(request: httpx.Request) -> str:
        nonlocal posts
        if request.method == "POST":
            posts += 1
            return "401" if posts == 3 else "ok"
        return "ok"

    server = FakePiriod(decide)
    async with client_for(server) as client:
        result = await client.customers.bulk_upsert(
            [item(i) for i in range(40)], concurrency=1, chunk_size=5
        )
    assert_accounted(result, 40)
    assert isinstance(result.stopped_by, nf.AuthenticationError)
    assert result.accepted == 4 and result.failed == 1 and result.not_sent == 35
    accepted_refs = set(server.by_reference())
    assert len(accepted_refs) == 4
    failed = next(e for e in result.errors if e.status == "failed")
    assert "API token was refused" in failed.message and failed.key not in accepted_refs


async def test_a_journal_skips_unchanged_items_on_the_next_run(tmp_path: Path) -> None:
    server = FakePiriod()
    journal = tmp_path / "journal.sqlite"
    items = [item(i) for i in range(20)]
    async with client_for(server) as client:
        first = await client.customers.bulk_upsert(items, journal=journal)
        server.requests.clear()
        items[3] = item(3, name="changed")
        second = await client.customers.bulk_upsert(items, journal=journal)
    assert first.ok and second.ok and second.unchanged == 19
    assert [m for m, _ in server.requests] == ["GET", "PATCH"]


# -- property: every item in exactly one state, whatever the server does ---------------------

BEHAVIOURS = ["ok", "400", "5xx", "500_after", "lost", "drop", "429", "401"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(st.integers(0, 9), min_size=0, max_size=60),
    weights=st.lists(st.integers(0, 5), min_size=len(BEHAVIOURS), max_size=len(BEHAVIOURS)),
    seed=st.integers(0, 2**32),
    concurrency=st.integers(1, 4),
    chunk_size=st.integers(1, 10),
)
def test_every_item_ends_in_exactly_one_state(
    kinds: list[int], weights: list[int], seed: int, concurrency: int, chunk_size: int
) -> None:
    """Items 0-6 of `kinds` are valid (some share a reference), 7-9 invalid."""
    if not any(weights):
        weights = [1, *weights[1:]]
    rng = random.Random(seed)
    server = FakePiriod(lambda request: rng.choices(BEHAVIOURS, weights)[0])
    items = [item(k % 5, name=f"n{i}") if k < 7 else bad(i) for i, k in enumerate(kinds)]

    async def scenario() -> BulkResult:
        async with client_for(server) as client:
            return await client.customers.bulk_upsert(
                items, concurrency=concurrency, chunk_size=chunk_size
            )

    result = anyio.run(scenario)
    assert_accounted(result, len(items))
    erred = {e.index for e in result.errors}
    invalid = {e.index for e in result.errors if e.status == "invalid"}
    generated_invalid = {i for i, k in enumerate(kinds) if k >= 7}
    assert invalid <= generated_invalid
    if result.stopped_by is None:
        assert invalid == generated_invalid
    # never two customers for one reference, and every accepted item is on the server,
    # holding the content of one of the items sent with that reference
    assert all(count == 1 for count in server.by_reference().values())
    accepted = [i for i in range(len(items)) if i not in erred]
    names = {c["reference"]: c["name"] for c in server.customers.values()}
    for i in accepted:
        sent = {it["name"] for it in items if it["reference"] == items[i]["reference"]}
        assert names[items[i]["reference"]] in sent
    if result.stopped_by is None:
        assert result.requests == len(server.requests)
    if isinstance(result.stopped_by, nf.AuthenticationError):
        assert result.failed > 0


# -- idempotency on the emulator -------------------------------------------------------------


async def test_the_emulator_ends_with_one_customer_per_reference_after_lost_answers() -> None:
    emulator = Emulator(seed=3, lost_rate=0.25, drop_rate=0.05, fail_rate=0.05)
    records = list(sample_customers(120, seed=9))
    policy = nf.RetryPolicy(sleep=no_sleep, max_retries=6)
    async with emulator.client(retry_policy=policy) as client:
        for _ in range(3):
            result = await client.customers.bulk_upsert(records, concurrency=4, chunk_size=10)
            assert_accounted(result, len(records))
    references = emulator.references()
    assert set(references) == {r["reference"] for r in records}
    assert set(references.values()) == {1}
    faults = Counter(r.fault for r in emulator.requests)
    assert faults["lost"] > 20 and faults["drop"] > 0


async def test_the_emulator_with_timeouts_ends_with_one_customer_per_reference() -> None:
    emulator = Emulator(seed=4, hang_rate=0.1, lost_rate=0.1, hang_seconds=5)
    records = list(sample_customers(40, seed=2))
    policy = nf.RetryPolicy(sleep=no_sleep, max_retries=8)
    async with emulator.client(retry_policy=policy, timeout=0.05) as client:
        result = await client.customers.bulk_upsert(records, concurrency=4, chunk_size=10)
    assert_accounted(result, len(records))
    assert result.accepted == len(records)
    assert set(emulator.references().values()) == {1} and len(emulator.references()) == 40
    assert Counter(r.fault for r in emulator.requests)["hang"] > 0


async def test_lookup_by_reference_needs_a_server_that_filters_on_it() -> None:
    records = [item(i) for i in range(5)]
    filtering = Emulator(reference_filter=True)
    async with filtering.client(lookup_by="reference") as client:
        assert (await client.customers.bulk_upsert(records)).ok
        assert (await client.customers.bulk_upsert(records)).ok
    assert len(filtering.customers()) == 5
    ignoring = Emulator()  # ?reference= is ignored: every lookup answers every customer
    async with ignoring.client(lookup_by="reference") as client:
        result = await client.customers.bulk_upsert(records, concurrency=1, chunk_size=1)
    assert result.accepted == 1 and result.failed == 4  # the first found an empty workspace
    assert all("ignored the filter" in e.message for e in result.errors)
    assert len(ignoring.customers()) == 1


async def test_test_mode_upserts_go_to_the_test_data() -> None:
    emulator = Emulator()
    async with emulator.client(test_mode=True) as client:
        assert (await client.customers.bulk_upsert([item(1), item(2)])).ok
    assert emulator.customers() == [] and len(emulator.customers(test_mode=True)) == 2
