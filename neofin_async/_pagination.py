"""Async iteration over a list endpoint's pages, in the three styles of our providers:
an opaque cursor (Neofin's `next_page_token`), offset and limit (ChargeOver), page numbers
with a `next` URL (Piriod). Every pager iterates items; `pages()` yields `Page`s, whose
`next_page_token` lets a later pager resume where this one stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from ._logging import logger
from ._pipeline import RequestPipeline
from .models import Page

T = TypeVar("T", bound=BaseModel)


class Pager(Generic[T]):
    """Iterate every item of a list endpoint with `async for`; `pages()` yields whole pages."""

    def __init__(
        self,
        pipeline: RequestPipeline,
        path: str,
        *,
        model: type[T],
        params: Mapping[str, str | None] | None = None,
        next_page_token: str | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._path = path
        self._model = model
        self._params: dict[str, str] = {k: v for k, v in (params or {}).items() if v is not None}
        self._start = next_page_token

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path!r}, params={self._params!r})"

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn until the last; a token seen twice ends the listing."""
        token: str | None = self._start
        seen: set[str] = set()
        while True:
            path, params = self._request(token)
            page = self._parse((await self._pipeline.request("GET", path, params=params)).data)
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                logger.warning("%s repeated page token %r; stopping", self._path, token)
                return
            seen.add(token)

    def _request(self, token: str | None) -> tuple[str, dict[str, str]]:
        """The path and query of the page `token` names (None: the first)."""
        raise NotImplementedError

    def _parse(self, body: Any) -> Page[T]:
        raise NotImplementedError

    def _validate(self, raw_items: Any) -> list[T]:
        return [self._model.model_validate(item) for item in raw_items or []]


class AsyncPager(Pager[T]):
    """Neofin's cursor pages: `{"<items>": [...], "next_page_token": ..., "count": n}`."""

    def __init__(self, pipeline: RequestPipeline, path: str, *, keys: tuple[str, ...], **kw: Any):
        super().__init__(pipeline, path, **kw)
        self._keys = keys

    def _request(self, token: str | None) -> tuple[str, dict[str, str]]:
        return self._path, {**self._params, "next_page_token": token} if token else self._params

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
        token = body.get("next_page_token") or None
        count = body.get("count")
        return Page[T](
            items=self._validate(raw_items),
            next_page_token=str(token) if token else None,
            count=int(count) if isinstance(count, (int, float)) else None,
        )


class OffsetPager(Pager[T]):
    """`offset` / `limit` pages, ending at a short page; the token is the next offset.
    `items` takes the items out of a decoded answer."""

    def __init__(
        self,
        pipeline: RequestPipeline,
        path: str,
        *,
        limit: int,
        items: Callable[[Any], Any],
        **kw: Any,
    ) -> None:
        super().__init__(pipeline, path, **kw)
        self._limit = limit
        self._items_of = items
        self._offset = 0

    def _request(self, token: str | None) -> tuple[str, dict[str, str]]:
        self._offset = int(token) if token else 0
        return self._path, {**self._params, "offset": str(self._offset), "limit": str(self._limit)}

    def _parse(self, body: Any) -> Page[T]:
        items = self._validate(self._items_of(body))
        full = len(items) >= self._limit
        token = str(self._offset + len(items)) if full else None
        return Page[T](items=items, next_page_token=token, count=len(items))


class PageNumberPager(Pager[T]):
    """`page` / `page_size` pages answered `{"count", "next", "previous", "results"}`; the
    token is the next page's number, read from `next` (which must point at the API's own
    host: a `next` elsewhere ends the listing rather than send the keys there)."""

    def __init__(self, pipeline: RequestPipeline, path: str, *, page_size: int, **kw: Any):
        super().__init__(pipeline, path, **kw)
        self._page_size = page_size

    def _request(self, token: str | None) -> tuple[str, dict[str, str]]:
        page = {"page": token} if token else {}
        return self._path, {**self._params, **page, "page_size": str(self._page_size)}

    def _parse(self, body: Any) -> Page[T]:
        body = body if isinstance(body, dict) else {}
        count = body.get("count")
        return Page[T](
            items=self._validate(body.get("results")),
            next_page_token=self._next_page(body.get("next")),
            count=int(count) if isinstance(count, int) else None,
        )

    def _next_page(self, link: Any) -> str | None:
        if not isinstance(link, str) or not link:
            return None
        try:
            url = httpx.URL(link)
        except httpx.InvalidURL:
            return None
        if url.host and url.host != httpx.URL(self._pipeline.base_url).host:
            logger.warning("%s: next page on another host (%s); stopping", self._path, url.host)
            return None
        page = url.params.get("page")
        return page if page and page.isdigit() else None
