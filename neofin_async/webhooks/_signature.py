"""Signatures: base64 HMAC-SHA256 of the raw body, keyed with the secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timezone

from .._constants import WEBHOOK_API_VERSION
from ._topics import WebhookTopic

TOPIC_HEADER = "X-Neofin-Topic"
SIGNATURE_HEADER = "X-Neofin-Hmac-SHA256"
WEBHOOK_ID_HEADER = "X-Neofin-Webhook-ID"
DATETIME_HEADER = "X-Neofin-Datetime"
API_VERSION_HEADER = "X-Neofin-API-Version"


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
    api_version: str = WEBHOOK_API_VERSION,
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
