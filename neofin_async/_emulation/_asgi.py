"""ASGI plumbing every emulator shares: types, strict JSON, bodies and responses."""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from .._constants import MAX_JSON_DEPTH, MAX_REQUEST_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

_JSON = (b"content-type", b"application/json")


def dumps(body: Any) -> bytes:
    """Compact JSON, like the APIs' answers. NaN and infinities raise `ValueError`: an
    answer is always valid JSON."""
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


def loads(body: bytes | str, max_depth: int = MAX_JSON_DEPTH, *, allow_nan: bool = False) -> Any:
    """Strict JSON: `ValueError` for malformed text, integers of more than 4300 digits,
    nesting deeper than `max_depth` and (unless `allow_nan`, for an API whose server reads
    them as Python's `json` does, so that its field validation refuses them) NaN, Infinity
    and floats out of range."""
    strict: dict[str, Any] = (
        {} if allow_nan else {"parse_constant": _refuse, "parse_float": _finite}
    )
    try:
        value = json.loads(body, **strict)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if _depth_exceeds(value, max_depth):
        raise ValueError("JSON nested too deeply")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


class BodyTooLarge(Exception):
    """The request body exceeds the emulator's limit (answered with 413)."""


async def read_body(receive: Receive, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """The whole request body; `BodyTooLarge` as soon as it exceeds `limit` bytes."""
    chunks, size = [], 0
    while True:
        event = await receive()
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not event.get("more_body", False):
            return b"".join(chunks)


_CLASSIC_PHRASES = {
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    416: "Requested Range Not Satisfiable",
    422: "Unprocessable Entity",
}
"""Phrases Python 3.13 renamed after RFC 9110 ("Content Too Large", ...); servers of the APIs
emulated still send these."""


def reason_phrase(status: int) -> str:
    """The status's reason phrase as the emulated APIs write it, on every Python version."""
    return _CLASSIC_PHRASES.get(status) or HTTPStatus(status).phrase


def header(headers: Headers, name: bytes) -> bytes | None:
    """The first value of a request header (`name` in lower case, as ASGI gives them)."""
    for key, value in headers:
        if key == name:
            return value
    return None


async def respond(send: Send, status: int, body: bytes, headers: Headers | None = None) -> None:
    """Send a complete JSON response; `headers` are added (e.g. the request id)."""
    response_headers = [_JSON, (b"content-length", b"%d" % len(body))]
    if headers:
        response_headers.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})
