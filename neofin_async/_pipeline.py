"""The one request path of every provider: auth headers, timeouts, retries, error mapping,
bounded bodies, redacted logs. It sends through an `httpx.AsyncClient` (an `Exchange`: the
aiohttp backend's own client goes to aiohttp directly); what differs between the providers'
APIs (error bodies, request-id header) is a `Dialect`."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._constants import MAX_RESPONSE_BYTES
from ._errormap import describe, error_map, validation_error_map
from ._exceptions import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from ._exchange import overall_timeout
from ._http_client import create_exchange
from ._logging import logger
from ._retry import RetryEvent, RetryPolicy
from ._version import __version__

OnRetry = Callable[[RetryEvent], None]

USER_AGENT = f"neofin-async/{__version__}"
_MISSING_TOKEN = "Missing Authentication Token"


@dataclass(frozen=True)
class Reply:
    """A 2xx answer: its status, decoded JSON body (`{}` when empty) and request id."""

    status_code: int
    data: Any
    request_id: str | None
    headers: httpx.Headers


class Dialect:
    """How one provider's HTTP API speaks; the default is Neofin's.

    Neofin answers `{"message", "errors": {"field[i]": [...]}}`; its own published server
    helpers answer `{"error": "<text>"}` and, for validation, 422 `{"error": [<pydantic
    errors>]}`. Both shapes are read."""

    name: ClassVar[str] = "neofin"
    request_id_header: ClassVar[str] = "x-amzn-requestid"
    error_classes: ClassVar[Mapping[int, type[APIError]]] = {
        400: BadRequestError,
        401: AuthenticationError,
        403: AuthenticationError,
        404: NotFoundError,
        422: UnprocessableEntityError,
        429: RateLimitError,
    }

    def read_error(self, status: int, body: Any) -> tuple[str, dict[str, list[str]]]:
        """`(message, errors map)` from a non-2xx body (decoded JSON, or its text)."""
        if isinstance(body, str):
            return body.strip()[:200], {}
        if not isinstance(body, dict):
            return "", {}
        message = _text(body.get("message") or body.get("Message"))
        errors = error_map(body.get("errors"))
        error = body.get("error")
        if isinstance(error, list):
            errors.update(validation_error_map(error))
        elif error and not message:
            message = _text(error)
        return message, errors

    def explain(self, status: int, message: str, path: str) -> str:
        """The message a person can act on."""
        if status == 403 and message == _MISSING_TOKEN:
            return (
                f"{_MISSING_TOKEN}: API Gateway's answer for a route or HTTP method that does not "
                "exist; check the path and method (it does not necessarily mean bad keys)"
            )
        if status in (401, 403):
            return f"{message or 'Forbidden'}: the api-key / secret-key pair was refused"
        if status == 404 and path.startswith(("/billing", "/customer")):
            return (
                f"{message or 'Not found.'} Upserts are queued: an item can answer 404 until "
                "Neofin has processed it (use confirm() to wait for it)"
            )
        return message or f"HTTP {status}"

    def unwrap(self, reply: Reply) -> Any:
        """The payload of a 2xx reply."""
        return reply.data

    def error(
        self, status: int, body: Any, headers: httpx.Headers, method: str, path: str
    ) -> APIError:
        """The error tree's exception for a non-2xx answer."""
        message, errors = self.read_error(status, body)
        if not message and errors:
            message = describe(errors)
        cls = self.error_classes.get(status) or (ServerError if status >= 500 else APIError)
        return cls(
            self.explain(status, message, path),
            status_code=status,
            errors=errors,
            request_id=headers.get(self.request_id_header),
            body=body,
            method=method,
            url=path,
            retry_after=parse_retry_after(headers.get("retry-after")),
        )


NEOFIN = Dialect()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)[:200]


