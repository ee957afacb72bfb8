"""Webhook deliveries: signatures, typed events, replay protection and deduplication.

    verify_signature(raw_body, signature, secret_key)      the HMAC check alone
    parse_event(raw_body, headers)                         a typed event, not verified
    WebhookVerifier(secret_key).verify(raw_body, headers)  every check, then the event

Neofin signs the raw body only (base64 HMAC-SHA256 keyed with the account's secret key), so
the `X-Neofin-*` headers are not authenticated: the time window and the deduplication on
`X-Neofin-Webhook-ID` stop Neofin's own retries and naive replays, not an attacker who
rewrites headers. Keep handlers idempotent (e.g. keyed on `payment_number` + `payment_status`).

    WebhookError                   (a NeofinError)
    ├── InvalidSignatureError      the signature is missing or does not match the body
    ├── MissingHeaderError         required X-Neofin-* headers are absent; `names` lists them
    ├── MalformedWebhookError      the body is not a JSON object of the documented shape,
    │                              or X-Neofin-Datetime is not a date-time
    ├── StaleWebhookError          X-Neofin-Datetime is outside the accepted window
    └── DuplicateWebhookError      this webhook id was handled already (or is being handled)

Exception texts never contain the secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import anyio
import pydantic
import pydantic_core
from pydantic import BaseModel, Field, TypeAdapter, field_validator

from ._constants import ENV_SECRET_KEY
from ._exceptions import ConfigurationError, NeofinError
from .models._base import OutputModel, field_errors
from .models._types import Number, Text, Timestamp
from .resources.webhooks import WebhookTopic

__all__ = [
    "API_VERSION_HEADER",
    "DATETIME_HEADER",
    "DEFAULT_TOLERANCE",
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "TOPIC_HEADER",
    "WEBHOOK_ID_HEADER",
    "Danfe",
    "Deduplicator",
    "DuplicateWebhookError",
    "EventData",
    "InvalidSignatureError",
    "MalformedWebhookError",
    "MissingHeaderError",
    "PaymentCancelled",
    "PaymentCreated",
    "PaymentData",
    "PaymentEvent",
    "PaymentOverdue",
    "PaymentPaid",
    "PaymentRegistered",
    "StaleWebhookError",
    "WebhookError",
    "WebhookEvent",
    "WebhookVerifier",
    "parse_event",
    "sign",
    "signed_headers",
    "verify_signature",
]

TOPIC_HEADER = "X-Neofin-Topic"
SIGNATURE_HEADER = "X-Neofin-Hmac-SHA256"
WEBHOOK_ID_HEADER = "X-Neofin-Webhook-ID"
DATETIME_HEADER = "X-Neofin-Datetime"
API_VERSION_HEADER = "X-Neofin-API-Version"

DEFAULT_TOLERANCE = 300.0  # seconds either side of X-Neofin-Datetime
DEFAULT_DEDUPE_SIZE = 10_000  # webhook ids remembered
DEFAULT_DEDUPE_TTL = 3600.0  # seconds; Neofin's last retry comes about 25 minutes after the first
DEFAULT_API_VERSION = "2023-07"


# -- errors --------------------------------------------------------------------------------


class WebhookError(NeofinError):
    """A webhook delivery was refused."""


class InvalidSignatureError(WebhookError):
    """`X-Neofin-Hmac-SHA256` is missing or is not the signature of the body."""


class MissingHeaderError(WebhookError):
    """Required `X-Neofin-*` headers are absent; `names` lists them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        super().__init__("missing webhook header(s): " + ", ".join(self.names))


class MalformedWebhookError(WebhookError, ValueError):
    """The body is not a JSON object of the expected shape, or a header value is unusable."""


class StaleWebhookError(WebhookError):
    """`X-Neofin-Datetime` is further from now than the verifier's tolerance."""

    def __init__(self, sent_at: datetime, skew: float, tolerance: float) -> None:
        self.sent_at = sent_at
        self.skew = skew
        when = f"{skew:.0f} s old" if skew >= 0 else f"{-skew:.0f} s in the future"
        super().__init__(
            f"{DATETIME_HEADER} {sent_at.isoformat()} is {when} (tolerance {tolerance:g} s)"
        )


class DuplicateWebhookError(WebhookError):
    """This webhook id was handled already, or (`in_flight`) is being handled right now."""

    def __init__(self, webhook_id: str, *, in_flight: bool) -> None:
        self.webhook_id = webhook_id
        self.in_flight = in_flight
        state = "is being handled" if in_flight else "was handled already"
        super().__init__(f"webhook {webhook_id!r} {state}")


