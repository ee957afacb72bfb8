"""Piriod's page-number listing, following `next` only to the API's own host."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from .._exceptions import APIError
from .._pagination import PageNumberPager

T = TypeVar("T", bound=BaseModel)


class PiriodPager(PageNumberPager[T]):
    """`GET` list pages `{count, next, previous, results}` by `page`, reading the next page's
    number from `next`. The request always goes to the client's `base_url` (so a `next` that
    says `http://` for our own https host, as one client saw, is still fetched over https);
    a `next` naming another host or path raises `APIError` instead of ending the listing
    early without a word."""

    def _next_page(self, link: Any) -> str | None:
        if not isinstance(link, str) or not link:
            return None
        try:
            url = httpx.URL(link)
        except httpx.InvalidURL:
            raise APIError(
                f"{self._path}: the next page link is not a URL: {link[:200]!r}"
            ) from None
        own = httpx.URL(self._pipeline.base_url)
        if url.host and (url.host != own.host or url.path != own.path.rstrip("/") + self._path):
            raise APIError(
                f"{self._path}: the next page link points elsewhere ({url.host}{url.path}); "
                "not followed, so the token never leaves the API's origin"
            )
        page: str | None = url.params.get("page")
        if not (page and page.isdigit()):
            raise APIError(f"{self._path}: the next page link has no page number: {link[:200]!r}")
        return page
