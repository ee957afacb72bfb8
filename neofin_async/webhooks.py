"""Webhook signatures: base64 HMAC-SHA256 of the raw body, keyed with the secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["sign", "verify_signature"]


def sign(raw_body: bytes, secret_key: str) -> str:
    """The `X-Neofin-Hmac-SHA256` value for `raw_body`."""
    digest = hmac.new(secret_key.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(raw_body: bytes, signature_header: str | None, secret_key: str) -> bool:
    """True when `signature_header` is the signature of `raw_body`; constant-time comparison."""
    if not signature_header:
        return False
    return hmac.compare_digest(sign(raw_body, secret_key), signature_header.strip())
