"""What every resource shares: the transport, path building, the <= 50 item upsert."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic
from urllib.parse import quote

from .._constants import MAX_BATCH_SIZE
from .._transport import Transport
from ..models import InputModel, QueuedResponse, encode_batch, validate_item
from ..models._base import InputT


def segment(value: str, name: str) -> str:
    """One URL path segment, percent-encoded; empty values are refused."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return quote(value, safe="")


class Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport


class UpsertResource(Resource, Generic[InputT]):
    """A resource with a `POST` upsert endpoint taking at most 50 items."""

    _path: ClassVar[str]
    _key: ClassVar[str]
    _model: type[InputT]

    async def upsert(
        self, items: Iterable[InputT | Mapping[str, Any]] | InputT | Mapping[str, Any]
    ) -> QueuedResponse:
        """Upsert at most 50 items in one request. Items are validated first: an invalid item
        raises `InvalidItemError` naming it, and nothing is sent. A 202 answer means queued."""
        batch = [items] if isinstance(items, (Mapping, InputModel)) else list(items)
        if not batch:
            raise ValueError("upsert() needs at least one item")
        if len(batch) > MAX_BATCH_SIZE:
            raise ValueError(
                f"upsert() takes at most {MAX_BATCH_SIZE} items, got {len(batch)}; "
                "use bulk_upsert() for any number"
            )
        models = [validate_item(self._model, item, index) for index, item in enumerate(batch)]
        body = await self._transport.request(
            "POST", self._path, content=encode_batch(self._key, models)
        )
        return QueuedResponse.model_validate(body)
