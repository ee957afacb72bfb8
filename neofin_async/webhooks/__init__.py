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

from ._dedupe import Deduplicator
from ._errors import (
    DuplicateWebhookError,
    InvalidSignatureError,
    MalformedWebhookError,
    MissingHeaderError,
    StaleWebhookError,
    WebhookError,
)
from ._events import (
    EVENT_TYPES,
    Danfe,
    EventData,
    PaymentCancelled,
    PaymentCreated,
    PaymentData,
    PaymentEvent,
    PaymentOverdue,
    PaymentPaid,
    PaymentRegistered,
    WebhookEvent,
    parse_event,
)
from ._signature import (
    API_VERSION_HEADER,
    DATETIME_HEADER,
    SIGNATURE_HEADER,
    TOPIC_HEADER,
    WEBHOOK_ID_HEADER,
    sign,
    signed_headers,
    verify_signature,
)
from ._topics import WebhookTopic
from ._verifier import WebhookVerifier

__all__ = [
    "API_VERSION_HEADER",
    "DATETIME_HEADER",
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
    "WebhookTopic",
    "WebhookVerifier",
    "parse_event",
    "sign",
    "signed_headers",
    "verify_signature",
]
