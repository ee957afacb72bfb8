"""`client.webhooks`: register a destination for a topic."""

from __future__ import annotations

import json

from .._base_client import Resource
from .._urls import require_safe_url
from ..models import MessageResponse
from ..webhooks import WebhookTopic


class Webhooks(Resource):
    """`client.webhooks`: tell Neofin where to deliver events (verify them with
    `neofin_async.webhooks.WebhookVerifier`)."""

    async def register(self, topic: WebhookTopic | str, destination: str) -> MessageResponse:
        """`POST /webhook`: deliver `topic` events to `destination` (https, or http on loopback).

        Not retried: registering twice may create two registrations."""
        topic = WebhookTopic(topic).value
        require_safe_url(destination, "destination")
        body = json.dumps({"topic": topic, "destination": destination}).encode()
        reply = await self._pipeline.request("POST", "/webhook", content=body, retryable=False)
        return MessageResponse.model_validate(reply.data)
