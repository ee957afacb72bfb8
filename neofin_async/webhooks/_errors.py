"""Webhook errors, each a `NeofinError`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .._exceptions import NeofinError
from ._signature import DATETIME_HEADER


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