# -- signatures ----------------------------------------------------------------------------


def sign(raw_body: bytes, secret_key: str) -> str:
    """The `X-Neofin-Hmac-SHA256` value for `raw_body`."""
    digest = hmac.new(secret_key.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(raw_body: bytes, signature_header: str | None, secret_key: str) -> bool:
    """True when `signature_header` is the signature of `raw_body`; constant-time comparison.

    An empty secret key verifies nothing (anyone can compute an HMAC with an empty key).
    """
    if not signature_header or not secret_key:
        return False
    expected = sign(raw_body, secret_key).encode()
    return hmac.compare_digest(expected, signature_header.strip().encode("utf-8", "replace"))


def signed_headers(
    raw_body: bytes,
    secret_key: str,
    *,
    topic: WebhookTopic | str,
    webhook_id: str | None = None,
    sent_at: datetime | None = None,
    api_version: str = DEFAULT_API_VERSION,
) -> dict[str, str]:
    """The headers Neofin sends with `raw_body`: for the emulator and for testing your handlers."""
    moment = sent_at or datetime.now(timezone.utc)
    return {
        "Content-Type": "application/json",
        "User-Agent": "neofin-webhook",
        TOPIC_HEADER: topic.value if isinstance(topic, WebhookTopic) else topic,
        SIGNATURE_HEADER: sign(raw_body, secret_key),
        WEBHOOK_ID_HEADER: webhook_id or str(uuid.uuid4()),
        DATETIME_HEADER: moment.isoformat(timespec="seconds"),
        API_VERSION_HEADER: api_version,
    }


# -- events --------------------------------------------------------------------------------


class Danfe(OutputModel):
    """An invoice document (DANFE) attached to a payment."""

    number: Text = None
    url: Text = None


class EventData(OutputModel):
    """A payload of a topic this library does not know: every field is kept as sent."""


class PaymentData(EventData):
    """The payload of a `payments/*` delivery: one installment of a billing, flat.

    Amounts are integer centavos (`"15000"` -> 15000), dates aware datetimes; fields this
    model does not name are kept (`model_extra`).
    """

    id: Text = None
    integration_identifier: Text = None
    external_identifier: Text = None
    billing_url: Text = None
    payment_number: Text = None
    payment_status: Text = None
    payment_method: Text = None
    payment_amount: Number = None
    billing_amount: Number = None
    installment: Text = None
    description: Text = None
    due_date: Timestamp = None
    issued_at: Timestamp = None
    fine: Number = None
    fees: Number = None
    discount_before_payment: Number = None
    discount_before_payment_due_date: Number = None  # unit undocumented (see neofin-api.md §6)
    paid_amount: Number = None
    paid_at: Timestamp = None
    paid_method: Text = None
    customer_name: Text = None
    customer_document: Text = None
    customer_mail: Text = None
    customer_phone: Text = None
    address_street: Text = None
    address_number: Text = None
    address_complement: Text = None
    address_neighborhood: Text = None
    address_zip_code: Text = None
    address_city: Text = None
    address_state: Text = None
    os_code: Text = None
    os_identifier: Text = None
    nf_url: Text = None
    rps: Text = None
    danfe: list[Danfe] = Field(default_factory=list)

    @field_validator("danfe", mode="before")
    @classmethod
    def _danfe_list(cls, value: Any) -> Any:
        if value is None or value == "":
            return []
        return [value] if isinstance(value, dict) else value


class WebhookEvent(BaseModel):
    """A delivery: its metadata from the `X-Neofin-*` headers and its payload in `data`.

    Events of an unknown topic are of this class; known topics have a subclass each.
    """

    topic: str
    webhook_id: str | None = None
    sent_at: Timestamp = None
    api_version: str | None = None
    data: EventData


class PaymentEvent(WebhookEvent):
    """Any `payments/*` delivery."""

    data: PaymentData


class PaymentCreated(PaymentEvent):
    """`payments/created`: a billing was created (status pending)."""


class PaymentRegistered(PaymentEvent):
    """`payments/registered`: registered at the bank; barcode and QR code available."""


class PaymentOverdue(PaymentEvent):
    """`payments/overdue`: the due date passed without payment."""


class PaymentPaid(PaymentEvent):
    """`payments/paid`: paid; `data.paid_amount`, `data.paid_at`, `data.paid_method`."""


class PaymentCancelled(PaymentEvent):
    """`payments/cancelled`: the billing was cancelled."""


EVENT_TYPES: Mapping[str, type[WebhookEvent]] = {
    WebhookTopic.CREATED.value: PaymentCreated,
    WebhookTopic.REGISTERED.value: PaymentRegistered,
    WebhookTopic.OVERDUE.value: PaymentOverdue,
    WebhookTopic.PAID.value: PaymentPaid,
    WebhookTopic.CANCELLED.value: PaymentCancelled,
}
_DATETIME: TypeAdapter[datetime | None] = TypeAdapter(Timestamp)


def _fold(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased names to stripped values, from a dict, `httpx.Headers` or Starlette headers."""
    return {
        name.lower(): value.strip()
        for name, value in headers.items()
        if isinstance(name, str) and isinstance(value, str)
    }


def _parse(raw_body: bytes, headers: dict[str, str]) -> WebhookEvent:
    topic = headers.get(TOPIC_HEADER.lower())
    if not topic:
        raise MissingHeaderError([TOPIC_HEADER])
    try:
        payload = pydantic_core.from_json(raw_body)
    except ValueError as exc:
        raise MalformedWebhookError(f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedWebhookError(f"the body must be a JSON object, not {type(payload).__name__}")
    event_type = EVENT_TYPES.get(topic.lower(), WebhookEvent)
    try:
        return event_type.model_validate(
            {
                "topic": topic,
                "webhook_id": headers.get(WEBHOOK_ID_HEADER.lower()) or None,
                "sent_at": headers.get(DATETIME_HEADER.lower()) or None,
                "api_version": headers.get(API_VERSION_HEADER.lower()) or None,
                "data": payload,
            }
        )
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in field_errors(exc, event_type).items()
        )
        raise MalformedWebhookError(f"unexpected {topic[:64]} payload: {problems}") from None


def parse_event(raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """The typed event of a delivery, without checking its signature (see `WebhookVerifier`).

    `headers` is any mapping (names are matched case-insensitively); only `X-Neofin-Topic`
    is required. Raises `MissingHeaderError` or `MalformedWebhookError`.
    """
    return _parse(raw_body, _fold(headers))


# -- deduplication -------------------------------------------------------------------------

Claim = Literal["new", "in_flight", "done"]


class Deduplicator:
    """Remembers recent webhook ids in memory: at most `maxsize`, each for `ttl` seconds.

    An id is claimed when a delivery arrives, then completed (handled) or released (failed,
    so Neofin's retry is accepted). Safe across tasks and threads. It is per process: with
    several workers, subclass it and override the three methods with a shared store.
    """

    def __init__(
        self,
        maxsize: int = DEFAULT_DEDUPE_SIZE,
        ttl: float = DEFAULT_DEDUPE_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1 or ttl <= 0:
            raise ValueError("maxsize must be at least 1 and ttl positive")
        self.maxsize = maxsize
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bool]] = OrderedDict()  # expiry, done
        self._lock = threading.Lock()

    async def claim(self, webhook_id: str) -> Claim:
        """`"new"` (now claimed), or the state of an earlier claim: `"in_flight"` / `"done"`."""
        with self._lock:
            now = self._clock()
            while self._entries:
                oldest, (expires, _) = next(iter(self._entries.items()))
                if expires > now:
                    break
                del self._entries[oldest]
            entry = self._entries.get(webhook_id)
            if entry is not None:
                return "done" if entry[1] else "in_flight"
            self._store(webhook_id, now, done=False)
            return "new"

    async def complete(self, webhook_id: str) -> None:
        """The delivery was handled: later copies are duplicates."""
        with self._lock:
            self._store(webhook_id, self._clock(), done=True)

    async def release(self, webhook_id: str) -> None:
        """The delivery failed: forget it so a retry is handled."""
        with self._lock:
            self._entries.pop(webhook_id, None)

    def _store(self, webhook_id: str, now: float, *, done: bool) -> None:
        self._entries[webhook_id] = (now + self.ttl, done)
        self._entries.move_to_end(webhook_id)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Deduplicator(maxsize={self.maxsize}, ttl={self.ttl:g})"


# -- the verifier --------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class WebhookVerifier:
    """Checks deliveries: signature, headers, time window, payload, and duplicates.

    `secret_key` falls back to `NEOFIN_SECRET_KEY`. `tolerance` (seconds or a timedelta;
    None turns the check off) bounds the distance between `X-Neofin-Datetime` and `now()`
    either way. `dedupe` is a `Deduplicator`, True for an in-memory one, False for none.
    """

    def __init__(
        self,
        secret_key: str | None = None,
        *,
        tolerance: float | timedelta | None = DEFAULT_TOLERANCE,
        dedupe: Deduplicator | bool = True,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        secret_key = secret_key or os.environ.get(ENV_SECRET_KEY)
        if not secret_key:
            raise ConfigurationError(
                f"Missing webhook secret key (argument secret_key= or environment variable "
                f"{ENV_SECRET_KEY}): Neofin signs deliveries with the account's secret key."
            )
        self._secret_key = secret_key
        if isinstance(tolerance, timedelta):
            tolerance = tolerance.total_seconds()
        if tolerance is not None and tolerance < 0:
            raise ValueError("tolerance must not be negative")
        self.tolerance = tolerance
        self.dedupe: Deduplicator | None = None
        if isinstance(dedupe, Deduplicator):
            self.dedupe = dedupe
        elif dedupe:
            self.dedupe = Deduplicator()
        self._now = now

    def authenticate(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Signature, required headers, time window and payload; no deduplication."""
        folded = _fold(headers)
        signature = folded.get(SIGNATURE_HEADER.lower())
        if not signature:
            raise InvalidSignatureError(f"the {SIGNATURE_HEADER} header is missing")
        if not verify_signature(raw_body, signature, self._secret_key):
            raise InvalidSignatureError(
                f"{SIGNATURE_HEADER} does not match the body (is the secret key the right one?)"
            )
        required = [TOPIC_HEADER]
        if self.tolerance is not None:
            required.append(DATETIME_HEADER)
        if self.dedupe is not None:
            required.append(WEBHOOK_ID_HEADER)
        missing = [name for name in required if not folded.get(name.lower())]
        if missing:
            raise MissingHeaderError(missing)
        if self.tolerance is not None:
            self._check_time(folded[DATETIME_HEADER.lower()], self.tolerance)
        return _parse(raw_body, folded)

    async def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """`authenticate`, then refuse a webhook id seen before (`DuplicateWebhookError`).

        The id counts as handled at once; if handling then fails, `forget` it so Neofin's
        retry is accepted, or use `receive`, which does that for you.
        """
        event = self.authenticate(raw_body, headers)
        if self.dedupe is not None:
            await self._claim(event)
            await self.dedupe.complete(_id(event))
        return event

    @asynccontextmanager
    async def receive(
        self, raw_body: bytes, headers: Mapping[str, str]
    ) -> AsyncIterator[WebhookEvent]:
        """`async with verifier.receive(body, headers) as event:` handle it inside the block.

        The webhook id is claimed on entry (a copy arriving meanwhile is an in-flight
        duplicate), marked handled when the block succeeds and forgotten when it raises.
        """
        event = self.authenticate(raw_body, headers)
        if self.dedupe is None:
            yield event
            return
        await self._claim(event)
        try:
            yield event
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.dedupe.release(_id(event))
            raise
        await self.dedupe.complete(_id(event))

    async def forget(self, event: WebhookEvent) -> None:
        """Accept this event's webhook id again (its handling failed)."""
        if self.dedupe is not None and event.webhook_id:
            await self.dedupe.release(event.webhook_id)

    async def _claim(self, event: WebhookEvent) -> None:
        assert self.dedupe is not None
        state = await self.dedupe.claim(_id(event))
        if state != "new":
            raise DuplicateWebhookError(_id(event), in_flight=state == "in_flight")

    def _check_time(self, header: str, tolerance: float) -> None:
        sent_at = _DATETIME.validate_python(header)
        if sent_at is None:
            raise MalformedWebhookError(f"{DATETIME_HEADER} is not a date-time: {header[:64]!r}")
        now = self._now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        skew = (now - sent_at).total_seconds()
        if abs(skew) > tolerance:
            raise StaleWebhookError(sent_at, skew, tolerance)

    def __repr__(self) -> str:
        return f"WebhookVerifier(tolerance={self.tolerance!r}, dedupe={self.dedupe!r})"


def _id(event: WebhookEvent) -> str:
    assert event.webhook_id is not None  # required whenever deduplication is on
    return event.webhook_id
