"""ASGI plumbing shared by the app and the fault injector: bodies, headers, responses."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def dumps(body: Any) -> bytes:
    """Compact JSON, like the API's answers."""
    return json.dumps(body, separators=(",", ":")).encode()


def message(text: str, errors: dict[str, list[str]] | None = None) -> bytes:
    return dumps({"message": text, "errors": errors or {}})


# Answers of API Gateway itself (not of the Neofin application behind it).
MISSING_TOKEN = dumps({"message": "Missing Authentication Token"})
GATEWAY_ERRORS = {
    429: dumps({"message": "Too Many Requests"}),
    503: dumps({"message": "Service Unavailable"}),
    504: dumps({"message": "Endpoint request timed out"}),
}
INTERNAL_ERROR = dumps({"message": "Internal server error"})

_JSON = (b"content-type", b"application/json")


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if not event.get("more_body", False):
            return b"".join(chunks)


async def respond(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a complete JSON response with API-Gateway-like request id headers."""
    request_id = uuid.uuid4()
    headers = [
        _JSON,
        (b"content-length", b"%d" % len(body)),
        (b"x-amzn-requestid", str(request_id).encode()),
        (b"x-amz-apigw-id", base64.b64encode(request_id.bytes[:11])),
    ]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
