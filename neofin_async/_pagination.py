"""Async iteration over `next_page_token` pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ._logging import logger
from ._transport import Transport
from .models import Page

T = TypeVar("T", bound=BaseModel)


class AsyncPager(Generic[T]):
    """Iterate every item of a list endpoint with `async for`; `pages()` yields whole pages."""

    def __init__(
        self,
        transport: Transport,
        path: str,
        *,
        keys: tuple[str, ...],
        model: type[T],
        params: Mapping[str, str | None] | None = None,
    ) -> None:
        self._transport = transport
        self._path = path
        self._keys = keys
        self._model = model
        self._params: dict[str, str] = {k: v for k, v in (params or {}).items() if v is not None}

    def __repr__(self) -> str:
        return f"AsyncPager({self._path!r}, params={self._params!r})"

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn, following `next_page_token` until it is null."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            params = dict(self._params)
            if token:
                params["next_page_token"] = token
            body = await self._transport.request("GET", self._path, params=params)
            page = self._parse(body)
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                logger.warning("%s repeated next_page_token %r; stopping", self._path, token)
                return
            seen.add(token)

    def _is_envelope(self, body: dict[str, Any]) -> bool:
        return any(key in body for key in (*self._keys, "items", "next_page_token"))

    def _parse(self, body: Any) -> Page[T]:
        # One documented example wraps the envelope in a list; accept that and a bare item list.
        if isinstance(body, list):
            wrapped = len(body) == 1 and isinstance(body[0], dict) and self._is_envelope(body[0])
            body = body[0] if wrapped else {"items": body}
        if not isinstance(body, dict):
            body = {}
        raw_items: Any = next((body[k] for k in (*self._keys, "items") if k in body), [])
        items = [self._model.model_validate(item) for item in raw_items or []]
        token = body.get("next_page_token") or None
        count = body.get("count")
        return Page[T](
            items=items,
            next_page_token=str(token) if token else None,
            count=int(count) if isinstance(count, (int, float)) else None,
        )
