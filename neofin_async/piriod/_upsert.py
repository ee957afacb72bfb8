"""Upsert by `reference` on an API that has no upsert: look the key up, then PATCH or POST.

Piriod has no batch endpoint, no unique constraint on `reference` and no idempotency key, so
a `POST` resent after a timeout could create a second customer. What this module guarantees:

- the key is written to `metadata[REFERENCE_METADATA_KEY]` (a documented filter) as well as
  to `reference`, and looked up through it (or through `?reference=`, `lookup_by="reference"`,
  where an account supports that filter); every match is checked on our side, and a server
  that ignored the filter fails the item instead of being trusted;
- a `POST` is never retried blindly: after a timeout, a dropped connection or a 5xx its
  outcome is unknown, so the key is looked up again (after the retry policy's wait) and the
  customer found is updated; only when it is still absent is the `POST` sent again;
- items with the same key never run at once (a lock per key, for every run on one client),
  so duplicates within an input cannot race each other into two customers;
- an update merges `metadata` (the server's keys are kept) and leaves out unset fields.

It cannot rule out a server that stores a `POST` only after the client has given up, looked
again and found nothing; no client of an API without idempotency keys can.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import anyio

from .._exceptions import APIError, NotFoundError, RateLimitError
from .._logging import logger
from .._pipeline import RequestPipeline
from .._retry import RetryEvent
from .._urls import segment
from ._constants import REFERENCE_METADATA_KEY
from .models import Customer, CustomerInput

LookupBy = Literal["metadata", "reference"]
UNKNOWN_OUTCOME = (
    "the last create's answer was lost: the customer may exist; a new run finds it by "
    "reference and updates it"
)
OnRetry = Callable[[RetryEvent], None]
PATH = "/customers/"


class KeyLocks:
    """One lock per key in use; a key's lock is dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (anyio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


@dataclass(slots=True)
class Tally:
    """Requests sent for one item (the pipeline's own retries aside), and how many of them
    were reported through `on_retry` (which the engine counts as requests too)."""

    requests: int = 0
    reported: int = 0

    @property
    def unreported(self) -> int:
        return self.requests - self.reported


class Upserter:
    """Upserts one customer at a time (see the module's docstring for the guarantees)."""

    def __init__(self, pipeline: RequestPipeline, *, lookup_by: LookupBy = "metadata") -> None:
        self._pipeline = pipeline
        self.lookup_by = lookup_by
        self.locks = KeyLocks()

    async def find(
        self, reference: str, tally: Tally | None = None, on_retry: OnRetry | None = None
    ) -> Customer | None:
        """The customer holding `reference` (the oldest, if several do), or None."""
        field = (
            "reference" if self.lookup_by == "reference" else f"metadata__{REFERENCE_METADATA_KEY}"
        )
        if tally is not None:
            tally.requests += 1
        reply = await self._pipeline.request(
            "GET", PATH, params={field: reference, "page_size": "100"}, on_retry=on_retry
        )
        body = reply.data if isinstance(reply.data, dict) else {}
        results = body.get("results")
        if not isinstance(results, list):
            raise APIError(f"GET {PATH} answered without a results list; the lookup failed")
        found = [Customer.model_validate(raw) for raw in results if isinstance(raw, dict)]
        matching = [c for c in found if self._holds(c, reference)]
        if len(matching) < len(found):
            raise APIError(
                f"GET {PATH}?{field}= answered customers without that key: the server ignored "
                "the filter, so customers cannot be looked up by reference (nothing was written)"
            )
        count = body.get("count")
        if isinstance(count, int) and count > len(found):
            raise APIError(f"{count} customers hold reference {reference!r}; not one to update")
        if len(matching) > 1:
            logger.warning(
                "%d customers hold reference %r (%s); updating the oldest",
                len(matching),
                reference,
                ", ".join(str(c.id) for c in matching),
            )
        return min(matching, key=_age) if matching else None

    def _holds(self, customer: Customer, reference: str) -> bool:
        if self.lookup_by == "metadata":
            return customer.metadata.get(REFERENCE_METADATA_KEY) == reference
        return customer.reference == reference

    async def upsert(self, item: CustomerInput, tally: Tally, on_retry: OnRetry) -> Customer:
        """Update the customer holding `item.reference`, or create it. An error raised while
        a `POST`'s outcome is unknown says so."""
        assert item.reference is not None
        async with self.locks.hold(item.reference):
            unknown = [False]
            try:
                return await self._upsert(item, tally, on_retry, unknown)
            except APIError as exc:
                if unknown[0]:
                    exc.message += f" ({UNKNOWN_OUTCOME})"
                raise

    async def _upsert(
        self, item: CustomerInput, tally: Tally, on_retry: OnRetry, unknown: list[bool]
    ) -> Customer:
        assert item.reference is not None
        policy = self._pipeline.retry
        existing = await self.find(item.reference, tally, on_retry)
        attempt = 0
        vanished = False
        while True:
            if existing is not None:
                try:
                    return await self._update(existing, item, tally, on_retry)
                except NotFoundError:
                    if vanished:  # deleted twice under our feet: give up
                        raise
                    vanished, existing = True, None  # deleted meanwhile: create it again
                    continue
            try:
                tally.requests += 1
                reply = await self._pipeline.request(
                    "POST", PATH, content=item.to_json(), retryable=False
                )
                return customer_of(reply.data)
            except APIError as exc:
                # A 429 stored nothing; a timeout, a drop or a 5xx may have stored it.
                unknown[0] = not isinstance(exc, RateLimitError) and policy.is_retryable(exc)
                if not policy.is_retryable(exc) or attempt >= policy.max_retries:
                    raise
                attempt += 1
                wait = policy.delay(attempt, exc)
                on_retry(RetryEvent(attempt, policy.max_retries, wait, exc, "POST", PATH))
                tally.reported += 1
                await policy.sleep(wait)
                if unknown[0]:
                    existing = await self.find(item.reference, tally, on_retry)
                    unknown[0] = False

    async def _update(
        self, existing: Customer, item: CustomerInput, tally: Tally, on_retry: OnRetry
    ) -> Customer:
        metadata = {**existing.metadata, **(item.metadata or {})}
        changes = item.model_copy(update={"metadata": metadata})
        path = f"{PATH}{segment(str(existing.id), 'id')}/"
        tally.requests += 1
        reply = await self._pipeline.request(
            "PATCH", path, content=changes.to_json(), on_retry=on_retry
        )
        return customer_of(reply.data)


def customer_of(data: object) -> Customer:
    """The customer a 2xx answered (an empty one when the body is not an object: the write
    succeeded all the same)."""
    return Customer.model_validate(data if isinstance(data, dict) else {})


def _age(customer: Customer) -> tuple[float, str]:
    created = customer.created.timestamp() if customer.created is not None else float("inf")
    return created, str(customer.id)
