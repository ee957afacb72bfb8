"""The retry policy: which failures are retried, and how long to wait."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from ._constants import (
    DEFAULT_MAX_RETRIES,
    RETRY_AFTER_MAX,
    RETRY_INITIAL_DELAY,
    RETRY_JITTER,
    RETRY_MAX_DELAY,
    RETRYABLE_STATUS_CODES,
)
from ._exceptions import APIConnectionError, APIError


@dataclass(frozen=True)
class RetryPolicy:
    """Retry connection errors, timeouts, 408, 429 and 5xx (500, 502, 503, 504).

    The n-th retry waits `min(initial_delay * 2**(n-1), max_delay) * U[1 - jitter, 1]`, or the
    server's `Retry-After` when given; a `Retry-After` above `retry_after_max` is not waited for.
    `max_retries=0` means exactly one attempt. `sleep` is injectable for tests.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = RETRY_INITIAL_DELAY
    max_delay: float = RETRY_MAX_DELAY
    jitter: float = RETRY_JITTER
    retry_after_max: float = RETRY_AFTER_MAX
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def replace(self, **changes: object) -> RetryPolicy:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def is_retryable(self, error: BaseException) -> bool:
        """Whether a request that failed with `error` is tried again."""
        if isinstance(error, APIConnectionError):
            return True
        if isinstance(error, APIError) and error.status_code in RETRYABLE_STATUS_CODES:
            return error.retry_after is None or error.retry_after <= self.retry_after_max
        return False

    def delay(self, retry_number: int, error: BaseException | None = None) -> float:
        """Seconds to wait before retry number `retry_number` (1-based)."""
        if isinstance(error, APIError) and error.retry_after is not None:
            return error.retry_after
        backoff = min(self.initial_delay * 2.0 ** (retry_number - 1), self.max_delay)
        return backoff * random.uniform(1 - self.jitter, 1)


@dataclass(frozen=True)
class RetryEvent:
    """Passed to `on_retry` hooks before each retry's wait."""

    attempt: int
    """The retry about to be made, from 1."""
    max_retries: int
    wait: float
    error: BaseException
    method: str
    path: str
