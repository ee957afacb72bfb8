"""What every Neofin resource shares: the pipeline, path building, the <= 50 item upsert and
the bulk engine on top of it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any, ClassVar, Generic

from .._base_client import Resource
from .._constants import (
    CONFIRM_INTERVAL,
    CONFIRM_TIMEOUT,
    DEFAULT_CONCURRENCY,
    MAX_BATCH_SIZE,
    MAX_REQUEST_BYTES,
)
from .._errormap import split_errors
from .._exceptions import APIError, AuthenticationError, BadRequestError
from .._pipeline import Reply
from .._retry import RetryEvent
from ..bulk import Answer, BulkUpserts, ConfirmResult, confirm
from ..models import (
    AllowedExtras,
    ExtraFields,
    InputModel,
    InputT,
    QueuedResponse,
    encode_batch,
    identifier_of,
    resolve_extra_fields,
    validate_item,
)


class UpsertResource(Resource, BulkUpserts[InputT], Generic[InputT]):
    """A resource with a `POST` upsert endpoint taking at most 50 items, keyed by
    `integration_identifier`, and the bulk engine on top of it for any number of items."""

    bulk_provider = "neofin"
    bulk_key_field = "integration_identifier"
    max_chunk_size = MAX_BATCH_SIZE
    _path: ClassVar[str]
    _key: ClassVar[str]
    _model: type[InputT]

    async def upsert(
        self,
        items: Iterable[InputT | Mapping[str, Any]] | InputT | Mapping[str, Any],
        *,
        extra_fields: ExtraFields = None,
    ) -> QueuedResponse:
        """Upsert at most 50 items in one request. Items are validated first: an invalid item
        raises `InvalidItemError` naming it, and nothing is sent. `extra_fields` lets fields
        the model does not know through (added to the client's). A 202 answer means queued
        (`request_id` names it for Neofin's support)."""
        batch = (
            [items]
            if isinstance(items, (Mapping, InputModel))
            else list(itertools.islice(items, MAX_BATCH_SIZE + 1))
        )
        if not batch:
            raise ValueError("upsert() needs at least one item")
        if len(batch) > MAX_BATCH_SIZE:
            raise ValueError(
                f"upsert() takes at most {MAX_BATCH_SIZE} items, got "
                f"{len(items) if isinstance(items, Sized) else 'more'}; "
                "use bulk_upsert() for any number"
            )
        allowed = resolve_extra_fields(self._extra_fields, extra_fields)
        models = [self._bulk_prepare(item, index, allowed) for index, item in enumerate(batch)]
        reply = await self._pipeline.request(
            "POST", self._path, content=encode_batch(self._key, models)
        )
        return QueuedResponse.model_validate({**_object(reply), "request_id": reply.request_id})

    async def retrieve(self, integration_identifier: str) -> Any:
        raise NotImplementedError

    async def confirm(
        self,
        integration_identifiers: Iterable[str],
        *,
        timeout: float = CONFIRM_TIMEOUT,
        interval: float = CONFIRM_INTERVAL,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> ConfirmResult:
        """Poll `retrieve()` until each identifier can be read back (a 202 means queued, not
        created); report which became available and which were still missing at `timeout`."""
        return await confirm(
            self.retrieve,
            integration_identifiers,
            timeout=timeout,
            interval=interval,
            concurrency=concurrency,
        )

    # -- the bulk engine's hooks -----------------------------------------------------------

    def _bulk_prepare(self, raw: Any, index: int, extra_fields: AllowedExtras) -> InputT:
        return validate_item(self._model, raw, index, extra_fields=extra_fields)

    _bulk_key = staticmethod(identifier_of)  # called once an item: no frame of its own

    def _bulk_content(self, item: InputT) -> bytes:
        return item.to_json()

    def _bulk_tenant(self) -> str:
        return self._account

    async def _bulk_send(
        self, items: list[InputT], on_retry: Callable[[RetryEvent], None]
    ) -> Answer:
        """Send a chunk (in parts, if its body would exceed `MAX_REQUEST_BYTES`); a 400 that
        names some items rejects them and sends the rest again."""
        answer = Answer(requests=0)
        await self._send_part(items, list(range(len(items))), answer, on_retry)
        return answer

    async def _send_part(
        self,
        items: list[InputT],
        positions: list[int],
        answer: Answer,
        on_retry: Callable[[RetryEvent], None],
    ) -> None:
        while positions:
            body = encode_batch(self._key, (items[p] for p in positions))
            if len(body) > MAX_REQUEST_BYTES and len(positions) > 1:
                half = len(positions) // 2
                for part in (positions[:half], positions[half:]):
                    await self._send_part(items, part, answer, on_retry)
                return
            answer.requests += 1
            try:
                reply = await self._pipeline.request(
                    "POST", self._path, content=body, on_retry=on_retry
                )
            except BadRequestError as exc:
                per_item, chunk_level = split_errors(exc.errors, len(positions))
                if per_item:
                    for i, errors in per_item.items():
                        answer.rejected[positions[i]] = {**errors, **chunk_level}
                    positions = [p for i, p in enumerate(positions) if i not in per_item]
                    continue  # send the rest again without the named items
                if chunk_level:
                    answer.rejected.update(dict.fromkeys(positions, chunk_level))
                else:
                    answer.failed.update(dict.fromkeys(positions, exc))
            except AuthenticationError as exc:
                answer.failed.update(dict.fromkeys(positions, exc))
                answer.stop = exc
            except Exception as exc:
                answer.failed.update(dict.fromkeys(positions, exc))
            else:
                answer.request_id = reply.request_id
                _fold(reply, positions, answer)
            return


def _object(reply: Reply) -> dict[str, Any]:
    return reply.data if isinstance(reply.data, dict) else {}


def _fold(reply: Reply, positions: list[int], answer: Answer) -> None:
    """A 2xx answer to an upsert: items its `errors` map names are rejected (all of them, for
    errors that name no item), the others accepted. An answer that does not say the items
    were queued (no JSON object with `message` or `errors`, or `errors` that is not a map)
    fails them: we cannot tell, and an upsert is safe to send again."""
    data = reply.data
    raw = data.get("errors") if isinstance(data, dict) else None
    readable = isinstance(data, dict) and ("message" in data or "errors" in data)
    if readable and not raw:
        return
    if not readable or not isinstance(raw, Mapping):
        shown = repr(raw if readable else data)[:200]
        problem = APIError(
            f"The API answered {reply.status_code} without saying the items were queued "
            f"({shown}); their outcome is unknown",
            status_code=reply.status_code,
            request_id=reply.request_id,
        )
        answer.failed.update(dict.fromkeys(positions, problem))
        return
    per_item, chunk_level = split_errors(raw, len(positions))
    for i, position in enumerate(positions):
        errors = per_item.get(i)
        if errors is not None:
            answer.rejected[position] = {**errors, **chunk_level}
        elif chunk_level:
            answer.rejected[position] = chunk_level
