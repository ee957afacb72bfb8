"""`client.billings`: /billing endpoints."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import anyio
from pydantic import BaseModel

from .._pagination import AsyncPager
from .._urls import segment
from ..models import (
    AttachmentsResponse,
    Billing,
    BillingEvent,
    BillingInput,
    Installment,
    MessageResponse,
    to_unix,
)
from ._base import UpsertResource

FileLike = bytes | str | os.PathLike[str]
T = TypeVar("T", bound=BaseModel)


class Billings(UpsertResource[BillingInput]):
    """`client.billings`: upsert billings (one request of up to 50, or any number through
    `bulk_upsert`), read them back, mark them paid or cancelled, list them, attach files."""

    bulk_resource = "billings"
    _path = "/billing/"
    _key = "billings"
    _model = BillingInput

    async def retrieve(self, integration_identifier: str) -> Billing:
        """`GET /billing/integration/{integration_identifier}`: by your own id.

        Raises `NotFoundError` while a freshly upserted billing is still queued."""
        path = f"/billing/integration/{_ii(integration_identifier)}"
        return Billing.model_validate((await self._pipeline.request("GET", path)).data)

    async def retrieve_by_number(self, billing_number: str) -> Billing:
        """`GET /billing/{billing_number}`: by Neofin's numeric billing number."""
        path = f"/billing/{_number(billing_number)}"
        return Billing.model_validate((await self._pipeline.request("GET", path)).data)

    async def mark_paid(self, integration_identifier: str) -> MessageResponse:
        """`PUT /billing/paid/{integration_identifier}`: the whole billing, all installments."""
        return await self._put(f"/billing/paid/{_ii(integration_identifier)}")

    async def cancel(self, integration_identifier: str) -> MessageResponse:
        """`PUT /billing/cancel/{integration_identifier}`: only from pending, overdue or error."""
        return await self._put(f"/billing/cancel/{_ii(integration_identifier)}")

    async def mark_paid_v2(
        self,
        billing_number: str,
        *,
        paid_amount: int | None = None,
        discount_amount: int | None = None,
        paid_at: date | str | None = None,
    ) -> MessageResponse:
        """`POST /billing/v2/paid/{billing_number}`: total or partial settlement.

        Documented only by integrators, not by Neofin: shapes may differ. Amounts in centavos
        (default: the original amount), `paid_at` a date (default: today). Not retried."""
        body = {
            "paid_amount": paid_amount,
            "discount_amount": discount_amount,
            "paid_at": _day(paid_at),
        }
        path = f"/billing/v2/paid/{_number(billing_number)}"
        return await self._post(path, {k: v for k, v in body.items() if v is not None})

    async def reopen(self, billing_number: str) -> MessageResponse:
        """`POST /billing/integration/reopen-installment/{billing_number}`: reopen a cancelled
        billing. Documented only by integrators, not by Neofin. Not retried."""
        path = f"/billing/integration/reopen-installment/{_number(billing_number)}"
        return await self._post(path, None)

    def list(
        self, status: str | None = None, *, next_page_token: str | None = None
    ) -> AsyncPager[Billing]:
        """Every billing (`GET /billing/`), or those in one status (`/billing/status/{status}`).

        Every list method iterates items across pages; `next_page_token` starts from a page
        saved earlier (`Page.next_page_token`), so a long listing can resume."""
        path = "/billing/" if status is None else f"/billing/status/{segment(status, 'status')}"
        return self._pager(path, "billings", Billing, next_page_token)

    def list_by_customer(
        self, customer: str, *, next_page_token: str | None = None
    ) -> AsyncPager[Billing]:
        """A customer's billings, by its CPF/CNPJ or `integration_identifier`.

        Neofin's documentation names this route ("Cobranças por cliente") but its page could
        not be read: the path used here, `GET /billing/customer/{customer}`, is inferred, and
        so is the emulator's answer. Check it against the sandbox before relying on it."""
        path = f"/billing/customer/{segment(customer, 'customer')}"
        return self._pager(path, "billings", Billing, next_page_token)

    def list_updated(
        self,
        start: datetime | date | str | None = None,
        end: datetime | date | str | None = None,
        *,
        next_page_token: str | None = None,
    ) -> AsyncPager[Billing]:
        """Billings updated in a window (`GET /billing/updated_at`, ISO-8601 datetimes)."""
        params = {"start_datetime": _iso(start), "end_datetime": _iso(end)}
        return self._pager("/billing/updated_at", "billings", Billing, next_page_token, params)

    def list_events(
        self,
        integration_identifier: str | None = None,
        *,
        since: datetime | date | str | None = None,
        next_page_token: str | None = None,
    ) -> AsyncPager[BillingEvent]:
        """The event feed (`GET /billing/events`), or one billing's events
        (`GET /billing/events/{integration_identifier}`). To follow the feed across runs, keep
        the last page's `next_page_token` and pass it next time."""
        if integration_identifier is not None:
            if since is not None:
                raise ValueError("since applies to the whole feed, not to one billing's events")
            path = f"/billing/events/{_ii(integration_identifier)}"
            return self._pager(path, ("events", "billings"), BillingEvent, next_page_token)
        params = {"start_datetime": _iso(since)}
        return self._pager("/billing/events", "events", BillingEvent, next_page_token, params)

    def list_paid_installments(
        self,
        start: date | str | None = None,
        end: date | str | None = None,
        *,
        next_page_token: str | None = None,
    ) -> AsyncPager[Installment]:
        """Installments paid between two dates, inclusive
        (`GET /billing/installment/by_payment_date`, YYYY-MM-DD)."""
        params = {"start_paid_at_date": _day(start), "end_paid_at_date": _day(end)}
        path = "/billing/installment/by_payment_date"
        return self._pager(path, "installments", Installment, next_page_token, params)

    def _pager(
        self,
        path: str,
        keys: str | tuple[str, ...],
        model: type[T],
        next_page_token: str | None,
        params: dict[str, str | None] | None = None,
    ) -> AsyncPager[T]:
        return AsyncPager(
            self._pipeline,
            path,
            keys=(keys,) if isinstance(keys, str) else keys,
            model=model,
            params=params,
            next_page_token=next_page_token,
        )

    async def attach_nf(self, integration_identifier: str, file: FileLike) -> MessageResponse:
        """`PUT /billing/nfupload/{id}`: attach the NF PDF (bytes or a path). Not retried."""
        body = {"nf_file": await _base64(file)}
        path = f"/billing/nfupload/{_ii(integration_identifier)}"
        return await self._put(path, body, retryable=False)

    async def attach_boleto(self, integration_identifier: str, file: FileLike) -> MessageResponse:
        """`PUT /billing/boletoupload/{id}`: attach a boleto PDF (bytes or a path). Not retried."""
        body = {"file": await _base64(file)}
        path = f"/billing/boletoupload/{_ii(integration_identifier)}"
        return await self._put(path, body, retryable=False)

    async def attach_files(
        self,
        integration_identifier: str,
        files: Sequence[str | os.PathLike[str] | tuple[str, bytes]],
    ) -> AttachmentsResponse:
        """`POST /billing/attachments/{id}`: other files, as paths or `(file_name, bytes)` pairs;
        each name needs an extension. Marked "Testing" by Neofin. Not retried."""
        entries = []
        for file in files:
            name, data = file if isinstance(file, tuple) else (Path(file).name, Path(file))
            if not Path(name).suffix:
                raise ValueError(f"attachment name {name!r} needs an extension, e.g. '.pdf'")
            entries.append({"file_name": name, "file": await _base64(data)})
        if not entries:
            raise ValueError("attach_files() needs at least one file")
        path = f"/billing/attachments/{_ii(integration_identifier)}"
        reply = await self._pipeline.request(
            "POST", path, content=json.dumps({"files": entries}).encode(), retryable=False
        )
        return AttachmentsResponse.model_validate(reply.data)

    async def _put(
        self, path: str, body: dict[str, Any] | None = None, *, retryable: bool = True
    ) -> MessageResponse:
        content = json.dumps(body).encode() if body is not None else None
        reply = await self._pipeline.request("PUT", path, content=content, retryable=retryable)
        return MessageResponse.model_validate(reply.data)

    async def _post(self, path: str, body: dict[str, Any] | None) -> MessageResponse:
        content = json.dumps(body).encode() if body is not None else None
        reply = await self._pipeline.request("POST", path, content=content, retryable=False)
        return MessageResponse.model_validate(reply.data)


def _ii(integration_identifier: str) -> str:
    return segment(integration_identifier, "integration_identifier")


def _number(billing_number: str) -> str:
    return segment(str(billing_number), "billing_number")


def _iso(value: datetime | date | str | None) -> str | None:
    """ISO-8601 UTC (`2025-01-01T00:00:00Z`); a `date` is its first moment in São Paulo."""
    if value is None or isinstance(value, str):
        return value
    moment = datetime.fromtimestamp(to_unix(value), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(value: date | str | None) -> str | None:
    if isinstance(value, datetime):
        raise ValueError("payment dates are days: pass a date or 'YYYY-MM-DD'")
    return value.isoformat() if isinstance(value, date) else value


async def _base64(file: FileLike | Path) -> str:
    data = file if isinstance(file, bytes) else await anyio.Path(file).read_bytes()
    return base64.b64encode(data).decode("ascii")
