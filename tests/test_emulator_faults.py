"""Emulator fault injection: seeded and deterministic, per route, decided before any state
change; and in-process, the client sees exactly the errors a socket would give it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import neofin_async as nf
from neofin_async.emulator import (
    DEFAULT_API_KEY,
    DEFAULT_SECRET_KEY,
    IN_PROCESS_BASE_URL,
    Emulator,
    EmulatorConfig,
    EmulatorTransport,
    FaultRule,
    ManualClock,
)

KEYS = {"api-key": DEFAULT_API_KEY, "secret-key": DEFAULT_SECRET_KEY}
START = 1_750_000_000


def billing(identifier: str = "inv-1") -> dict[str, Any]:
    return {
        "integration_identifier": identifier,
        "customer_document": "51491769000190",
        "amount": 15000,
        "due_date": START,
        "installment_type": "custom",
        "installments": 1,
        "type": "pix",
        "by_mail": False,
        "by_whatsapp": True,
    }


def raw_client(emulator: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=emulator.transport(), base_url=IN_PROCESS_BASE_URL, headers=KEYS
    )


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(clock=ManualClock(START), seed=42)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with raw_client(emulator) as client:
        yield client


async def statuses(emulator: Emulator, count: int = 40) -> list[int]:
    async with raw_client(emulator) as http:
        return [(await http.get(f"/billing/integration/i{n}")).status_code for n in range(count)]


async def test_faults_are_deterministic_for_a_seed() -> None:
    first = await statuses(Emulator(seed=42, fail_rate=0.3))
    assert first == await statuses(Emulator(seed=42, fail_rate=0.3))
    assert set(first) == {404, 500}
    assert first != await statuses(Emulator(seed=43, fail_rate=0.3))


@pytest.mark.parametrize(
    ("settings", "status", "content"),
    [
        ({"fail_rate": 1.0}, 500, b'{"message":"Internal server error"}'),
        ({"fail_rate": 1.0, "fail_status": 502}, 502, b'{"message":"Internal server error"}'),
        ({"fail_rate": 1.0, "fail_status": 503}, 503, b'{"message":"Service Unavailable"}'),
        ({"throttle_rate": 1.0, "retry_after": 7}, 429, b'{"message":"Too Many Requests"}'),
        (
            {"hang_rate": 1.0, "hang_seconds": 0.01},
            504,
            b'{"message":"Endpoint request timed out"}',
        ),
    ],
)
async def test_fault_answers(
    emulator: Emulator,
    http: httpx.AsyncClient,
    settings: dict[str, Any],
    status: int,
    content: bytes,
) -> None:
    emulator.configure(**settings)
    response = await http.post("/billing/", json={"billings": [billing()]})
    assert (response.status_code, response.content) == (status, content)
    assert "x-amzn-requestid" in response.headers
    if status == 429:
        assert response.headers["retry-after"] == "7"
    # decided before any state change: the upsert queued nothing
    assert (emulator.queued, emulator.billings) == (0, {})
    assert emulator.requests[-1].fault in {"fail", "throttle", "hang"}


async def test_a_dropped_connection_is_a_protocol_error(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    emulator.configure(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await http.post("/billing/", json={"billings": [billing()]})
    assert emulator.queued == 0
    assert (emulator.requests[-1].status, emulator.requests[-1].fault) == (0, "drop")


async def test_a_hang_outlasts_the_client_timeout(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    emulator.configure(hang_rate=1.0)  # hang_seconds defaults to 60
    with pytest.raises(httpx.ReadTimeout):
        await http.get("/billing/integration/x", timeout=0.05)


async def test_latency_is_added(emulator: Emulator, http: httpx.AsyncClient) -> None:
    emulator.configure(latency_ms=30)
    started = time.perf_counter()
    response = await http.get("/billing/integration/x")
    assert response.status_code == 404
    assert time.perf_counter() - started >= 0.03
    assert emulator.requests[-1].fault is None


async def test_rules_match_method_and_path_prefix(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    emulator.configure(faults=(FaultRule(method="post", path="/billing", fail_rate=1.0),))
    assert (await http.post("/billing/", json={"billings": [billing()]})).status_code == 500
    assert (await http.get("/billing/integration/x")).status_code == 404
    assert (
        await http.post("/customer/", json={"customers": [{"document": "24540707078"}]})
    ).status_code == 202


async def test_the_first_matching_rule_wins_over_the_shorthand(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    emulator.configure(faults=(FaultRule(path="/customer"),), fail_rate=1.0)
    assert (await http.get("/customer/24540707078")).status_code == 404
    assert (await http.get("/billing/integration/x")).status_code == 500


async def test_unknown_routes_are_not_faulted(emulator: Emulator, http: httpx.AsyncClient) -> None:
    emulator.configure(fail_rate=1.0)
    assert (await http.patch("/billing/x")).status_code == 403


def test_fault_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="add up to at most 1"):
        FaultRule(fail_rate=0.6, drop_rate=0.6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        EmulatorConfig(fail_rate=1.5)
    with pytest.raises(ValueError, match="5xx"):
        FaultRule(fail_rate=0.1, fail_status=404)
    with pytest.raises(TypeError):
        Emulator(no_such_setting=1)


async def test_transport_turns_app_crashes_into_500() -> None:
    async def crash(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    async with httpx.AsyncClient(transport=EmulatorTransport(crash)) as http:
        response = await http.get("http://app.localhost/")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


# -- what the client sees ----------------------------------------------------------------------


async def test_client_retries_dropped_connections(emulator: Emulator, sleeps: Sleeps) -> None:
    emulator.configure(drop_rate=1.0)
    client = emulator.client(retry_policy=nf.RetryPolicy(sleep=sleeps))
    with pytest.raises(nf.APIConnectionError) as caught:
        await client.billings.retrieve("inv-1")
    assert not isinstance(caught.value, nf.APITimeoutError)
    assert emulator.request_counts["GET /billing/integration/{integration_identifier}"] == 3
    assert len(sleeps) == 2


async def test_client_times_out_on_a_hang(emulator: Emulator, sleeps: Sleeps) -> None:
    emulator.configure(hang_rate=1.0)
    client = emulator.client(timeout=0.05, max_retries=1, retry_policy=nf.RetryPolicy(sleep=sleeps))
    with pytest.raises(nf.APITimeoutError):
        await client.billings.retrieve("inv-1")
    assert len(emulator.requests) == 2


async def test_client_waits_retry_after_on_429(emulator: Emulator, sleeps: Sleeps) -> None:
    emulator.configure(throttle_rate=1.0, retry_after=7)
    client = emulator.client(retry_policy=nf.RetryPolicy(sleep=sleeps))
    with pytest.raises(nf.RateLimitError) as caught:
        await client.billings.retrieve("inv-1")
    assert caught.value.retry_after == 7.0
    assert sleeps == [7.0, 7.0]


async def test_client_gets_through_a_flaky_emulator_without_duplicates(sleeps: Sleeps) -> None:
    emulator = Emulator(seed=5, fail_rate=0.2, drop_rate=0.2, throttle_rate=0.1)
    client = emulator.client(max_retries=10, retry_policy=nf.RetryPolicy(sleep=sleeps))
    for n in range(20):
        await client.billings.upsert(billing(f"inv-{n}"))
    faults = [r.fault for r in emulator.requests if r.fault]
    assert {"fail", "drop", "throttle"} <= set(faults)
    assert len(emulator.requests) == 20 + len(faults)
    assert len(emulator.billings) == 20
    # a faulted attempt queued nothing: every billing was created once, never updated
    assert {e["event_type"] for e in emulator.events} == {"billing_created", "status_changed"}
    assert len(sleeps) == len(faults)
