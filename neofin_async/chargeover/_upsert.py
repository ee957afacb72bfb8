"""Upsert by `external_key` through `POST /_bulk`: one chunk of <= 25 items, in rounds.

Why this is safe to resend, and why it never duplicates a customer:

* ChargeOver's `external_key` is a UNIQUE constraint: a create with a key in use fails, it
  never makes a second customer. Every item of a bulk upsert carries its key (client-side
  validation refuses items without one), so no `POST` this module sends can duplicate,
  however often a `_bulk` call is resent after a lost answer.
* Each item is a small state machine over two sub-requests, `PUT
  /customer/external_key:{key}` (update) and `POST /customer` (create):

  ======================  ===========================================================
  answer                  next
  ======================  ===========================================================
  PUT 2xx / POST 2xx      accepted
  PUT 404                 POST (or, if a POST of this item was refused already, rejected
                          with that POST's message: nothing exists to update)
  POST 4xx (a refusal)    PUT: the key may exist (a resent create, a concurrent writer);
                          its 404 proves the refusal was about the data
  PUT other 4xx           rejected with its message
  401 / 403               failed, and the run stops
  408 / 429 / 5xx         that sub-request alone is sent again in the next round, after the
                          shared `RetryPolicy`'s wait; failed once its retries are spent
  unreadable              failed: we cannot tell what the server did
  ======================  ===========================================================

  No step depends on the text of the duplicate-key error (undocumented): a refused create
  is followed by an update whatever the message said, and the update's 404 tells a real
  refusal from a key already in use.
* Which step comes first only changes how many rounds an item takes: updating first costs
  one round for customers that exist (a nightly sync, where the journal skips what did not
  change), creating first one round for new ones (a first load). `order="auto"` starts each
  chunk with what the previous chunk mostly needed.

All rounds of a chunk go through one `_bulk` call each (the items still pending), so a chunk
costs one call when nothing goes wrong. A whole call that fails with 429/5xx or a dropped
connection is retried by the request pipeline (the same call, safe as shown above); an answer
whose `_bulk` list we cannot match to the sub-requests fails the items still pending.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .._constants import MAX_ITEM_MESSAGE_LENGTH, RETRYABLE_STATUS_CODES
from .._exceptions import APIError, AuthenticationError
from .._retry import RetryEvent, RetryPolicy
from .._urls import segment
from ..bulk import Answer
from ._constants import API_PREFIX
from ._dialect import CHARGEOVER
from ._models import CustomerInput

UpsertOrder = Literal["auto", "update-first", "create-first"]
Method = Literal["PUT", "POST"]
CallBulk = Callable[[bytes], Awaitable[Sequence[Any]]]
"""Send a `_bulk` body; return its `response._bulk` list (raise `APIError` otherwise)."""

REFUSAL_FIELD = "chargeover"
"""The field under which a ChargeOver refusal's message is kept in `ItemError.errors`."""
BULK_PATH = f"{API_PREFIX}/_bulk"
CREATE_PATH = f"{API_PREFIX}/customer"


@dataclass(slots=True)
class _Pending:
    position: int
    payload: bytes
    update_path: str
    """`/api/v3/customer/external_key:<key, percent-encoded>`."""
    method: Method
    refused: str | None = None
    """The message of this item's refused create, once one was refused."""
    retries: int = 0
    wait: float = 0.0

    @property
    def path(self) -> str:
        return self.update_path if self.method == "PUT" else CREATE_PATH

    def sub_request(self) -> bytes:
        return b'{"request_method":"%s","uri":%s,"payload":%s}' % (
            self.method.encode(),
            json.dumps(self.path).encode(),
            self.payload,
        )


def update_path(external_key: str) -> str:
    """`PUT` (or `GET`) path of the customer with this external key."""
    return f"{API_PREFIX}/customer/external_key:{segment(external_key, 'external_key')}"


@dataclass(slots=True)
class Tally:
    """How the last chunk's items were found: existing (updated) or new (created)."""

    existing: int = 0
    new: int = 0

    def first_step(self, order: UpsertOrder) -> Method:
        if order == "update-first":
            return "PUT"
        if order == "create-first":
            return "POST"
        return "POST" if self.new > self.existing else "PUT"


