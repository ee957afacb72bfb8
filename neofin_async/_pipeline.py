"""The one request path of every provider: auth headers, timeouts, retries, error mapping,
bounded bodies, redacted logs. It wraps an `httpx.AsyncClient`; what differs between the
providers' APIs (error bodies, request-id header) is a `Dialect`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import anyio
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._constants import MAX_RESPONSE_BYTES
from ._errormap import describe, error_map, validation_error_map
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
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


def overall_timeout(timeout: httpx.Timeout) -> float | None:
    """The deadline of a whole attempt: the longest of the timeout's parts (None: none)."""
    parts = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return max(parts) if parts else None


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
        request = self.http.build_request(
            method,
            self.base_url + path,
            content=content,
            params=params,
            headers=self._json_headers if content is not None else self._headers,
            timeout=self.timeout,
        )
        if not retryable or self.retry.max_retries == 0:
            return await self._send(request, path)
        policy = self.retry
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(policy.max_retries + 1),
            retry=retry_if_exception(policy.is_retryable),
            wait=lambda state: policy.delay(state.attempt_number, _error_of(state)),
            sleep=policy.sleep,
            before_sleep=lambda state: self._before_retry(state, method, path, on_retry),
            reraise=True,
        ):
            with attempt:
                return await self._send(request, path)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: httpx.Request, path: str) -> Reply:
        started = time.perf_counter()
        failure: APIError | None = None
        try:
            with anyio.fail_after(self.overall_timeout):
                status, headers, content = await self._exchange(request)
        except TimeoutError:
            failure = APITimeoutError(f"Request took longer than {self.overall_timeout}s")
        except httpx.TransportError as exc:
            failure = _connection_error(exc)
        if failure is not None:
            # Raised here, outside the except block: no __context__ holding the request
            # (whose headers carry the keys).
            failure.method, failure.url = request.method, path
            raise failure
        logger.debug(
            "%s %s -> %d in %.3fs", request.method, path, status, time.perf_counter() - started
        )
        if 300 <= status < 400:
            raise _redirect_error(status, headers, request.method, path, self.base_url)
        if 200 <= status < 300:
            data = decode(content, status, headers, request.method, path, self.dialect)
            reply = Reply(status, data, headers.get(self.dialect.request_id_header), headers)
            return Reply(status, self.dialect.unwrap(reply), reply.request_id, headers)
        try:
            body: Any = decode(content, status, headers, request.method, path, self.dialect)
        except APIError:
            body = content[:2000].decode("utf-8", "replace")
        raise self.dialect.error(status, body, headers, request.method, path)

    async def _exchange(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and the body (at most `MAX_RESPONSE_BYTES` once decompressed)."""
        response = await self.http.send(request, stream=True, follow_redirects=False)
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise APIError(
                        f"The API answered {response.status_code} with a body larger than "
                        f"{MAX_RESPONSE_BYTES} bytes; not read",
                        status_code=response.status_code,
                        request_id=response.headers.get(self.dialect.request_id_header),
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response.status_code, response.headers, b"".join(chunks)

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


def _connection_error(exc: httpx.TransportError) -> APIConnectionError:
    """`APITimeoutError` for timeouts, `APIConnectionError` for the rest, by what really
    happened: httpx-aiohttp reports a refused connection as `ConnectTimeout`."""
    cause = exc.__cause__
    from_aiohttp = cause is not None and type(cause).__module__.startswith("aiohttp")
    if isinstance(exc, httpx.TimeoutException) and not (
        from_aiohttp and not isinstance(cause, (TimeoutError, asyncio.TimeoutError))
    ):
        return APITimeoutError(f"Request timed out ({type(exc).__name__})")
    what = type(cause).__name__ if from_aiohttp else type(exc).__name__
    return APIConnectionError(f"Connection error: {what}: {exc}")


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
