"""`customers.bulk_upsert` through `_bulk`: folding each sub-response onto its item, retries of
single sub-requests, the accounting property over random server behaviour, and idempotency
under resends (exactly one customer per external_key after "stored but answer lost" faults)."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neofin_async as nf
from neofin_async.bulk import BulkResult
from neofin_async.chargeover import ChargeOverClient, sample_customers
from neofin_async.chargeover.emulator import Emulator

INSTANCE = "https://acme.chargeover.com"
Sub = dict[str, Any]


async def no_sleep(_: float) -> None:
    await anyio.lowlevel.checkpoint()


def policy(max_retries: int = 2) -> nf.RetryPolicy:
    return nf.RetryPolicy(sleep=no_sleep, max_retries=max_retries)


def customer(i: int, **changes: Any) -> dict[str, Any]:
    return {"company": f"Company {i}", "external_key": f"K{i}", **changes}


def envelope(code: int, response: Any = None, message: str = "") -> Sub:
    status = "OK" if code < 400 else "Error"
    return {"code": code, "status": status, "message": message, "details": {}, "response": response}


def assert_accounted(result: BulkResult, n: int) -> None:
    assert result.total == n
    counts = [result.accepted, result.rejected, result.invalid, result.failed, result.not_sent]
    assert sum(counts) == n
    assert len(result.errors) == n - result.accepted
    assert len({error.index for error in result.errors}) == len(result.errors)


class Scripted:
    """A ChargeOver whose sub-responses a test decides: `answer(sub_request, attempt)`."""

    def __init__(self, answer: Callable[[Sub, int], Sub]) -> None:
        self.answer = answer
        self.calls: list[list[Sub]] = []
        self.attempts: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/api/v3/_bulk")
        assert request.headers["authorization"] == "Basic cHViOnByaXY="  # pub:priv
        assert request.headers["content-type"] == "application/json"
        subs = json.loads(request.content)
        self.calls.append(subs)
        answers = []
        for sub in subs:
            label = f"{sub['request_method']} {sub['uri']}"
            self.attempts[label] += 1
            answers.append(self.answer(sub, self.attempts[label]))
        return httpx.Response(200, json=envelope(200, {"_bulk": answers}))

    def client(self, **options: Any) -> ChargeOverClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        options.setdefault("retry_policy", policy())
        return ChargeOverClient("pub", "priv", base_url=INSTANCE, http_client=http, **options)


def key_of(sub: Sub) -> str:
    if sub["request_method"] == "POST":
        return str(sub["payload"]["external_key"])
    return str(sub["uri"].rsplit("external_key:", 1)[1])


# -- folding ------------------------------------------------------------------------------


async def test_each_sub_response_is_folded_onto_its_item() -> None:
    existing = {"K0", "K2"}

    def answer(sub: Sub, attempt: int) -> Sub:
        key, method = key_of(sub), sub["request_method"]
        if key == "K3":  # refused whatever we do
            return (
                envelope(400, False, "Invalid bill_country.") if method == "POST" else envelope(404)
            )
        if key == "K4" and method == "PUT":
            return envelope(400, False, "Missing or invalid parameter: terms_id.")
        if method == "PUT":
            return envelope(202, {"id": 1}) if key in existing else envelope(404, None)
        return envelope(201, {"id": 2})

    server = Scripted(answer)
    existing.add("K4")
    async with server.client(upsert_order="update-first") as co:
        result = await co.customers.bulk_upsert([customer(i) for i in range(5)])
    assert_accounted(result, 5)
    assert (result.accepted, result.rejected) == (3, 2)
    by_index = {error.index: error for error in result.errors}
    assert by_index[3].key == "K3" and by_index[3].errors == {
        "chargeover": ["Invalid bill_country."]
    }
    assert by_index[4].errors == {"chargeover": ["Missing or invalid parameter: terms_id."]}
    # one call per round: PUT everything, POST the two missing, PUT the refused create again
    assert [len(call) for call in server.calls] == [5, 2, 1]
    assert [s["request_method"] for s in server.calls[1]] == ["POST", "POST"]
    assert server.calls[0][0]["uri"] == "/api/v3/customer/external_key:K0"
    assert server.calls[1][0] == {
        "request_method": "POST",
        "uri": "/api/v3/customer",
        "payload": customer(1),
    }


async def test_a_refused_create_of_an_existing_key_becomes_an_update() -> None:
    """What a resent create meets: the duplicate-key refusal (whatever its text) is followed
    by an update, so the item is accepted and nothing is duplicated."""

    def answer(sub: Sub, attempt: int) -> Sub:
        if sub["request_method"] == "POST":
            return envelope(400, False, "some undocumented duplicate text")
        return envelope(202, {"id": 9})

    server = Scripted(answer)
    async with server.client(upsert_order="create-first") as co:
        result = await co.customers.bulk_upsert([customer(1)])
    assert result.ok and [s[0]["request_method"] for s in server.calls] == ["POST", "PUT"]


async def test_throttled_sub_requests_are_retried_alone_then_fail() -> None:
    def answer(sub: Sub, attempt: int) -> Sub:
        key = key_of(sub)
        if key == "K1" and attempt == 1:
            return envelope(429, False, "Rate limit exceeded.")
        if key == "K2":
            return envelope(503, False, "Service unavailable.")
        return envelope(202, {"id": 1})

    server = Scripted(answer)
    retries: list[Any] = []
    async with server.client(upsert_order="update-first") as co:
        result = await co.customers.bulk_upsert(
            [customer(i) for i in range(4)], on_retry=retries.append
        )
    assert (result.accepted, result.failed) == (3, 1)
    failed = next(iter(result.errors))
    assert (
        failed.index == 2 and failed.status == "failed" and "Service unavailable." in failed.message
    )
    assert [len(call) for call in server.calls] == [4, 2, 1]  # only K1 and K2 were sent again
    assert result.retries == 3


@pytest.mark.parametrize(
    "bad", ["not an object", {"code": "201"}, {"code": 201, "status": "Error"}, {"code": 302}]
)
async def test_an_unreadable_sub_response_fails_its_item_only(bad: Any) -> None:
    def answer(sub: Sub, attempt: int) -> Sub:
        return bad if key_of(sub) == "K1" else envelope(202, {"id": 1})

    async with Scripted(answer).client(upsert_order="update-first") as co:
        result = await co.customers.bulk_upsert([customer(i) for i in range(3)])
    assert (result.accepted, result.failed) == (2, 1)
    assert next(iter(result.errors)).index == 1


async def test_a_sub_request_refused_for_authentication_stops_the_run() -> None:
    def answer(sub: Sub, attempt: int) -> Sub:
        return (
            envelope(401, False, "Invalid or incorrect authorization")
            if key_of(sub) == "K1"
            else envelope(202, {"id": 1})
        )

    server = Scripted(answer)
    async with server.client(upsert_order="update-first") as co:
        result = await co.customers.bulk_upsert([customer(i) for i in range(60)], concurrency=1)
    assert isinstance(result.stopped_by, nf.AuthenticationError)
    assert result.failed == 1 and result.accepted == 24 and result.not_sent == 35
    assert_accounted(result, 60)


async def test_a_bulk_answer_of_the_wrong_length_fails_the_chunk() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=envelope(200, {"_bulk": [envelope(202, {"id": 1})]}))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with ChargeOverClient("p", "q", base_url=INSTANCE, http_client=http) as co:
        result = await co.customers.bulk_upsert([customer(i) for i in range(3)])
    assert result.failed == 3 and "1 results for 3 requests" in next(iter(result.errors)).message


@pytest.mark.parametrize("outer", [400, 500, 207])
async def test_per_request_answers_are_folded_whatever_the_outer_status(outer: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        subs = json.loads(request.content)
        answers = [envelope(202, {"id": 1}), envelope(400, False, "Nope.")][: len(subs)]
        body = envelope(400 if outer != 207 else 200, {"_bulk": answers}, "One or more failed.")
        return httpx.Response(outer, json=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with ChargeOverClient(
        "p",
        "q",
        base_url=INSTANCE,
        http_client=http,
        retry_policy=policy(),
        upsert_order="update-first",
    ) as co:
        result = await co.customers.bulk_upsert([customer(0), customer(1)])
    assert (result.accepted, result.rejected) == (1, 1)
    assert len(calls) == (3 if outer == 500 else 1)  # a 5xx call is first retried as a whole


async def test_chunks_hold_at_most_25_sub_requests() -> None:
    server = Scripted(lambda sub, attempt: envelope(202, {"id": 1}))
    async with server.client(upsert_order="update-first") as co:
        result = await co.customers.bulk_upsert([customer(i) for i in range(60)])
        with pytest.raises(ValueError, match="25"):
            await co.customers.bulk_upsert([customer(0)], chunk_size=26)
    assert result.accepted == 60
    assert sorted(len(call) for call in server.calls) == [10, 25, 25]


async def test_bad_items_are_invalid_by_input_index_and_never_sent() -> None:
    emulator = Emulator()
    items = [customer(i) for i in range(8)]
    items[3] = {"external_key": "K3"}  # no company
    items[5] = {"company": "No key"}
    items[6] = customer(6, bill_country="Chile", tax_ident="76.086.428-4")
    items[7] = customer(7, superuser_emial="a@b.co")
    async with emulator.client() as co:
        result = await co.customers.bulk_upsert(items)
    assert_accounted(result, 8)
    invalid = {error.index: error for error in result.errors}
    assert set(invalid) == {3, 5, 6, 7} and all(e.status == "invalid" for e in invalid.values())
    assert invalid[3].key == "K3" and invalid[3].errors == {
        "company": ["required field is missing"]
    }
    assert "external_key" in invalid[5].errors and invalid[5].key is None
    assert "Chilean RUT" in invalid[6].errors["tax_ident"][0]
    assert "did you mean 'superuser_email'" in invalid[7].errors["superuser_emial"][0]
    assert sorted(r["external_key"] for r in emulator.customers.values()) == [
        "K0",
        "K1",
        "K2",
        "K4",
    ]


# -- against the emulator -----------------------------------------------------------------


async def test_a_second_run_updates_instead_of_duplicating() -> None:
    emulator = Emulator(seed=1)
    rows = list(sample_customers(120, seed=4))
    async with emulator.client() as co:
        first = await co.customers.bulk_upsert(rows)
        changed = [{**row, "bill_city": "Duluth"} for row in rows]
        second = await co.customers.bulk_upsert(changed)
        listed = [c async for c in co.customers.list(page_size=50)]
    assert first.ok and second.ok
    assert len(emulator.customers) == 120 and len(listed) == 120
    assert {c.bill_city for c in listed} == {"Duluth"}


@pytest.mark.parametrize("order", ["update-first", "create-first", "auto"])
async def test_exactly_one_customer_per_key_after_lost_answers(order: str) -> None:
    """Whole `_bulk` calls processed but their answers lost, sub-requests applied but answered
    500, plus throttling and failures: every run ends with one customer per external_key."""
    emulator = Emulator(
        seed=7,
        lost_rate=0.25,
        drop_rate=0.05,
        throttle_rate=0.05,
        fail_rate=0.05,
        bulk_item_lost_rate=0.2,
        bulk_item_throttle_rate=0.05,
    )
    rows = list(sample_customers(300, seed=8))
    rows += rows[:40]  # the same keys again in the same run
    async with emulator.client(retry_policy=policy(8), upsert_order=order) as co:
        for _ in range(3):
            result = await co.customers.bulk_upsert(rows, concurrency=6)
            assert_accounted(result, len(rows))
            assert result.accepted > 0.8 * len(rows)
    keys = Counter(record["external_key"] for record in emulator.customers.values())
    assert len(keys) == 300 and set(keys.values()) == {1}
    lost = [r for r in emulator.requests if r.fault == "lost"]
    assert lost  # the faults did happen
    for row in rows[:300]:
        stored = emulator.customer(row["external_key"])
        assert stored is not None and stored["company"] == row["company"]


# -- property: every item in exactly one state, whatever the server does ------------------


class Mangler(httpx.AsyncBaseTransport):
    """Passes requests to the emulator, then sometimes spoils what comes back: an unreadable
    body, a `_bulk` list one short, a garbled sub-response, a 401 (all after the emulator
    applied the request, like a lost answer)."""

    KINDS = ("pass", "garbage", "short", "garbled", "unauthorized")

    def __init__(self, emulator: Emulator, weights: list[int], seed: int) -> None:
        self._inner = emulator.transport()
        self._weights = weights
        self._rng = random.Random(seed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        kind = self._rng.choices(self.KINDS, self._weights)[0]
        if kind == "pass" or response.status_code != 200:
            return response
        body = json.loads(await response.aread())
        if kind == "garbage":
            return httpx.Response(200, content=b"<html>oops</html>")
        if kind == "unauthorized":
            return httpx.Response(
                401, json=envelope(401, False, "Invalid or incorrect authorization")
            )
        answers = body["response"]["_bulk"]
        if kind == "short":
            answers.pop()
        else:
            answers[self._rng.randrange(len(answers))] = {"code": "?"}
        return httpx.Response(200, json=body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(0, 120),
    rates=st.lists(st.sampled_from([0.0, 0.03, 0.08, 0.15]), min_size=6, max_size=6),
    mangling=st.lists(st.integers(0, 3), min_size=4, max_size=4),
    seed=st.integers(0, 2**16),
    concurrency=st.integers(1, 5),
    chunk_size=st.integers(1, 25),
    order=st.sampled_from(["auto", "update-first", "create-first"]),
    invalid_every=st.integers(0, 9),
)
def test_every_item_ends_in_exactly_one_state(
    count: int,
    rates: list[float],
    mangling: list[int],
    seed: int,
    concurrency: int,
    chunk_size: int,
    order: str,
    invalid_every: int,
) -> None:
    lost, drop, fail, throttle, item_fail, item_lost = rates
    emulator = Emulator(
        seed=seed,
        lost_rate=lost,
        drop_rate=drop,
        fail_rate=fail,
        throttle_rate=throttle,
        bulk_item_fail_rate=item_fail,
        bulk_item_lost_rate=item_lost,
        bulk_item_throttle_rate=throttle,
    )
    rows: list[dict[str, Any]] = list(sample_customers(count, seed=seed))
    for i in range(0, count, invalid_every or count + 1):
        rows[i] = {**rows[i], "superuser_email": "not-an-address"}
    for i in range(3, count, 7):  # valid here, refused by the server (no such parent)
        rows[i] = {**rows[i], "parent_customer_id": 10**6}
    rows += rows[: count // 5]  # repeated keys
    transport = Mangler(emulator, [20, *mangling], seed)

    async def source() -> AsyncIterator[dict[str, Any]]:
        for row in rows:
            yield row

    async def scenario() -> BulkResult:
        http = httpx.AsyncClient(transport=transport)
        async with ChargeOverClient(
            "emulator-public-key",
            "emulator-private-key",
            base_url="http://emulator.localhost",
            http_client=http,
            retry_policy=policy(3),
            upsert_order=order,  # type: ignore[arg-type]
        ) as co:
            result = await co.customers.bulk_upsert(
                source(), concurrency=concurrency, chunk_size=chunk_size
            )
        await http.aclose()
        return result

    result = anyio.run(scenario)
    n = len(rows)
    assert_accounted(result, n)
    states = {error.index: error.status for error in result.errors}
    for index, row in enumerate(rows):
        if states.get(index) == "invalid":
            assert row["superuser_email"] == "not-an-address"
        if row.get("parent_customer_id"):
            assert states[index] in ("invalid", "rejected", "failed", "not_sent")
        if index not in states:  # accepted: really on the server, with this content
            stored = emulator.customer(row["external_key"])
            assert stored is not None and stored["company"] == row["company"]
    keys = Counter(record["external_key"] for record in emulator.customers.values())
    assert set(keys.values()) <= {1}
    if isinstance(result.stopped_by, nf.AuthenticationError):
        assert result.failed + result.not_sent > 0


async def test_a_journal_skips_unchanged_customers_on_the_next_run(tmp_path: Any) -> None:
    emulator = Emulator()
    rows = list(sample_customers(60, seed=2))
    journal = tmp_path / "journal.sqlite"
    async with emulator.client() as co:
        first = await co.customers.bulk_upsert(rows, journal=journal)
        rows[7] = {**rows[7], "bill_city": "Duluth"}
        second = await co.customers.bulk_upsert(rows, journal=journal)
    assert first.ok and first.skipped == 0
    assert second.ok and second.skipped == 59
    assert second.requests == 2  # one chunk: "auto" tried a create (last seen: new), then updated
    assert len(emulator.customers) == 60
    assert emulator.customer(rows[7]["external_key"])["bill_city"] == "Duluth"  # type: ignore[index]
