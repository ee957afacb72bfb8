"""`PiriodClient.customers`: `/customers/` endpoints, and the bulk upsert keyed by `reference`."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import anyio

from .._base_client import Resource
from .._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidItemError,
    NotFoundError,
)
from .._pipeline import RequestPipeline
from .._retry import RetryEvent
from .._urls import segment
from ..bulk import Answer, BulkUpserts
from ..models import AllowedExtras, ExtraFields, resolve_extra_fields, validate_item
from ._constants import MAX_CHUNK_SIZE, PAGE_SIZE, REFERENCE_METADATA_KEY
from ._pager import PiriodPager
from ._upsert import PATH, LookupBy, Tally, Upserter, customer_of
from .models import Customer, CustomerInput, CustomerUpdate

FilterValue = str | int | float | bool | date | datetime | None


def _query_value(value: FilterValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


class Customers(Resource, BulkUpserts[CustomerInput]):
    """Create, read, update, delete and list customers; `bulk_upsert` any number of them."""

    bulk_provider = "piriod"
    bulk_resource = "customers"
    bulk_key_field = "reference"
    max_chunk_size = MAX_CHUNK_SIZE
    """Items of a chunk, upserted at once (one request each): `concurrency` chunks in flight
    make up to `concurrency x chunk_size` requests in flight."""

    def __init__(
        self,
        pipeline: RequestPipeline,
        *,
        account: str = "",
        extra_fields: ExtraFields = None,
        lookup_by: LookupBy = "metadata",
    ) -> None:
        super().__init__(pipeline, account=account, extra_fields=extra_fields)
        self._upserter = Upserter(pipeline, lookup_by=lookup_by)

    async def create(
        self, item: CustomerInput | Mapping[str, Any], *, extra_fields: ExtraFields = None
    ) -> Customer:
        """`POST /customers/`: the new customer (201). Validated first (`InvalidItemError`);
        `extra_fields` lets fields the model does not know through (added to the client's).

        Not retried: Piriod has no idempotency key, so a resent create could make a second
        customer. Use `bulk_upsert` (keyed by `reference`) for retries that are safe."""
        allowed = resolve_extra_fields(self._extra_fields, extra_fields)
        model = validate_item(CustomerInput, item, 0, extra_fields=allowed)
        reply = await self._pipeline.request("POST", PATH, content=model.to_json(), retryable=False)
        return customer_of(reply.data)

    async def retrieve(self, id: str) -> Customer:
        """`GET /customers/{id}/`."""
        reply = await self._pipeline.request("GET", self._path(id))
        if not isinstance(reply.data, dict):
            raise APIError(
                f"GET {self._path(id)} answered {reply.status_code} without a customer object",
                status_code=reply.status_code,
                request_id=reply.request_id,
            )
        return Customer.model_validate(reply.data)

    async def update(
        self,
        id: str,
        changes: CustomerUpdate | Mapping[str, Any],
        *,
        extra_fields: ExtraFields = None,
    ) -> Customer:
        """`PATCH /customers/{id}/`: only the fields given change (validated first). Note that
        `metadata`, when given, replaces the customer's whole metadata."""
        allowed = resolve_extra_fields(self._extra_fields, extra_fields)
        model = validate_item(CustomerUpdate, changes, 0, extra_fields=allowed)
        reply = await self._pipeline.request("PATCH", self._path(id), content=model.to_json())
        return customer_of(reply.data)

    async def delete(self, id: str) -> None:
        """`DELETE /customers/{id}/` (204): Piriod archives (`status="archived"`) a customer
        with non-draft invoices, terminal subscriptions or payment sources, and deletes the
        others; one with active subscriptions is refused (400). A delete retried after a
        lost answer that finds the customer gone counts as done."""
        retried = False

        def note(event: RetryEvent) -> None:
            nonlocal retried
            retried = True

        try:
            await self._pipeline.request("DELETE", self._path(id), on_retry=note)
        except NotFoundError:
            if not retried:
                raise

    def list(self, **filters: FilterValue) -> PiriodPager[Customer]:
        """Every customer matching the filters, page after page (`async for customer in ...`).

        Documented filters: `country`, `email`, `name`, `tax_id`, `created__gte`,
        `created__lte`, `metadata__<key>`, `search`, `ordering` (e.g. `"-created"`). Filters
        the server does not know are ignored by it, not refused."""
        params = {name: _query_value(value) for name, value in filters.items()}
        return PiriodPager(self._pipeline, PATH, model=Customer, params=params, page_size=PAGE_SIZE)

    async def find(self, reference: str) -> Customer | None:
        """The customer `bulk_upsert` keyed with `reference`, or None (looked up through the
        `metadata` key it writes, or `?reference=` with `lookup_by="reference"`)."""
        return await self._upserter.find(reference)

    def _path(self, id: str) -> str:
        return f"{PATH}{segment(id, 'id')}/"

    # -- the bulk engine's hooks -----------------------------------------------------------

    def _bulk_prepare(self, raw: Any, index: int, extra_fields: AllowedExtras) -> CustomerInput:
        try:
            item = validate_item(CustomerInput, raw, index, extra_fields=extra_fields)
        except InvalidItemError as exc:
            raise InvalidItemError(index, exc.errors, self._bulk_key(raw)) from None
        if item.reference is None:
            message = "required for bulk_upsert: the key customers are upserted by"
            raise InvalidItemError(index, {"reference": [message]})
        metadata = dict(item.metadata or {})
        known = metadata.setdefault(REFERENCE_METADATA_KEY, item.reference)
        if known != item.reference:
            message = f"must equal reference ({item.reference!r}) or be left out"
            errors = {f"metadata.{REFERENCE_METADATA_KEY}": [message]}
            raise InvalidItemError(index, errors, item.reference)
        return item.model_copy(update={"metadata": metadata})

    def _bulk_key(self, item: Any) -> str | None:
        value = (
            item.get("reference") if isinstance(item, Mapping) else getattr(item, "reference", None)
        )
        return value if isinstance(value, str) else None

    def _bulk_content(self, item: CustomerInput) -> bytes:
        return item.to_json()

    def _bulk_tenant(self) -> str:
        return self._account

    async def _bulk_send(
        self, items: builtins.list[CustomerInput], on_retry: Callable[[RetryEvent], None]
    ) -> Answer:
        """Upsert a chunk's items at once, one request each, and fold each outcome: a 400's
        field map rejects the item, a 401/403 fails it and stops the run (the other items
        keep what the server said of them)."""
        answer = Answer(requests=0)
        tallies = [Tally() for _ in items]

        async def upsert(position: int) -> None:
            try:
                await self._upserter.upsert(items[position], tallies[position], on_retry)
            except BadRequestError as exc:
                answer.rejected[position] = exc.errors or {"detail": [exc.message]}
            except AuthenticationError as exc:
                answer.failed[position] = exc
                answer.stop = answer.stop or exc
            except Exception as exc:
                answer.failed[position] = exc

        async with anyio.create_task_group() as group:
            for position in range(len(items)):
                group.start_soon(upsert, position)
        answer.requests = sum(tally.unreported for tally in tallies)
        return answer
