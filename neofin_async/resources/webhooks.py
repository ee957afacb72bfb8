"""`client.webhooks`: register a destination for a topic."""

from __future__ import annotations

import json
from enum import Enum

from .._urls import require_safe_url
from ..models import MessageResponse
from ._base import Resource


class WebhookTopic(str, Enum):
    CREATED = "payments/created"
    REGISTERED = "payments/registered"
    OVERDUE = "payments/overdue"
    PAID = "payments/paid"
    CANCELLED = "payments/cancelled"


class Webhooks(Resource):
    async def register(self, topic: WebhookTopic | str, destination: str) -> MessageResponse:
        """`POST /webhook`: deliver `topic` events to `destination` (https, or http on loopback).

        Not retried: registering twice may create two registrations."""
        topic = WebhookTopic(topic).value
        require_safe_url(destination, "destination")
        body = json.dumps({"topic": topic, "destination": destination}).encode()
        return MessageResponse.model_validate(
            await self._transport.request("POST", "/webhook", content=body, retryable=False)
        )
