"""How ChargeOver's REST API speaks: the `{code, status, message, details, response}` envelope.

Every answer, success or error, is the envelope. Like ChargeOver's PHP SDK, an envelope whose
`status` is not `"OK"` is an error whatever the HTTP status said, and its `code` picks the
exception (429 -> `RateLimitError`, 404 -> `NotFoundError`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from .._errormap import error_map
from .._exceptions import APIError
from .._pipeline import Dialect, Reply


class ChargeOverDialect(Dialect):
    """ChargeOver's envelope (`{code, status, message, details, response}`) read into the
    error tree; an `Error` envelope under a 2xx status is an error too."""

    name: ClassVar[str] = "chargeover"
    request_id_header: ClassVar[str] = "x-request-id"

    def read_error(self, status: int, body: Any) -> tuple[str, dict[str, list[str]]]:
        if isinstance(body, str):
            return body.strip()[:200], {}
        if not isinstance(body, Mapping):
            return "", {}
        message = body.get("message")
        details = body.get("details")
        errors = error_map(details) if isinstance(details, Mapping) else {}
        return (message if isinstance(message, str) else ""), errors

    def explain(self, status: int, message: str, path: str) -> str:
        if status in (401, 403):
            return (
                f"{message or 'Unauthorized'}: the ChargeOver public / private key pair was refused"
            )
        return message or f"HTTP {status}"

    def unwrap(self, reply: Reply) -> Any:
        """The envelope's `response`; `APIError` when the envelope says Error or is missing."""
        data = reply.data
        if not isinstance(data, Mapping) or "response" not in data:
            raise APIError(
                f"The API answered {reply.status_code} without ChargeOver's envelope: "
                f"{repr(data)[:200]}",
                status_code=reply.status_code,
                body=data,
                request_id=reply.request_id,
            )
        if data.get("status", "OK") != "OK":
            code = data.get("code")
            status = code if isinstance(code, int) and 400 <= code <= 599 else 400
            raise self.error(status, data, reply.headers, "", "")
        return data["response"]

    def error_of(self, result: Mapping[str, Any], method: str, uri: str) -> APIError:
        """The exception for one `_bulk` sub-response (its `code` as the status)."""
        code = result.get("code")
        return self.error(code if isinstance(code, int) else 400, result, _NO_HEADERS, method, uri)


_NO_HEADERS = httpx.Headers()
CHARGEOVER = ChargeOverDialect()
