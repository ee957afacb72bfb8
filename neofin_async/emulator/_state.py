"""The emulator's memory: billings, customers, events, the processing queue and the lifecycle.

Every change happens at a given Unix time `t`; scheduled changes (processing, registration,
overdue) are kept in one heap so they are applied in time order, whenever `advance` is called.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .._brazil import sao_paulo
from .._fields import BILLING_FIELDS, CUSTOMER_FIELDS, CUSTOMER_FROM_BILLING
from ._config import EmulatorConfig

CANCELLABLE = frozenset({"pending", "overdue", "error"})
PAYABLE = frozenset({"pending", "overdue", "partially_paid"})
OPEN = frozenset({"pending", "overdue", "partially_paid"})
CLOSED = frozenset({"paid", "cancelled"})
STATUSES = frozenset(
    {
        "processing", "pending", "overdue", "cancelled", "cancelling", "payment_approved",
        "paid", "deleted", "deleting", "renegotiated", "partially_paid", "in_liquidation",
        "credited", "pending_derogatory", "processing_derogatory", "derogatory",
        "derogatory_cancelled", "paid_after_derogatory", "pending_protest",
        "processing_protest", "protested", "protest_cancelled", "paid_after_protested", "error",
    }
)  # fmt: skip
API = "Integração API"
SYSTEM = "Neofin"


class Refused(ValueError):
    """The operation is not allowed in the billing's current state (answered with 400)."""


@dataclass(eq=False)
class Payment:
    """One installment of a billing."""

    id: str
    number: str
    """`<billing_number>-<n>`."""
    index: int
    count: int
    amount: int
    due_date: int
    status: str = "pending"
    paid_amount: int = 0
    discount: int = 0
    paid_at: int | None = None
    paid_method: str | None = None

    @property
    def balance(self) -> int:
        """What is still owed on the installment, in centavos."""
        return self.amount - self.paid_amount - self.discount


@dataclass(eq=False)
class BillingRecord:
    """A billing as the emulator holds it; `data` is the last upserted item (known fields)."""

    integration_identifier: str
    billing_number: str
    data: dict[str, Any]
    customer: CustomerRecord
    status: str
    issued_at: int
    updated_at: int
    payments: list[Payment] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    nf_file: bytes | None = None
    boleto_file: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(eq=False)
class CustomerRecord:
    id: str
    document: str
    data: dict[str, Any]
    created_at: int
    updated_at: int


Notify = Callable[[str, BillingRecord, list[Payment], int], None]
"""Called with (topic, billing, payments, time) on each change a webhook reports."""


