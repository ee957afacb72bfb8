"""The list endpoints: cursor pages over append-only sequences, with opaque tokens."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from .._brazil import sao_paulo
from .._compat import fromisoformat
from .._emulation import Abort, Answer, Request, dumps
from . import _render as render
from ._answers import BILLING_NOT_FOUND, field_errors
from ._config import EmulatorConfig
from ._state import STATUSES, BillingRecord, Payment, State
from ._validation import compact_document

T = TypeVar("T")


def moment(text: str) -> float:
    """Unix time of an ISO-8601 date-time (naive = UTC) or date (midnight in São Paulo)."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=sao_paulo()).timestamp()
    parsed = fromisoformat(text.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _token(route: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{route}|{position}".encode()).decode().rstrip("=")


def _position(route: str, token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, _, position = text.rpartition("|")
        return int(position) if owner == route and int(position) >= 0 else None
    except ValueError:
        return None


class ListHandlers:
    state: State
    _config: Callable[[], EmulatorConfig]

    @property
    def config(self) -> EmulatorConfig:
        return self._config()

    def billing(self, req: Request, *, by_number: bool = False) -> BillingRecord:
        """The billing the path names (its integration_identifier, or its billing_number);
        `Abort` with Neofin's 404 when there is none."""
        index = self.state.billings_by_number if by_number else self.state.billings
        billing = index.get(req.param)
        if billing is None:
            raise Abort(*BILLING_NOT_FOUND)
        return billing

    def page(
        self,
        req: Request,
        key: str,
        items: Sequence[T],
        render_item: Callable[[T], Any],
        keep: Callable[[T], bool] | None = None,
        start: int = 0,
    ) -> Answer:
        """One page of `items` from `start` (or from the position in `next_page_token`);
        the token is null when no further item would be kept."""
        token = req.query().get("next_page_token")
        if token:
            position = _position(req.route, token)
            if position is None:
                return field_errors({"next_page_token": "Not a valid page token."})
            start = position
        page: list[Any] = []
        size, end, i = self.config.page_size, len(items), start
        while i < end and len(page) < size:
            item = items[i]
            i += 1
            if keep is None or keep(item):
                page.append(render_item(item))
        while keep is not None and i < end and not keep(items[i]):
            i += 1
        next_token = _token(req.route, i) if i < end else None
        return 200, dumps({key: page, "next_page_token": next_token, "count": len(page)})

    def _summaries(self, req: Request, keep: Callable[[BillingRecord], bool] | None) -> Answer:
        url = self.config.pay_url
        billings = self.state.billing_order
        return self.page(req, "billings", billings, lambda b: render.billing_summary(b, url), keep)

    def list_billings(self, req: Request) -> Answer:
        return self._summaries(req, None)

    def list_by_status(self, req: Request) -> Answer:
        status = req.param
        if status not in STATUSES:
            return field_errors({"status": "Not a valid billing status."})
        return self._summaries(req, lambda b: b.status == status)

    def list_by_customer(self, req: Request) -> Answer:
        key, document = req.param, compact_document(req.param)

        def keep(b: BillingRecord) -> bool:
            customer = b.customer
            return (
                customer.document == document or customer.data.get("integration_identifier") == key
            )

        return self._summaries(req, keep)

    def list_updated(self, req: Request) -> Answer:
        window = self._times(req, "start_datetime", "end_datetime")
        if isinstance(window, dict):
            return field_errors(window)
        low, high = window[0] or float("-inf"), window[1] or float("inf")
        return self._summaries(req, lambda b: low <= b.updated_at <= high)

    def list_events(self, req: Request) -> Answer:
        window = self._times(req, "start_datetime")
        if isinstance(window, dict):
            return field_errors(window)
        events, since = self.state.events, window[0]
        first = 0 if since is None else bisect.bisect_left(events, since, key=_event_time)
        return self.page(req, "events", events, _same, start=first)

    def list_billing_events(self, req: Request) -> Answer:
        return self.page(req, "events", self.billing(req).events, _same)

    def list_paid_installments(self, req: Request) -> Answer:
        query, days, errors = req.query(), [], {}
        for name in ("start_paid_at_date", "end_paid_at_date"):
            text = query.get(name)
            try:
                days.append(date.fromisoformat(text) if text else None)
            except ValueError:
                errors[name] = "Not a valid date (YYYY-MM-DD)."
        if errors:
            return field_errors(errors)
        first, last, zone = days[0] or date.min, days[1] or date.max, sao_paulo()

        def keep(entry: tuple[BillingRecord, Payment]) -> bool:
            paid_at = entry[1].paid_at
            return (
                paid_at is not None
                and first <= datetime.fromtimestamp(paid_at, zone).date() <= last
            )

        entries = self.state.paid_installments
        return self.page(req, "installments", entries, lambda e: render.installment(*e), keep)

    @staticmethod
    def _times(req: Request, *names: str) -> list[float | None] | dict[str, str]:
        """The query's date-times as Unix times, or the errors."""
        query, values, errors = req.query(), [], {}
        for name in names:
            text = query.get(name)
            try:
                values.append(moment(text) if text else None)
            except (ValueError, OverflowError):
                errors[name] = "Not a valid datetime (ISO-8601)."
        return errors or values


def _event_time(event: dict[str, Any]) -> float:
    return float(event["event_time"])


def _same(item: T) -> T:
    return item
