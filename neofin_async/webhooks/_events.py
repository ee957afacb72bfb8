"""Typed webhook events, parsed leniently from the documented payload."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pydantic
import pydantic_core
from pydantic import BaseModel, Field, TypeAdapter, field_validator

from ..models import Number, OutputModel, Text, Timestamp, field_errors
from ._errors import MalformedWebhookError, MissingHeaderError
from ._signature import API_VERSION_HEADER, DATETIME_HEADER, TOPIC_HEADER, WEBHOOK_ID_HEADER
from ._topics import WebhookTopic


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
DATETIME_ADAPTER: TypeAdapter[datetime | None] = TypeAdapter(Timestamp)


def fold_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased names to stripped values, from a dict, `httpx.Headers` or Starlette headers."""
    return {
        name.lower(): value.strip()
        for name, value in headers.items()
        if isinstance(name, str) and isinstance(value, str)
    }


def parse_folded(raw_body: bytes, headers: dict[str, str]) -> WebhookEvent:
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
    return parse_folded(raw_body, fold_headers(headers))
