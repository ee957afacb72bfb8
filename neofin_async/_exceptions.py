"""The error tree.

    NeofinError
    ├── ConfigurationError          bad or missing settings (keys, environment, base URL)
    └── APIError                    anything that went wrong talking to the API
        ├── BadRequestError         400: the request or some items were refused
        │   └── UnprocessableEntityError   422: validation errors (`{"error": [...]}` bodies)
        ├── AuthenticationError     401 / 403: wrong keys, or a route that does not exist
        ├── NotFoundError           404: not found (an upserted item may still be queued)
        ├── RateLimitError          429
        ├── ServerError             5xx
        └── APIConnectionError      no response: refused, reset or dropped connection
            └── APITimeoutError     the request timed out

Every `APIError` carries `status_code` (None without a response), `message`, `errors` (the
API's `{"field[i]": ["..."]}` map), `request_id` (from `x-amzn-requestid`) and `body`.
Exception texts never contain the API keys, and no exception keeps a reference to a request
that carried them (`__cause__` and `__context__` are cleared for connection errors).
"""

from __future__ import annotations

from typing import Any

from ._errormap import describe

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InvalidItemError",
    "NeofinError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
]


class NeofinError(Exception):
    """Root of every error raised by neofin_async."""


class ConfigurationError(NeofinError, ValueError):
    """The client is misconfigured: missing keys, unknown environment, unsafe base URL."""


class APIError(NeofinError):
    """A request to the Neofin API failed."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        errors: dict[str, list[str]] | None = None,
        request_id: str | None = None,
        body: Any = None,
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.errors: dict[str, list[str]] = errors or {}
        self.request_id = request_id
        self.body = body
        self.method = method
        self.url = url
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"{self.status_code} {self.message}" if self.status_code else self.message]
        if self.method and self.url:
            parts.append(f"({self.method} {self.url})")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, message={self.message!r})"


class BadRequestError(APIError):
    """400: the API refused the request; `errors` names the offending fields and items."""


class UnprocessableEntityError(BadRequestError):
    """422: the body failed the server's validation; `errors` holds it as a `field[i]` map."""


class AuthenticationError(APIError):
    """401 / 403: the keys were refused, or (API Gateway) the route or method does not exist."""


class NotFoundError(APIError):
    """404: no such object. Upserts are queued, so a fresh item may not exist yet."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` holds the server's hint in seconds."""


class ServerError(APIError):
    """5xx: the API failed; retried automatically for idempotent calls."""


class APIConnectionError(APIError):
    """No response: the connection could not be made, was reset or dropped."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class InvalidItemError(NeofinError, ValueError):
    """An input item failed validation before anything was sent.

    `index` is the item's position in the input, `errors` maps each field to its messages.
    """

    def __init__(
        self, index: int, errors: dict[str, list[str]], integration_identifier: str | None = None
    ) -> None:
        self.index = index
        self.errors = errors
        self.integration_identifier = integration_identifier
        name = f"item {index}"
        if integration_identifier:
            name += f" ({integration_identifier!r})"
        super().__init__(f"{name} is invalid: {describe(errors)}")