class State:
    def __init__(self, config: EmulatorConfig, notify: Notify) -> None:
        self.config = config
        self._notify = notify
        self.billings: dict[str, BillingRecord] = {}
        self.billings_by_number: dict[str, BillingRecord] = {}
        self.billing_order: list[BillingRecord] = []
        self.customers: dict[str, CustomerRecord] = {}
        self.customers_by_identifier: dict[str, CustomerRecord] = {}
        self.events: list[dict[str, Any]] = []
        self.paid_installments: list[tuple[BillingRecord, Payment]] = []
        self._schedule: list[tuple[float, int, str, Any]] = []
        self._sequence = itertools.count()
        self._ids = random.Random(config.seed)
        self._numbers = itertools.count(100_000_000_000_000 + self._ids.randrange(10**13))
        self.queued = 0

    # -- scheduling --------------------------------------------------------------------------

    def enqueue(self, kind: str, items: Iterable[dict[str, Any]], now: float) -> None:
        """Queue upserted items (`kind` "billing" or "customer") for processing."""
        due = now + self.config.processing_delay
        for item in items:
            self._at(due, kind, item)
            self.queued += 1

    def advance(self, now: float) -> None:
        """Apply, in time order, every scheduled change due at `now`."""
        schedule = self._schedule
        while schedule and schedule[0][0] <= now:
            when, _, kind, payload = heapq.heappop(schedule)
            t = int(when)
            if kind == "billing":
                self.queued -= 1
                self._process_billing(payload, t)
            elif kind == "customer":
                self.queued -= 1
                self._upsert_customer(payload, t)
            elif kind == "register":
                self._register(payload, t)
            else:
                billing, payment = payload
                self._overdue(billing, payment, t)

    def next_due(self) -> float | None:
        return self._schedule[0][0] if self._schedule else None

    def _at(self, when: float, kind: str, payload: Any) -> None:
        heapq.heappush(self._schedule, (when, next(self._sequence), kind, payload))

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # -- processing --------------------------------------------------------------------------

    def _upsert_customer(self, item: dict[str, Any], t: int) -> CustomerRecord:
        data = {k: v for k, v in item.items() if k in CUSTOMER_FIELDS and v is not None}
        return self._store_customer(data, t, keep_existing=False)

    def _store_customer(
        self, data: dict[str, Any], t: int, *, keep_existing: bool
    ) -> CustomerRecord:
        document = data["document"]
        customer = self.customers.get(document)
        if customer is None:
            customer = CustomerRecord(self.new_id(), document, data, t, t)
            self.customers[document] = customer
        elif not keep_existing:
            old = customer.data.get("integration_identifier")
            customer.data.update(data)
            customer.updated_at = t
            if old and old != customer.data.get("integration_identifier"):
                self.customers_by_identifier.pop(old, None)
        identifier = customer.data.get("integration_identifier")
        if identifier:
            self.customers_by_identifier[identifier] = customer
        return customer

    def _process_billing(self, item: dict[str, Any], t: int) -> None:
        data = {k: v for k, v in item.items() if k in BILLING_FIELDS}
        identifier = data["integration_identifier"]
        billing = self.billings.get(identifier)
        if billing is not None and billing.status in CLOSED:
            return  # a paid or cancelled billing is not revived by an upsert (neofin-api.md 2.1)
        customer_data = {
            target: data[source]
            for source, target in CUSTOMER_FROM_BILLING.items()
            if data.get(source) is not None
        }
        keep = bool(data.get("ignore_existing_customer_upsert"))
        customer = self._store_customer(customer_data, t, keep_existing=keep)
        if billing is None:
            number = str(next(self._numbers))
            billing = BillingRecord(identifier, number, data, customer, "processing", t, t)
            billing.payments = self._payments(billing)
            self.billings[identifier] = billing
            self.billings_by_number[number] = billing
            self.billing_order.append(billing)
            self.event(billing, "billing_created", t, "Billing created.", API)
            self._at(t + self.config.registration_delay, "register", billing)
            return
        billing.data = data
        billing.customer = customer
        billing.updated_at = t
        if not any(p.paid_amount or p.discount for p in billing.payments):
            billing.payments = self._payments(billing)
            if billing.status in OPEN:
                self._open(billing, t)
        self.event(billing, "billing_updated", t, "Billing updated.", API)

    def _payments(self, billing: BillingRecord) -> list[Payment]:
        data = billing.data
        count, amount, due = data["installments"], data["amount"], data["due_date"]
        share, rest = divmod(amount, count)
        return [
            Payment(
                id=self.new_id(),
                number=f"{billing.billing_number}-{n}",
                index=n,
                count=count,
                amount=share + (1 if n <= rest else 0),
                due_date=_installment_due(due, data["installment_type"], n - 1),
            )
            for n in range(1, count + 1)
        ]

    def _register(self, billing: BillingRecord, t: int) -> None:
        if billing.status != "processing":
            return
        self._set_status(billing, "pending", t, SYSTEM)
        self._notify("payments/created", billing, billing.payments, t)
        if billing.data["type"] != "generic":
            self._notify("payments/registered", billing, billing.payments, t)
        self._open(billing, t)

    def _open(self, billing: BillingRecord, t: int) -> None:
        """(Re)open the unpaid installments and schedule when they fall overdue."""
        for payment in billing.payments:
            if payment.status in ("overdue", "cancelled"):
                payment.status = "pending"
            if payment.status == "pending":
                when = max(payment.due_date + self.config.overdue_grace, t)
                self._at(when, "overdue", (billing, payment))
        if billing.status == "overdue":
            self._set_status(billing, "pending", t, SYSTEM)

    def _overdue(self, billing: BillingRecord, payment: Payment, t: int) -> None:
        current = payment in billing.payments and payment.status == "pending"
        if not current or billing.status not in OPEN:
            return  # stale: paid, cancelled or replaced since it was scheduled
        payment.status = "overdue"
        billing.updated_at = t
        if billing.status == "pending":
            self._set_status(billing, "overdue", t, SYSTEM)
        self._notify("payments/overdue", billing, [payment], t)

    # -- operations --------------------------------------------------------------------------

    def cancel(self, billing: BillingRecord, t: int) -> None:
        if billing.status not in CANCELLABLE:
            raise Refused(
                f"Billing cannot be cancelled in status '{billing.status}': only pending, "
                "overdue or error billings can be cancelled."
            )
        cancelled = [p for p in billing.payments if p.status != "paid"]
        for payment in cancelled:
            payment.status = "cancelled"
        self._set_status(billing, "cancelled", t, API)
        self._notify("payments/cancelled", billing, cancelled, t)

    def reopen(self, billing: BillingRecord, t: int) -> None:
        if billing.status != "cancelled":
            raise Refused(
                f"Billing cannot be reopened in status '{billing.status}': only cancelled "
                "billings can be reopened."
            )
        self._set_status(billing, "pending", t, API)
        self._open(billing, t)

    def pay(
        self,
        billing: BillingRecord,
        t: int,
        *,
        amount: int | None = None,
        discount: int = 0,
        paid_at: int | None = None,
        method: str | None = None,
        payments: list[Payment] | None = None,
    ) -> None:
        """Settle the open installments in order (or `payments`) with `amount` (default: all
        that is owed) plus `discount`; fully settled installments become paid."""
        if billing.status == "paid":
            raise Refused("Billing is already paid.")
        if billing.status not in PAYABLE:
            raise Refused(f"Billing cannot be paid in status '{billing.status}'.")
        targets = [p for p in (payments or billing.payments) if p.status != "paid"]
        money = sum(p.balance for p in targets) if amount is None else amount
        moment = t if paid_at is None else paid_at
        settled, touched = [], False
        for payment in targets:
            take = min(money, payment.balance)
            money -= take
            waived = min(discount, payment.balance - take)
            discount -= waived
            if not take and not waived:
                break
            touched = True
            payment.paid_amount += take
            payment.discount += waived
            payment.paid_method = method
            if payment.paid_at is None:
                self.paid_installments.append((billing, payment))
            payment.paid_at = moment
            if payment.balance <= 0:
                payment.status = "paid"
                settled.append(payment)
            else:
                payment.status = "partially_paid"
        if not touched:
            raise Refused("Nothing to pay: the amount is zero.")
        if all(p.status == "paid" for p in billing.payments):
            self._set_status(billing, "paid", t, API)
        elif billing.status != "partially_paid":
            self._set_status(billing, "partially_paid", t, API)
        else:
            billing.updated_at = t
            self.event(billing, "payment_received", t, "Partial payment received.", API)
        if settled:
            self._notify("payments/paid", billing, settled, t)

    def force_status(self, billing: BillingRecord, status: str, t: int) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown billing status {status!r}")
        self._set_status(billing, status, t, SYSTEM)

    # -- events ------------------------------------------------------------------------------

    def _set_status(self, billing: BillingRecord, status: str, t: int, by: str) -> None:
        previous, billing.status, billing.updated_at = billing.status, status, t
        description = f"Status changed from {previous} to {status}."
        self.event(billing, "status_changed", t, description, by)

    def event(self, billing: BillingRecord, kind: str, t: int, description: str, by: str) -> None:
        event = {
            "event_type": kind,
            "event_status": billing.status,
            "event_time": t,
            "event_description": description,
            "by": by,
            "event_category": "billing",
            "billing_number": billing.billing_number,
        }
        billing.events.append(event)
        self.events.append(event)


def _installment_due(first: int, installment_type: str, k: int) -> int:
    """Due date of the installment after `k` periods."""
    if k == 0:
        return first
    if installment_type == "monthly":
        moment = datetime.fromtimestamp(first, sao_paulo())
        month = moment.month - 1 + k
        year, month = moment.year + month // 12, month % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return int(moment.replace(year=year, month=month, day=day).timestamp())
    days = {"weekly": 7, "biweekly": 14}.get(installment_type, 30)
    return first + int(timedelta(days=days * k).total_seconds())
