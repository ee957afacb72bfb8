"""The emulator's routes: `/customers/` and `/customers/{id}/`, as the API reference answers."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..._emulation import Answer, Request, Route, dumps, loads
from .._constants import TEST_MODE_HEADER, WORKSPACE_HEADER
from . import _answers as answers
from ._config import PiriodEmulatorConfig
from ._state import CustomerRecord, Space, State, matches, ordered, render

_PAGING = ("page", "page_size", "ordering")


def test_mode_of(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


class Api:
    """Request handlers over the emulator's `State`."""

    def __init__(self, state: State, config: Callable[[], PiriodEmulatorConfig]) -> None:
        self._state = state
        self._config = config

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/customers/", self.create),
            Route("GET", "/customers/", self.list),
            Route("GET", "/customers/{id}/", self.retrieve),
            Route("PATCH", "/customers/{id}/", self.update),
            Route("PUT", "/customers/{id}/", self.replace),
            Route("DELETE", "/customers/{id}/", self.delete),
        ]

    # -- handlers --------------------------------------------------------------------------

    def create(self, request: Request) -> Answer:
        body, refusal = _json_object(request)
        if refusal is not None:
            return refusal
        test_mode = test_mode_of(request.header(TEST_MODE_HEADER))
        record, errors = self._state.create(
            self._space(request), body, test_mode=test_mode, now=request.now
        )
        if record is None:
            return 400, dumps(errors)
        return 201, self._render(record)

    def list(self, request: Request) -> Answer:
        config = self._config()
        query = request.query()
        try:
            page = int(query.get("page") or 1)
        except ValueError:
            return 404, answers.INVALID_PAGE
        size = _page_size(query.get("page_size"), config)
        filters = {k: v for k, v in query.items() if k not in _PAGING}
        found = [
            r
            for r in self._space(request).candidates(filters)
            if matches(r, filters, config.reference_filter)
        ]
        pages = max(1, math.ceil(len(found) / size))
        if not 1 <= page <= pages:
            return 404, answers.INVALID_PAGE
        records = ordered(found, query.get("ordering"))[(page - 1) * size : page * size]
        return 200, dumps(
            {
                "count": len(found),
                "next": self._link(request, query, page + 1) if page < pages else None,
                "previous": self._link(request, query, page - 1) if page > 1 else None,
                "results": [render(r, config.object_shape) for r in records],
            }
        )

    def retrieve(self, request: Request) -> Answer:
        record = self._find(request)
        return (404, answers.NOT_FOUND) if record is None else (200, self._render(record))

    def update(self, request: Request) -> Answer:
        return self._write(request, partial=True)

    def replace(self, request: Request) -> Answer:
        return self._write(request, partial=False)

    def delete(self, request: Request) -> Answer:
        record = self._find(request)
        if record is None:
            return 404, answers.NOT_FOUND
        refusal = self._state.delete(self._space(request), record)
        if refusal is not None:
            return 400, dumps({"non_field_errors": [refusal]})
        return 204, b""

    # -- helpers ---------------------------------------------------------------------------

    def _write(self, request: Request, *, partial: bool) -> Answer:
        record = self._find(request)
        if record is None:
            return 404, answers.NOT_FOUND
        body, refusal = _json_object(request)
        if refusal is not None:
            return refusal
        space = self._space(request)
        errors = self._state.update(space, record, body, partial=partial, now=request.now)
        return (400, dumps(errors)) if errors else (200, self._render(record))

    def _space(self, request: Request) -> Space:
        workspace = request.header(WORKSPACE_HEADER) or ""
        return self._state.space(workspace, test_mode_of(request.header(TEST_MODE_HEADER)))

    def _find(self, request: Request) -> CustomerRecord | None:
        return self._space(request).customers.get(request.param)

    def _render(self, record: CustomerRecord) -> bytes:
        return dumps(render(record, self._config().object_shape))

    def _link(self, request: Request, query: Mapping[str, str], page: int) -> str:
        """The `next` / `previous` URL, as Django REST framework writes it (page 1: without
        a `page` parameter)."""
        config = self._config()
        origin = config.public_url or f"http://{request.header('host') or 'localhost'}"
        parts = urlsplit(origin)
        scheme = "http" if config.next_http else parts.scheme
        params = {k: v for k, v in query.items() if k != "page"}
        if page > 1:
            params["page"] = str(page)
        suffix = f"?{urlencode(params)}" if params else ""
        return f"{scheme}://{parts.netloc}/customers/{suffix}"


def _page_size(raw: str | None, config: PiriodEmulatorConfig) -> int:
    """`page_size` as DRF reads it: a positive integer, at most the maximum; else the
    default."""
    try:
        size = int(raw or "")
    except ValueError:
        return config.page_size
    return min(size, config.max_page_size) if size > 0 else config.page_size


def _json_object(request: Request) -> tuple[dict[str, Any], Answer | None]:
    content_type = (request.header("content-type") or "").split(";")[0].strip()
    if content_type != "application/json":
        text = f'Unsupported media type "{content_type}" in request.'
        return {}, (415, answers.detail(text))
    try:
        data = loads(request.body) if request.body.strip() else {}
    except ValueError as exc:
        return {}, (400, answers.detail(f"JSON parse error - {exc}"))
    if not isinstance(data, dict):
        text = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        return {}, (400, dumps({"non_field_errors": [text]}))
    return data, None