async def upsert_chunk(
    items: Sequence[CustomerInput],
    call: CallBulk,
    *,
    policy: RetryPolicy,
    on_retry: Callable[[RetryEvent], None],
    order: UpsertOrder = "auto",
    tally: Tally | None = None,
) -> Answer:
    """Upsert one chunk (<= 25 items) by `external_key`; see the module docstring."""
    tally = tally if tally is not None else Tally()
    first = tally.first_step(order)
    pending = [
        _Pending(i, item.to_json(), update_path(item.external_key or ""), first)
        for i, item in enumerate(items)
    ]
    answer = Answer(requests=0)
    existing = new = 0
    while pending:
        wait = max(p.wait for p in pending)
        if wait:
            await policy.sleep(wait)
        body = b"[%s]" % b",".join(p.sub_request() for p in pending)
        answer.requests += 1
        try:
            answers = await call(body)
            if len(answers) != len(pending):
                raise APIError(
                    f"the _bulk answer has {len(answers)} results for {len(pending)} requests"
                )
        except AuthenticationError as exc:
            if answer.requests == 1:
                raise  # the whole chunk: the engine stops the run
            answer.failed.update((p.position, exc) for p in pending)
            answer.stop = exc
            break
        except Exception as exc:
            if answer.requests == 1:
                raise
            answer.failed.update((p.position, exc) for p in pending)
            break
        still: list[_Pending] = []
        for step, result in zip(pending, answers, strict=True):
            outcome = _fold(step, result, policy, on_retry)
            if outcome == "next":
                still.append(step)
            elif outcome == "accepted":
                existing, new = (existing + 1, new) if step.method == "PUT" else (existing, new + 1)
            elif isinstance(outcome, BaseException):
                answer.failed[step.position] = outcome
                if isinstance(outcome, AuthenticationError):
                    answer.stop = outcome
            else:
                answer.rejected[step.position] = {REFUSAL_FIELD: [outcome[1]]}
        pending = still
        if answer.stop is not None:
            answer.failed.update((p.position, answer.stop) for p in pending)
            break
    tally.existing, tally.new = existing, new
    return answer


Outcome = Literal["accepted", "next"] | BaseException | tuple[Literal["rejected"], str]


def _fold(
    step: _Pending, result: Any, policy: RetryPolicy, on_retry: Callable[[RetryEvent], None]
) -> Outcome:
    """Apply one sub-response to its item: a final outcome, or "next" (sent again)."""
    code = result.get("code") if isinstance(result, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        return APIError(f"unreadable _bulk result for this item: {_short(result)}")
    message = _message(result)
    ok = result.get("status", "OK") == "OK"
    step.wait = 0.0
    if 200 <= code < 300:
        if ok:
            return "accepted"
        return APIError(
            f"_bulk result {code} says {result.get('status')!r}: {message}", status_code=code
        )
    error = CHARGEOVER.error_of(result, step.method, step.path)
    if code in (401, 403):
        return error
    if code in RETRYABLE_STATUS_CODES:
        if step.retries >= policy.max_retries:
            return error
        step.retries += 1
        step.wait = policy.delay(step.retries, error)
        on_retry(
            RetryEvent(step.retries, policy.max_retries, step.wait, error, step.method, step.path)
        )
        return "next"
    if 400 <= code < 500:
        step.retries = 0
        message = message or f"{step.method} answered {code}"
        if step.method == "POST":
            step.method, step.refused = "PUT", message
            return "next"
        if code == 404 and step.refused is None:
            step.method = "POST"
            return "next"
        return ("rejected", step.refused if code == 404 and step.refused else message)
    return APIError(f"unexpected _bulk result {code}: {message}", status_code=code)


def _message(result: dict[str, Any]) -> str:
    message = result.get("message")
    return _short(message) if isinstance(message, str) else ""


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:MAX_ITEM_MESSAGE_LENGTH]
