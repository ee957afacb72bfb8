"""The one request path: auth headers, timeouts, retries, error mapping, redacted logging."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._errormap import describe, error_map
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from ._logging import logger
from ._retry import RetryEvent, RetryPolicy
from ._version import __version__

OnRetry = Callable[[RetryEvent], None]

USER_AGENT = f"neofin-async/{__version__}"
_MISSING_TOKEN = "Missing Authentication Token"
_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


class Transport:
    """Sends requests for one client configuration; shared by every resource."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        secret_key: str,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
        overall_timeout: float | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.overall_timeout = overall_timeout
        self.retry = retry
        self._headers = {
            "api-key": api_key,
            "secret-key": secret_key,
            "accept": "application/json",
            "user-agent": USER_AGENT,
        }
        self._json_headers = {**self._headers, "content-type": "application/json"}

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        retryable: bool = True,
        on_retry: OnRetry | None = None,
    ) -> Any:
        """Send one request (retrying if `retryable`) and return its decoded JSON body."""
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

    async def _send(self, request: httpx.Request, path: str) -> Any:
        started = time.perf_counter()
        try:
            with anyio.fail_after(self.overall_timeout):
                response = await self.http.send(request)
        except TimeoutError:
            raise APITimeoutError(
                f"Request took longer than {self.overall_timeout}s", method=request.method, url=path
            ) from None
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"Request timed out ({type(exc).__name__})", method=request.method, url=path
            ) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(
                f"Connection error: {type(exc).__name__}: {exc}", method=request.method, url=path
            ) from exc
        logger.debug(
            "%s %s -> %d in %.3fs",
            request.method,
            path,
            response.status_code,
            time.perf_counter() - started,
        )
        if response.is_success:
            return decode_success(response, request.method, path)
        raise error_from_response(response, request.method, path)

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


def decode_success(response: httpx.Response, method: str, path: str) -> Any:
    if not response.content:
        return {}
    try:
        return json.loads(response.content)
    except ValueError:
        raise APIError(
            f"The API answered {response.status_code} with a body that is not JSON: "
            f"{response.text[:200]!r}",
            status_code=response.status_code,
            body=response.text,
            request_id=response.headers.get("x-amzn-requestid"),
            method=method,
            url=path,
        ) from None


def error_from_response(response: httpx.Response, method: str, path: str) -> APIError:
    """Map a non-2xx response to the error tree, with a message a person can act on."""
    status = response.status_code
    body: Any
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = response.text
    message, errors = "", {}
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("Message") or "")
        errors = error_map(body.get("errors"))
    elif isinstance(body, str):
        message = body.strip()[:200]
    if not message and errors:
        message = describe(errors)
    message = _explain(status, message, path)
    cls = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(
        message,
        status_code=status,
        errors=errors,
        request_id=response.headers.get("x-amzn-requestid"),
        body=body,
        method=method,
        url=path,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def _explain(status: int, message: str, path: str) -> str:
    if status == 403 and message == _MISSING_TOKEN:
        return (
            f"{_MISSING_TOKEN}: API Gateway's answer for a route or HTTP method that does not "
            "exist; check the path and method (it does not necessarily mean bad keys)"
        )
    if status in (401, 403):
        return f"{message or 'Forbidden'}: the api-key / secret-key pair was refused"
    if status == 404 and path.startswith(("/billing", "/customer")):
        return (
            f"{message or 'Not found.'} Upserts are queued: an item can answer 404 until Neofin "
            "has processed it (use confirm() to wait for it)"
        )
    return message or f"HTTP {status}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always UTC
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())
