"""Confirmation: a 202 means queued, not created. Poll until items can be read back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio

from .._exceptions import APIError, AuthenticationError, NotFoundError


@dataclass
class ConfirmResult:
    """Which identifiers could be read back (`available`) and which were still 404 or
    erroring at the deadline (`missing`, with the last non-404 error in `errors`)."""

    available: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    rounds: int = 0

    @property
    def ok(self) -> bool:
        """True when every identifier could be read back."""
        return not self.missing


async def confirm(
    retrieve: Callable[[str], Awaitable[Any]],
    identifiers: Iterable[str],
    *,
    timeout: float,  # noqa: ASYNC109
    interval: float,
    concurrency: int,
) -> ConfirmResult:
    """Retrieve each identifier until it answers (404 = not yet), for at most `timeout` s."""
    result = ConfirmResult()
    pending = list(dict.fromkeys(identifiers))
    deadline = anyio.current_time() + timeout
    while pending:
        result.rounds += 1
        pending = await _check_all(retrieve, pending, concurrency, result)
        if not pending or anyio.current_time() + interval > deadline:
            break
        await anyio.sleep(interval)
    result.missing = pending
    return result


async def _check_all(
    retrieve: Callable[[str], Awaitable[Any]],
    identifiers: list[str],
    concurrency: int,
    result: ConfirmResult,
) -> list[str]:
    """One round over `identifiers` with `concurrency` workers; returns those still missing."""
    queue: Iterator[str] = iter(identifiers)
    still_missing: list[str] = []
    auth_error: list[AuthenticationError] = []

    async def worker() -> None:
        for identifier in queue:
            try:
                await retrieve(identifier)
            except NotFoundError:
                still_missing.append(identifier)
            except AuthenticationError as exc:
                auth_error.append(exc)
                tg.cancel_scope.cancel()
                return
            except APIError as exc:
                result.errors[identifier] = str(exc)
                still_missing.append(identifier)
            else:
                result.available.append(identifier)
                result.errors.pop(identifier, None)

    async with anyio.create_task_group() as tg:
        for _ in range(min(concurrency, len(identifiers))):
            tg.start_soon(worker)
    if auth_error:
        raise auth_error[0]
    return still_missing
