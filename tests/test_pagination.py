"""List endpoints: every page followed through `next_page_token` until it is null."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx
from conftest import API_KEY, SECRET_KEY, Sleeps

import neofin_async as nf


def envelope(key: str, ids: list[str], token: str | None, **extra: Any) -> dict[str, Any]:
    items = [{"integration_identifier": i} for i in ids]
    return {key: items, "next_page_token": token, "count": len(items), **extra}


def tokens(route: respx.Route) -> list[str | None]:
    return [call.request.url.params.get("next_page_token") for call in route.calls]


async def test_items_across_several_pages(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.get("/billing/status/paid")
    route.side_effect = [
        httpx.Response(200, json=envelope("billings", ["a", "b"], "t1")),
        httpx.Response(200, json=envelope("billings", ["c"], "t2")),
        httpx.Response(200, json=envelope("billings", [], "t3")),
        httpx.Response(200, json=envelope("billings", ["d"], None)),
    ]
    ids = [b.integration_identifier async for b in client.billings.list(status="paid")]
    assert ids == ["a", "b", "c", "d"]
    assert tokens(route) == [None, "t1", "t2", "t3"]
    for call in route.calls:
        assert call.request.headers["api-key"] == API_KEY
        assert call.request.headers["secret-key"] == SECRET_KEY


async def test_filters_are_sent_with_every_page(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    route = api.get("/billing/updated_at")
    route.side_effect = [
        httpx.Response(200, json=envelope("billings", ["a"], "next+/=")),
        httpx.Response(200, json=envelope("billings", ["b"], None)),
    ]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    items = [b async for b in client.billings.list_updated(start, "2025-01-02T00:00:00Z")]
    assert len(items) == 2
    first, second = (dict(call.request.url.params) for call in route.calls)
    assert first == {
        "start_datetime": "2025-01-01T00:00:00Z",
        "end_datetime": "2025-01-02T00:00:00Z",
    }
    assert second == {**first, "next_page_token": "next+/="}


async def test_pages_with_count(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.get("/billing/events")
    route.side_effect = [
        httpx.Response(200, json=envelope("events", ["a", "b"], "t1")),
        httpx.Response(200, json=envelope("events", ["c"], None)),
    ]
    pages = [page async for page in client.billings.list_events().pages()]
    assert [p.count for p in pages] == [2, 1]
    assert [p.next_page_token for p in pages] == ["t1", None]
    assert all(isinstance(p, nf.Page) for p in pages)
    assert all(isinstance(e, nf.BillingEvent) for p in pages for e in p.items)
    assert sum(len(p.items) for p in pages) == 3
    assert route.call_count == 2


async def test_count_missing_or_odd(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    api.get("/billing/").respond(200, json={"billings": [{}], "next_page_token": None})
    (page,) = [p async for p in client.billings.list().pages()]
    assert page.count is None and len(page.items) == 1


async def test_list_wrapped_envelope(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.get("/billing/events/order-1")
    route.side_effect = [
        httpx.Response(200, json=[envelope("billings", ["a"], "t1")]),
        httpx.Response(200, json=[envelope("billings", ["b"], None)]),
    ]
    pages = [p async for p in client.billings.list_events("order-1").pages()]
    assert [p.count for p in pages] == [1, 1]
    assert tokens(route) == [None, "t1"]


async def test_events_of_one_billing_under_events_key(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    api.get("/billing/events/order-1").respond(
        200, json={"events": [{"event_type": "x"}], "next_page_token": None, "count": 1}
    )
    events = [e async for e in client.billings.list_events("order-1")]
    assert [e.event_type for e in events] == ["x"]


@pytest.mark.parametrize(
    "body",
    [
        [{"integration_identifier": "a"}, {"integration_identifier": "b"}],
        [{"integration_identifier": "a"}],
        {"items": [{"integration_identifier": "a"}]},
    ],
    ids=["bare-list", "bare-list-of-one", "items-key"],
)
async def test_other_shapes(client: nf.NeofinClient, api: respx.MockRouter, body: Any) -> None:
    api.get("/billing/").respond(200, json=body)
    ids = [b.integration_identifier async for b in client.billings.list()]
    assert ids[0] == "a" and len(ids) == len(body if isinstance(body, list) else body["items"])


@pytest.mark.parametrize(
    "content", [b"", b"{}", b'{"billings":null,"next_page_token":""}', b"[]", b'"x"', b"5"]
)
async def test_empty_answers_end_the_listing(
    client: nf.NeofinClient, api: respx.MockRouter, content: bytes
) -> None:
    route = api.get("/billing/").respond(200, content=content)
    assert [b async for b in client.billings.list()] == []
    assert route.call_count == 1


async def test_repeated_token_stops(
    client: nf.NeofinClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    route = api.get("/billing/")
    route.side_effect = [
        httpx.Response(200, json=envelope("billings", ["a"], "t1")),
        httpx.Response(200, json=envelope("billings", ["b"], "t2")),
        httpx.Response(200, json=envelope("billings", ["c"], "t1")),
        httpx.Response(200, json=envelope("billings", ["never"], None)),
    ]
    with caplog.at_level(logging.WARNING, logger="neofin_async"):
        ids = [b.integration_identifier async for b in client.billings.list()]
    assert ids == ["a", "b", "c"]
    assert route.call_count == 3
    assert any("repeated page token" in r.message for r in caplog.records)


async def test_stopping_early_sends_no_more_requests(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    route = api.get("/billing/").respond(200, json=envelope("billings", ["a", "b"], "more"))
    async for _ in client.billings.list():
        break
    assert route.call_count == 1


async def test_a_pager_can_be_iterated_again(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    route = api.get("/billing/").respond(200, json=envelope("billings", ["a"], None))
    pager = client.billings.list()
    assert [b.integration_identifier async for b in pager] == ["a"]
    assert [b.integration_identifier async for b in pager] == ["a"]
    assert route.call_count == 2
    assert "/billing/" in repr(pager)


async def test_page_requests_are_retried(
    client: nf.NeofinClient, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = api.get("/billing/")
    route.side_effect = [
        httpx.Response(200, json=envelope("billings", ["a"], "t1")),
        httpx.Response(503),
        httpx.Response(200, json=envelope("billings", ["b"], None)),
    ]
    ids = [b.integration_identifier async for b in client.billings.list()]
    assert ids == ["a", "b"]
    assert tokens(route) == [None, "t1", "t1"]
    assert len(sleeps) == 1


async def test_error_on_a_later_page_raises_after_earlier_items(
    client: nf.NeofinClient, api: respx.MockRouter
) -> None:
    route = api.get("/billing/")
    route.side_effect = [
        httpx.Response(200, json=envelope("billings", ["a"], "t1")),
        httpx.Response(403, json={"message": "Invalid API Keys"}),
    ]
    seen: list[str | None] = []
    with pytest.raises(nf.AuthenticationError):
        async for billing in client.billings.list():
            seen.append(billing.integration_identifier)
    assert seen == ["a"]


async def test_paid_installments_pages(client: nf.NeofinClient, api: respx.MockRouter) -> None:
    route = api.get("/billing/installment/by_payment_date")
    route.side_effect = [
        httpx.Response(200, json=envelope("installments", ["1", "2"], "t1")),
        httpx.Response(200, json=envelope("installments", ["3"], None)),
    ]
    pager = client.billings.list_paid_installments("2025-01-18")
    ids = [i.integration_identifier async for i in pager]
    assert ids == ["1", "2", "3"]
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"start_paid_at_date": "2025-01-18"},
        {"start_paid_at_date": "2025-01-18", "next_page_token": "t1"},
    ]
