"""`WebhookVerifier`: signature, headers, time window, payload and deduplication in one call."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import anyio

from .._constants import ENV_SECRET_KEY, WEBHOOK_TOLERANCE
from .._exceptions import ConfigurationError
from ._dedupe import Deduplicator
from ._errors import (
    DuplicateWebhookError,
    InvalidSignatureError,
    MalformedWebhookError,
    MissingHeaderError,
    StaleWebhookError,
)
from ._events import DATETIME_ADAPTER, WebhookEvent, fold_headers, parse_folded
from ._signature import (
    DATETIME_HEADER,
    SIGNATURE_HEADER,
    TOPIC_HEADER,
    WEBHOOK_ID_HEADER,
    verify_signature,
)


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
        tolerance: float | timedelta | None = WEBHOOK_TOLERANCE,
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
        folded = fold_headers(headers)
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
        return parse_folded(raw_body, folded)

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
        sent_at = DATETIME_ADAPTER.validate_python(header)
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
