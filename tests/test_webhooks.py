"""Webhooks: signatures, typed events, the time window, deduplication, and garbage input."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from conftest import SECRET_KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

import neofin_async as nf
from neofin_async import webhooks as wh
from neofin_async._constants import WEBHOOK_API_VERSION
from neofin_async.webhooks import (
    Deduplicator,
    DuplicateWebhookError,
    InvalidSignatureError,
    MalformedWebhookError,
    MissingHeaderError,
    StaleWebhookError,
    WebhookError,
    WebhookVerifier,
    parse_event,
    sign,
    signed_headers,
    verify_signature,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)

# The documented payload (neofin-api.md section 3), as Neofin renders it.
PAYLOAD: dict[str, Any] = {
    "id": "6f1c1a55-2f0e-4b55-9a44-6b1f1f7a1d10",
    "customer_name": "Maria Silva",
    "customer_document": "52998224725",
    "customer_mail": "maria@example.com",
    "customer_phone": "+5511987654321",
    "address_street": "Rua A",
    "address_number": "100",
    "address_complement": "",
    "address_neighborhood": "Centro",
    "address_zip_code": "01005000",
    "address_city": "São Paulo",
    "address_state": "SP",
    "billing_amount": "15000",
    "payment_number": "11111999999999-1",
    "payment_method": "bolepix",
    "payment_status": "pending",
    "payment_amount": "15000",
    "description": "Mensalidade",
    "installment": "1/1",
    "fine": 0.0,
    "fees": 0.0,
    "discount_before_payment_due_date": 1681757667,
    "discount_before_payment": 0.0,
    "due_date": 1681959600,
    "issued_at": 1681781894,
    "external_identifier": "1234",
    "os_code": None,
    "os_identifier": None,
    "nf_url": None,
    "danfe": [{"number": 123, "url": "https://example.com/danfe.pdf"}],
    "rps": "https://example.com/rps.pdf",
}


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def delivery(
    payload: Any = None,
    *,
    topic: str = "payments/created",
    webhook_id: str = "wh-1",
    sent_at: datetime = NOW,
    secret_key: str = SECRET_KEY,
) -> tuple[bytes, dict[str, str]]:
    raw = body_of(PAYLOAD if payload is None else payload)
    headers = signed_headers(raw, secret_key, topic=topic, webhook_id=webhook_id, sent_at=sent_at)
    return raw, headers


def verifier(**options: Any) -> WebhookVerifier:
    return WebhookVerifier(SECRET_KEY, now=lambda: NOW, **options)


def assert_no_secret(exc: BaseException) -> None:
    assert SECRET_KEY not in str(exc)
    assert SECRET_KEY not in repr(exc)


# -- signatures ----------------------------------------------------------------------------


def test_signature_round_trip() -> None:
    raw = b'{"a":1}'
    signature = sign(raw, SECRET_KEY)
    assert verify_signature(raw, signature, SECRET_KEY)
    assert verify_signature(raw, f"  {signature}\n", SECRET_KEY)


@pytest.mark.parametrize(
    ("raw", "signature", "key"),
    [
        (b'{"a":2}', sign(b'{"a":1}', SECRET_KEY), SECRET_KEY),  # body changed
        (b'{"a":1}', sign(b'{"a":1}', "another-key"), SECRET_KEY),  # wrong key
        (b'{"a":1}', None, SECRET_KEY),
        (b'{"a":1}', "", SECRET_KEY),
        (b'{"a":1}', "não-ascii-ção", SECRET_KEY),
        (b'{"a":1}', "\ud800", SECRET_KEY),  # lone surrogate
        (b'{"a":1}', sign(b'{"a":1}', ""), ""),  # an empty key verifies nothing
    ],
)
def test_bad_signatures_are_refused(raw: bytes, signature: str | None, key: str) -> None:
    assert verify_signature(raw, signature, key) is False


def test_signature_is_base64_hmac_sha256() -> None:
    # Independent computation: echo -n '{}' | openssl dgst -sha256 -hmac key -binary | base64
    assert sign(b"{}", "key") == "p3dyTZQ+tI3Gm8qKSm1XoE2z+ex+HeTlgehgJlvfMDI="


# -- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "event_type"),
    [
        ("payments/created", wh.PaymentCreated),
        ("payments/registered", wh.PaymentRegistered),
        ("payments/overdue", wh.PaymentOverdue),
        ("payments/paid", wh.PaymentPaid),
        ("payments/cancelled", wh.PaymentCancelled),
        ("Payments/Paid", wh.PaymentPaid),
    ],
)
def test_each_topic_has_its_event_type(topic: str, event_type: type[wh.WebhookEvent]) -> None:
    event = parse_event(*delivery(topic=topic))
    assert type(event) is event_type
    assert isinstance(event, wh.PaymentEvent)
    assert event.topic == topic


def test_payload_fields_are_coerced_leniently() -> None:
    event = parse_event(*delivery())
    assert isinstance(event, wh.PaymentCreated)
    data = event.data
    assert data.billing_amount == 15000 and isinstance(data.billing_amount, int)
    assert data.payment_amount == 15000
    assert data.fine == 0 and data.fees == 0 and data.discount_before_payment == 0
    assert data.due_date == datetime(2023, 4, 20, 3, 0, tzinfo=timezone.utc)
    assert data.issued_at is not None and data.issued_at.tzinfo is not None
    assert data.payment_number == "11111999999999-1"
    assert data.external_identifier == "1234"
    assert data.os_code is None
    assert data.danfe == [wh.Danfe(number="123", url="https://example.com/danfe.pdf")]


def test_delivery_metadata_comes_from_the_headers() -> None:
    raw, headers = delivery(webhook_id="0b6e3c1c-uuid")
    event = parse_event(raw, headers)
    assert event.webhook_id == "0b6e3c1c-uuid"
    assert event.sent_at == NOW
    assert event.api_version == WEBHOOK_API_VERSION


def test_neofin_style_datetime_header_with_offset() -> None:
    raw, headers = delivery()
    headers[wh.DATETIME_HEADER] = "2026-03-10T09:00:00-03:00"
    assert parse_event(raw, headers).sent_at == NOW
    verifier().authenticate(raw, headers)


def test_paid_fields() -> None:
    payload = {
        **PAYLOAD,
        "payment_status": "paid",
        "integration_identifier": "order-1",
        "paid_amount": "15000",
        "paid_at": 1681960000,
        "paid_method": "pix",
        "billing_url": "https://app.neofin.com.br/pay?billing=11111999999999",
    }
    event = parse_event(*delivery(payload, topic="payments/paid"))
    assert isinstance(event, wh.PaymentPaid)
    assert event.data.paid_amount == 15000
    assert event.data.paid_at == datetime.fromtimestamp(1681960000, tz=timezone.utc)
    assert event.data.paid_method == "pix"
    assert event.data.integration_identifier == "order-1"


def test_unknown_fields_are_kept() -> None:
    event = parse_event(*delivery({**PAYLOAD, "new_field": {"x": 1}}))
    assert event.data.model_extra == {"new_field": {"x": 1}}
    assert event.data.model_dump()["new_field"] == {"x": 1}


def test_unknown_topic_parses_into_a_generic_event() -> None:
    event = parse_event(*delivery({"anything": [1, 2], "amount": "5"}, topic="invoices/issued"))
    assert type(event) is wh.WebhookEvent
    assert type(event.data) is wh.EventData
    assert event.topic == "invoices/issued"
    assert event.data.model_extra == {"anything": [1, 2], "amount": "5"}


def test_empty_and_odd_values_are_tolerated() -> None:
    payload = {"billing_amount": "", "due_date": "", "danfe": None, "installment": 1, "fine": "0.0"}
    event = parse_event(*delivery(payload))
    assert isinstance(event, wh.PaymentEvent)
    assert event.data.billing_amount is None
    assert event.data.due_date is None
    assert event.data.danfe == []
    assert event.data.installment == "1"
    assert event.data.fine == 0


def test_absurd_timestamps_do_not_crash() -> None:
    event = parse_event(*delivery({"due_date": 10**30, "paid_at": 1e300, "issued_at": -1e18}))
    assert isinstance(event, wh.PaymentEvent)
    assert event.data.due_date is None and event.data.paid_at is None


@pytest.mark.parametrize(
    "headers",
    [
        {"x-neofin-topic": "payments/paid"},
        {"X-NEOFIN-TOPIC": "payments/paid"},
        httpx.Headers({"X-Neofin-Topic": "payments/paid"}),
        Headers(raw=[(b"x-neofin-topic", b"payments/paid")]),
    ],
)
def test_header_names_are_case_insensitive(headers: Any) -> None:
    assert isinstance(parse_event(body_of(PAYLOAD), headers), wh.PaymentPaid)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[" * 10_000, "not JSON"),
        (b"[1, 2]", "must be a JSON object, not list"),
        (b'"text"', "must be a JSON object, not str"),
        (b"null", "must be a JSON object, not NoneType"),
        (b'{"customer_name": {"a": 1}}', "data.customer_name"),
        (b'{"danfe": "nope"}', "data.danfe"),
    ],
)
def test_malformed_bodies(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhookError, match=message):
        parse_event(raw, {wh.TOPIC_HEADER: "payments/created"})


def test_parse_needs_the_topic() -> None:
    with pytest.raises(MissingHeaderError) as info:
        parse_event(body_of(PAYLOAD), {})
    assert info.value.names == (wh.TOPIC_HEADER,)


# -- the verifier --------------------------------------------------------------------------


async def test_verify_returns_the_typed_event() -> None:
    event = await verifier().verify(*delivery(topic="payments/paid"))
    assert isinstance(event, wh.PaymentPaid)
    assert event.data.billing_amount == 15000


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw, h: (raw + b" ", h),
        lambda raw, h: (raw, {**h, wh.SIGNATURE_HEADER: sign(raw, "wrong-secret")}),
        lambda raw, h: (raw, {k: v for k, v in h.items() if k != wh.SIGNATURE_HEADER}),
        lambda raw, h: (raw, {**h, wh.SIGNATURE_HEADER: ""}),
    ],
)
async def test_bad_signature(tamper: Any) -> None:
    raw, headers = tamper(*delivery())
    with pytest.raises(InvalidSignatureError, match=wh.SIGNATURE_HEADER) as info:
        await verifier().verify(raw, headers)
    assert_no_secret(info.value)


async def test_signature_is_checked_before_anything_else() -> None:
    with pytest.raises(InvalidSignatureError):
        await verifier().verify(b"garbage", {wh.SIGNATURE_HEADER: "x"})


async def test_missing_headers_are_named_together() -> None:
    raw, headers = delivery()
    for name in (wh.TOPIC_HEADER, wh.WEBHOOK_ID_HEADER, wh.DATETIME_HEADER):
        del headers[name]
    with pytest.raises(MissingHeaderError) as info:
        await verifier().verify(raw, headers)
    assert info.value.names == (wh.TOPIC_HEADER, wh.DATETIME_HEADER, wh.WEBHOOK_ID_HEADER)
    assert all(name in str(info.value) for name in info.value.names)
    assert isinstance(info.value, WebhookError) and isinstance(info.value, nf.NeofinError)


async def test_headers_needed_only_by_disabled_checks_are_optional() -> None:
    raw, headers = delivery()
    del headers[wh.WEBHOOK_ID_HEADER], headers[wh.DATETIME_HEADER]
    event = await verifier(tolerance=None, dedupe=False).verify(raw, headers)
    assert event.webhook_id is None and event.sent_at is None


@pytest.mark.parametrize(
    ("sent_at", "ok"),
    [
        (NOW, True),
        (NOW - timedelta(seconds=299), True),
        (NOW + timedelta(seconds=299), True),
        (NOW - timedelta(seconds=301), False),
        (NOW + timedelta(seconds=301), False),
        (NOW - timedelta(days=3), False),
    ],
)
async def test_time_window(sent_at: datetime, ok: bool) -> None:
    raw, headers = delivery(sent_at=sent_at)
    if ok:
        await verifier().verify(raw, headers)
        return
    with pytest.raises(StaleWebhookError, match="tolerance 300 s") as info:
        await verifier().verify(raw, headers)
    assert info.value.sent_at == sent_at
    assert ("future" in str(info.value)) == (sent_at > NOW)


async def test_tolerance_is_configurable() -> None:
    raw, headers = delivery(sent_at=NOW - timedelta(minutes=20))
    await verifier(tolerance=timedelta(minutes=30)).verify(raw, headers)
    with pytest.raises(StaleWebhookError):
        await verifier(tolerance=60).verify(*delivery(sent_at=NOW - timedelta(minutes=2)))
    await verifier(tolerance=None).verify(*delivery(sent_at=NOW - timedelta(days=400)))


async def test_naive_now_counts_as_utc() -> None:
    check = WebhookVerifier(SECRET_KEY, now=lambda: NOW.replace(tzinfo=None))
    await check.verify(*delivery())


async def test_unreadable_datetime_header() -> None:
    raw, headers = delivery()
    headers[wh.DATETIME_HEADER] = "yesterday-ish"
    with pytest.raises(MalformedWebhookError, match=wh.DATETIME_HEADER):
        await verifier().verify(raw, headers)


async def test_malformed_body_with_a_good_signature() -> None:
    raw = b"not json"
    _, headers = delivery()
    headers[wh.SIGNATURE_HEADER] = sign(raw, SECRET_KEY)
    with pytest.raises(MalformedWebhookError):
        await verifier().verify(raw, headers)


async def test_duplicates_are_refused() -> None:
    check = verifier()
    await check.verify(*delivery(webhook_id="a"))
    with pytest.raises(DuplicateWebhookError) as info:
        await check.verify(*delivery(webhook_id="a"))
    assert info.value.webhook_id == "a" and not info.value.in_flight
    await check.verify(*delivery(webhook_id="b"))


async def test_forget_accepts_the_retry() -> None:
    check = verifier()
    event = await check.verify(*delivery(webhook_id="a"))
    await check.forget(event)
    await check.verify(*delivery(webhook_id="a"))


async def test_rejected_deliveries_are_not_remembered() -> None:
    check = verifier()
    raw, headers = delivery(webhook_id="a")
    with pytest.raises(InvalidSignatureError):
        await check.verify(raw + b" ", headers)
    await check.verify(raw, headers)


async def test_receive_completes_on_success() -> None:
    check = verifier()
    async with check.receive(*delivery(webhook_id="a")) as event:
        assert event.webhook_id == "a"
        with pytest.raises(DuplicateWebhookError) as info:
            await check.verify(*delivery(webhook_id="a"))
        assert info.value.in_flight
    with pytest.raises(DuplicateWebhookError) as info:
        await check.verify(*delivery(webhook_id="a"))
    assert not info.value.in_flight


async def test_receive_releases_on_failure() -> None:
    check = verifier()
    with pytest.raises(RuntimeError):
        async with check.receive(*delivery(webhook_id="a")):
            raise RuntimeError("handler failed")
    async with check.receive(*delivery(webhook_id="a")) as event:
        assert event.webhook_id == "a"


async def test_receive_releases_on_cancellation() -> None:
    check = verifier()
    entered = asyncio.Event()

    async def slow_handler() -> None:
        async with check.receive(*delivery(webhook_id="a")):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(slow_handler())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await check.verify(*delivery(webhook_id="a"))


async def test_receive_without_dedupe() -> None:
    check = verifier(dedupe=False)
    for _ in range(2):
        async with check.receive(*delivery(webhook_id="a")) as event:
            assert event.webhook_id == "a"


def test_secret_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(nf.ConfigurationError, match="NEOFIN_SECRET_KEY"):
        WebhookVerifier()
    monkeypatch.setenv("NEOFIN_SECRET_KEY", SECRET_KEY)
    check = WebhookVerifier(now=lambda: NOW)
    assert isinstance(check.authenticate(*delivery()), wh.PaymentCreated)


def test_reprs_hide_the_secret() -> None:
    check = verifier()
    assert SECRET_KEY not in repr(check)
    assert "tolerance=300.0" in repr(check)


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        WebhookVerifier(SECRET_KEY, tolerance=-1)
    with pytest.raises(ValueError, match="maxsize"):
        Deduplicator(maxsize=0)


# -- the deduplicator ----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_deduplicator_states() -> None:
    seen = Deduplicator()
    assert await seen.claim("a") == "new"
    assert await seen.claim("a") == "in_flight"
    await seen.complete("a")
    assert await seen.claim("a") == "done"
    await seen.release("a")
    assert await seen.claim("a") == "new"


async def test_deduplicator_is_bounded() -> None:
    seen = Deduplicator(maxsize=3)
    for key in "abcde":
        assert await seen.claim(key) == "new"
    assert len(seen) == 3
    assert await seen.claim("e") == "in_flight"
    assert await seen.claim("a") == "new"  # the oldest were forgotten


async def test_deduplicator_forgets_after_ttl() -> None:
    clock = Clock()
    seen = Deduplicator(ttl=60, clock=clock)
    await seen.claim("a")
    await seen.complete("a")
    clock.now = 30
    await seen.claim("b")
    clock.now = 59
    assert await seen.claim("a") == "done"
    clock.now = 61
    assert await seen.claim("a") == "new"
    assert await seen.claim("b") == "in_flight"
    clock.now = 200
    assert await seen.claim("c") == "new"
    assert len(seen) == 1


async def test_concurrent_copies_are_claimed_once() -> None:
    check = verifier()
    raw, headers = delivery(webhook_id="same")
    results = await asyncio.gather(
        *(check.verify(raw, headers) for _ in range(20)), return_exceptions=True
    )
    assert sum(isinstance(r, wh.WebhookEvent) for r in results) == 1
    assert all(isinstance(r, (wh.WebhookEvent, DuplicateWebhookError)) for r in results)


# -- garbage in, WebhookError out ----------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
header_names = st.sampled_from(
    [
        wh.TOPIC_HEADER,
        wh.SIGNATURE_HEADER,
        wh.WEBHOOK_ID_HEADER,
        wh.DATETIME_HEADER,
        wh.API_VERSION_HEADER,
        "x-neofin-topic",
        "Content-Type",
    ]
)
garbage_headers = st.dictionaries(header_names | st.text(max_size=20), st.text(max_size=60))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["", "15000", "0.0", "1e999", "2026-03-10", "2026-03-10T12:00:00Z"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
payload_keys = st.sampled_from(sorted(wh.PaymentData.model_fields)) | st.text(max_size=10)
payloads = st.dictionaries(payload_keys, json_values, max_size=8)
topics = st.sampled_from([*wh.EVENT_TYPES, "other/topic", ""]) | st.text(max_size=20)


@FUZZ
@given(raw=st.binary(max_size=200), headers=garbage_headers)
def test_fuzz_unsigned_garbage(raw: bytes, headers: dict[str, str]) -> None:
    check = verifier()
    for attempt in (lambda: parse_event(raw, headers), lambda: check.authenticate(raw, headers)):
        try:
            attempt()
        except WebhookError as exc:
            assert_no_secret(exc)


@FUZZ
@given(payload=payloads | json_values, topic=topics, sent_at=st.text(max_size=30) | st.none())
def test_fuzz_signed_payloads(payload: Any, topic: str, sent_at: str | None) -> None:
    raw = json.dumps(payload).encode()
    headers = signed_headers(raw, SECRET_KEY, topic=topic, sent_at=NOW)
    if sent_at is not None:
        headers[wh.DATETIME_HEADER] = sent_at
    try:
        event = verifier().authenticate(raw, headers)
    except WebhookError as exc:
        assert_no_secret(exc)
    else:
        assert isinstance(event.data, wh.EventData)
        assert event.topic == topic.strip()
