"""`co.customers`: ChargeOver's `/api/v3/customer` endpoints and the bulk upsert via `_bulk`."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from .._base_client import Resource
from .._exceptions import APIError, InvalidItemError, NotFoundError
from .._pagination import OffsetPager
from .._pipeline import RequestPipeline
from .._retry import RetryEvent
from .._urls import segment
from ..bulk import Answer, BulkUpserts
from ..models import AllowedExtras, ExtraFields, Page, validate_item
from ._constants import API_PREFIX, DEFAULT_PAGE_SIZE, MAX_BULK_REQUESTS
from ._models import Customer, CustomerChanges, CustomerInput
from ._upsert import BULK_PATH, CREATE_PATH, Tally, UpsertOrder, update_path, upsert_chunk
from ._where import Condition, build_where

Where = Mapping[str, Condition] | Iterable[tuple[str, Condition]] | None
"""`{"bill_state": "MN"}` (EQUALS), `{"customer_id": ("GT", 10)}`, `{"external_key": None}`
(IS NULL): every condition must hold; see `neofin_async.chargeover.build_where`."""


class CustomerPager(OffsetPager[Customer]):
    """ChargeOver's customer pages. A listing ends at an empty page rather than a short one:
    ChargeOver does not say whether it caps `limit`, and a capped page must not end it."""

    def _parse(self, body: Any) -> Page[Customer]:
        page = super()._parse(body)
        if page.items and page.next_page_token is None:
            page.next_page_token = str(self._offset + len(page.items))
        return page


def _listed(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise APIError(f"A customer list answered {repr(body)[:200]} instead of a list")
    return body


def _key_of(item: Any) -> str | None:
    value = (
        getattr(item, "external_key", None)
        if isinstance(item, BaseModel) or not isinstance(item, Mapping)
        else item.get("external_key")
    )
    return value if isinstance(value, str) else None


def _id_of(response: Any) -> int:
    value = response.get("id") if isinstance(response, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise APIError(f"ChargeOver answered without the customer's id: {repr(response)[:200]}")
    return int(value)


class Customers(Resource, BulkUpserts[CustomerInput]):
    """`co.customers`: create, read, update and list customers; `bulk_upsert` any number of
    them by `external_key` through `POST /_bulk` (25 per call; see `neofin_async.chargeover.
    _upsert` for why it never creates a duplicate)."""

    bulk_provider = "chargeover"
    bulk_resource = "customers"
    bulk_key_field = "external_key"
    max_chunk_size = MAX_BULK_REQUESTS

    def __init__(
        self,
        pipeline: RequestPipeline,
        *,
        account: str = "",
        extra_fields: ExtraFields = None,
        upsert_order: UpsertOrder = "auto",
    ) -> None:
        super().__init__(pipeline, account=account, extra_fields=extra_fields)
        self.upsert_order: UpsertOrder = upsert_order
        self._tally = Tally()

    async def create(self, item: CustomerInput | Mapping[str, Any]) -> int:
        """`POST /customer`: the new customer's `customer_id`. An item whose `external_key` is
        in use is refused (`BadRequestError`): ChargeOver keeps keys unique."""
        model = self._validate(CustomerInput, item)
        reply = await self._pipeline.request("POST", CREATE_PATH, content=model.to_json())
        return _id_of(reply.data)

    async def update(self, customer_id: int, changes: CustomerChanges | Mapping[str, Any]) -> int:
        """`PUT /customer/{customer_id}` with the fields to change (the others are kept)."""
        model = self._validate(CustomerChanges, changes)
        path = f"{API_PREFIX}/customer/{_number(customer_id)}"
        return _id_of((await self._pipeline.request("PUT", path, content=model.to_json())).data)

    async def retrieve(self, customer_id: int) -> Customer:
        """`GET /customer/{customer_id}`; `NotFoundError` if there is none."""
        return await self._get(f"{API_PREFIX}/customer/{_number(customer_id)}")

    async def retrieve_by_external_key(self, external_key: str) -> Customer:
        """`GET /customer/external_key:{key}`; `NotFoundError` if no customer has it."""
        return await self._get(update_path(external_key))

    async def retrieve_by_token(self, token: str) -> Customer:
        """`GET /customer/token:{token}`."""
        return await self._get(f"{API_PREFIX}/customer/token:{segment(token, 'token')}")

    def list(
        self,
        where: Where = None,
        *,
        order: str = "customer_id:ASC",
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> CustomerPager:
        """Every customer matching `where` (all of them without), page by page (`offset` and
        `limit`), in `order`: `async for customer in co.customers.list({"bill_state": "MN"})`."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        params = {"where": build_where(where) or None, "order": order or None}
        path = f"{API_PREFIX}/customer"
        return CustomerPager(
            self._pipeline, path, model=Customer, params=params, limit=page_size, items=_listed
        )

    async def count(self, where: Where = None) -> int:
        """`GET /customer/_count`: how many customers match `where`."""
        params = {"where": build_where(where)} if where else None
        reply = await self._pipeline.request("GET", f"{API_PREFIX}/customer/_count", params=params)
        if isinstance(reply.data, bool) or not isinstance(reply.data, int):
            raise APIError(f"_count answered {repr(reply.data)[:200]} instead of a number")
        return reply.data

    async def _get(self, path: str) -> Customer:
        data = (await self._pipeline.request("GET", path)).data
        if isinstance(data, list):  # a query-shaped answer: the one match, if any
            if not data:
                raise NotFoundError("This customer does not exist.", status_code=404, url=path)
            data = data[0]
        return Customer.model_validate(data)

    @staticmethod
    def _validate(model: type[CustomerChanges], item: Any) -> Any:
        try:
            return validate_item(model, item, 0)
        except InvalidItemError as exc:
            raise InvalidItemError(0, exc.errors, _key_of(item)) from None

    # -- the bulk engine's hooks -----------------------------------------------------------

    def _bulk_prepare(self, raw: Any, index: int, extra_fields: AllowedExtras) -> CustomerInput:
        try:
            item = validate_item(CustomerInput, raw, index, extra_fields=extra_fields)
        except InvalidItemError as exc:
            key = exc.integration_identifier or _key_of(raw)
            raise InvalidItemError(index, exc.errors, key) from None
        if item.external_key is None:
            message = "required for bulk_upsert: it is the key customers are upserted by"
            raise InvalidItemError(index, {"external_key": [message]}, None)
        return item

    def _bulk_key(self, item: Any) -> str | None:
        return _key_of(item)

    def _bulk_content(self, item: CustomerInput) -> bytes:
        return item.to_json()

    def _bulk_tenant(self) -> str:
        return self._account

    async def _bulk_send(
        self, items: builtins.list[CustomerInput], on_retry: Callable[[RetryEvent], None]
    ) -> Answer:
        request_id: list[str | None] = [None]

        async def call(body: bytes) -> Sequence[Any]:
            try:
                reply = await self._pipeline.request(
                    "POST", BULK_PATH, content=body, on_retry=on_retry
                )
            except APIError as exc:
                answers = _bulk_list(
                    exc.body.get("response") if isinstance(exc.body, dict) else None
                )
                if answers is None:
                    raise
                return answers  # a failed outer status still answering each request
            request_id[0] = reply.request_id
            answers = _bulk_list(reply.data)
            if answers is None:
                raise APIError(
                    f"_bulk answered {reply.status_code} without its per-request list: "
                    f"{repr(reply.data)[:200]}",
                    status_code=reply.status_code,
                    request_id=reply.request_id,
                )
            return answers

        answer = await upsert_chunk(
            items,
            call,
            policy=self._pipeline.retry,
            on_retry=on_retry,
            order=self.upsert_order,
            tally=self._tally,
        )
        answer.request_id = request_id[0]
        return answer


def _bulk_list(response: Any) -> list[Any] | None:
    answers = response.get("_bulk") if isinstance(response, Mapping) else None
    return answers if isinstance(answers, list) else None


def _number(customer_id: int) -> str:
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or customer_id < 1:
        raise ValueError(f"customer_id must be a positive integer, got {customer_id!r}")
    return str(customer_id)