class RequestPipeline:
    """Sends requests for one client configuration; shared by every resource.

    Redirects are never followed (the keys never leave the API's origin: a 3xx is an
    `APIError`) and bodies are read up to `MAX_RESPONSE_BYTES` after decompression, so no
    answer can exhaust memory.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        auth_headers: Mapping[str, str],
        timeout: httpx.Timeout,
        retry: RetryPolicy,
        dialect: Dialect = NEOFIN,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.overall_timeout = overall_timeout(timeout)
        self._exchange = create_exchange(http, self.base_url, timeout)
        self.retry = retry
        self.dialect = dialect
        self._headers = {
            "accept": "application/json",
            "user-agent": USER_AGENT,
            **(default_headers or {}),
            **auth_headers,
        }
        self._json_headers = {**self._headers, "content-type": "application/json"}

    def __repr__(self) -> str:
        return f"RequestPipeline(base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        retryable: bool = True,
        on_retry: OnRetry | None = None,
    ) -> Reply:
        """Send one request (retrying if `retryable`) and return its 2xx reply."""
        headers = self._json_headers if content is not None else self._headers
        url = self.base_url + path

        def attempt() -> Awaitable[Reply]:
            return self._send(method, url, path, headers, content, params)

        try:  # most requests succeed at once: the retry loop is built only when one fails
            return await attempt()
        except APIError as exc:
            if not (retryable and self.retry.max_retries and self.retry.is_retryable(exc)):
                raise
            failure = exc
        return await self._retry(attempt, failure, method, path, on_retry)

    async def _retry(
        self,
        attempt: Callable[[], Awaitable[Reply]],
        failure: APIError,
        method: str,
        path: str,
        on_retry: OnRetry | None,
    ) -> Reply:
        """The retries after a failed first attempt. Tenacity is handed that failure as its
        own first attempt, so attempt numbers, waits and hooks are the policy's."""
        policy = self.retry
        first: list[APIError] = [failure]
        async for retrying in AsyncRetrying(
            stop=stop_after_attempt(policy.max_retries + 1),
            retry=retry_if_exception(policy.is_retryable),
            wait=lambda state: policy.delay(state.attempt_number, _error_of(state)),
            sleep=policy.sleep,
            before_sleep=lambda state: self._before_retry(state, method, path, on_retry),
            reraise=True,
        ):
            with retrying:
                if first:
                    raise first.pop()
                return await attempt()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: str,
        url: str,
        path: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> Reply:
        started = time.perf_counter()
        try:
            status, answer_headers, body = await self._exchange(
                method, url, headers, content, params
            )
        except APIConnectionError as exc:
            exc.method, exc.url = method, path
            # Exchanges raise it outside their except blocks, but Python 3.10 can still chain
            # what aiohttp raised (and its request, whose headers carry the keys) as context.
            exc.__context__ = None
            raise
        logger.debug("%s %s -> %d in %.3fs", method, path, status, time.perf_counter() - started)
        if 300 <= status < 400:
            raise _redirect_error(status, answer_headers, method, path, self.base_url)
        if body is None:
            raise APIError(
                f"The API answered {status} with a body larger than {MAX_RESPONSE_BYTES} "
                "bytes; not read",
                status_code=status,
                request_id=answer_headers.get(self.dialect.request_id_header),
                method=method,
                url=path,
            )
        if 200 <= status < 300:
            data = decode(body, status, answer_headers, method, path, self.dialect)
            request_id = answer_headers.get(self.dialect.request_id_header)
            reply = Reply(status, data, request_id, answer_headers)
            return Reply(status, self.dialect.unwrap(reply), request_id, answer_headers)
        try:
            error_body: Any = decode(body, status, answer_headers, method, path, self.dialect)
        except APIError:
            error_body = body[:2000].decode("utf-8", "replace")
        raise self.dialect.error(status, error_body, answer_headers, method, path)

    def _before_retry(
        self, state: RetryCallState, method: str, path: str, on_retry: OnRetry | None
    ) -> None:
        error = _error_of(state)
        assert error is not None and state.next_action is not None
        event = RetryEvent(
            attempt=state.attempt_number,
            max_retries=self.retry.max_retries,
            wait=state.next_action.sleep,
            error=error,
            method=method,
            path=path,
        )
        logger.info(
            "Retrying %s %s in %.2fs (retry %d of %d) after %s",
            method,
            path,
            event.wait,
            event.attempt,
            event.max_retries,
            error,
        )
        if on_retry is not None:
            on_retry(event)


def _error_of(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _redirect_error(
    status: int, headers: httpx.Headers, method: str, path: str, base_url: str
) -> APIError:
    location = headers.get("location", "")
    target = httpx.URL(base_url).join(location) if location else None
    where = f"{target.scheme}://{target.host}{target.path}" if target is not None else "elsewhere"
    return APIError(
        f"The API answered {status}, a redirect to {where}; not followed, so the keys never "
        "leave the API's origin (set base_url to the final address if it is legitimate)",
        status_code=status,
        method=method,
        url=path,
    )


def decode(
    content: bytes, status: int, headers: httpx.Headers, method: str, path: str, dialect: Dialect
) -> Any:
    """The body as JSON (`{}` when empty); `APIError` when it is not JSON, or nested so deep
    that the decoder gives up (`RecursionError`)."""
    if not content.strip():
        return {}
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        text = content[:200].decode("utf-8", "replace")
    raise APIError(
        f"The API answered {status} with a body that is not JSON it can read: {text!r}",
        status_code=status,
        body=text,
        request_id=headers.get(dialect.request_id_header),
        method=method,
        url=path,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN: ignored
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always UTC
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())
