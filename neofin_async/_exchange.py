"""What an exchange is: one request sent and its answer read (status, headers, a capped body),
whichever library sends it; and the deadline of a whole attempt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import httpx

from ._exceptions import APIConnectionError, APITimeoutError

Answer = tuple[int, httpx.Headers, "bytes | None"]
"""Status, headers and body of an answer; the body is None when it exceeded
`MAX_RESPONSE_BYTES` (once decompressed) and was not read further."""


class Exchange(Protocol):
    """Sends one request and reads its answer, never following a redirect. Failures to get an
    answer raise `APIConnectionError` (`APITimeoutError` for timeouts) with no `__context__`
    (the request's headers carry the keys)."""

    async def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> Answer: ...


def overall_timeout(timeout: httpx.Timeout) -> float | None:
    """The deadline of a whole attempt: the longest of the timeout's parts (None: none)."""
    parts = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return max(parts) if parts else None


def took_too_long(seconds: float | None) -> APITimeoutError:
    return APITimeoutError(f"Request timed out: took longer than {seconds}s")


def connection_failed(what: str, exc: BaseException) -> APIConnectionError:
    """The error for a connection that failed with `exc` (named `what`); one without text of
    its own says the connection broke (e.g. a reset while reading)."""
    detail = str(exc) or "the connection broke before an answer"
    return APIConnectionError(f"Connection error: {what}: {detail}")
