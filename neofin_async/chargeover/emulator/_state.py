"""The emulator's customers: stored, validated and queried like ChargeOver does.

Every operation returns an `Outcome` (the envelope's `code`, `message`, `response`); the app
wraps it into the `{code, status, message, details, response}` body. Texts quoted from the
docs or SDK fixtures are marked as such; the others are **(inferred)**.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from .._models import CustomerChanges
from ._query import QueryError, parse_where, sort_key

FIELDS = tuple(CustomerChanges.model_fields)
"""The writable fields, in the documentation's order (records render in this order)."""
WRITABLE = frozenset(FIELDS)
INTEGER_FIELDS = frozenset(
    name for name in WRITABLE if name.endswith("_id") and name != "external_key"
)
FLAG_FIELDS = frozenset({"no_taxes", "no_dunning", "no_latefees", "no_procfees"})
DELIVERY_FIELDS = frozenset({"invoice_delivery", "dunning_delivery"})
READ_ONLY = (
    "customer_id",
    "token",
    "superuser_id",
    "display_as",
    "bill_block",
    "ship_block",
    "currency_iso4217",
    "currency_symbol",
    "paid",
    "total",
    "balance",
    "customer_status_name",
    "customer_status_str",
    "customer_status_state",
    "write_datetime",
    "mod_datetime",
)
QUERYABLE = (*sorted(WRITABLE - {"tags"}), *READ_ONLY)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MISSING_DATA = "A required parameter was missing: No data."  # chargeover_ruby fixture
NOT_FOUND = "This customer does not exist."  # chargeover_ruby fixture (404, response null)


class Outcome(NamedTuple):
    code: int
    message: str = ""
    response: Any = None


def _refused(message: str) -> Outcome:
    return Outcome(400, message, False)


@dataclass
class CustomerStore:
    """Customers by id, with the `external_key` UNIQUE constraint and the token index.

    `reuse_deleted_keys=False` is ChargeOver's default policy: a deleted customer's external
    key can never be used again (external-keys page)."""

    reuse_deleted_keys: bool = False
    seed: int | None = None
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)
    by_token: dict[str, int] = field(default_factory=dict)
    retired_keys: set[str] = field(default_factory=set)
    next_id: int = 1

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    # -- lookups ---------------------------------------------------------------------------

    def find(self, ref: str) -> int | None:
        """The id a path reference names: `12`, `external_key:abc` or `token:xyz`."""
        kind, sep, value = ref.partition(":")
        if sep and kind == "external_key":
            return self.by_key.get(value)
        if sep and kind == "token":
            return self.by_token.get(value)
        return int(ref) if ref.isdigit() and int(ref) in self.records else None

    def by_external_key(self, key: str) -> dict[str, Any] | None:
        """The stored customer with this `external_key`, if any."""
        customer_id = self.by_key.get(key)
        return None if customer_id is None else self.records[customer_id]

    # -- operations ------------------------------------------------------------------------

    def create(self, payload: Any, now: float) -> Outcome:
        """`POST /customer`: store a new customer (201), refusing a used `external_key`."""
        problem = self._check(payload, creating=True)
        if problem:
            return _refused(problem)
        customer_id = self.next_id
        self.next_id += 1
        stamp = _datetime(now)
        record: dict[str, Any] = {"customer_id": customer_id, **dict.fromkeys(FIELDS)}
        record.update(
            token=self._token(),
            superuser_id=10_000 + customer_id,
            currency_id=1,
            language_id=1,
            brand_id=1,
            tags=[],
            paid=0,
            total=0,
            balance=0,
            customer_status_name="Current",
            customer_status_str="active-current",
            customer_status_state="a",
            write_datetime=stamp,
        )
        self._write(record, payload, stamp)
        self.records[customer_id] = record
        self.by_token[record["token"]] = customer_id
        return Outcome(201, "", {"id": customer_id})

    def update(self, ref: str, payload: Any, now: float) -> Outcome:
        """`PUT /customer/{ref}`: change the fields given (202)."""
        customer_id = self.find(ref)
        if customer_id is None:
            return Outcome(404, NOT_FOUND, None)
        problem = self._check(payload, creating=False, customer_id=customer_id)
        if problem:
            return _refused(problem)
        self._write(self.records[customer_id], payload, _datetime(now))
        return Outcome(202, "", {"id": customer_id})

    def get(self, ref: str) -> Outcome:
        """`GET /customer/{ref}`: by id, `external_key:` or `token:` (404 if none)."""
        customer_id = self.find(ref)
        if customer_id is None:
            return Outcome(404, NOT_FOUND, None)
        return Outcome(200, "", dict(self.records[customer_id]))

    def delete(self, ref: str) -> Outcome:
        """`DELETE /customer/{ref}`: remove it; its key stays used unless `reuse_deleted_keys`."""
        customer_id = self.find(ref)
        if customer_id is None:
            return Outcome(404, NOT_FOUND, None)
        record = self.records.pop(customer_id)
        self.by_token.pop(record["token"], None)
        if record["external_key"] is not None:
            del self.by_key[record["external_key"]]
            if not self.reuse_deleted_keys:
                self.retired_keys.add(record["external_key"])
        return Outcome(200, "", True)

    def query(self, where: str, order: str, offset: int, limit: int) -> Outcome:
        """`GET /customer?where=...`: matching customers in `order`, from `offset`."""
        try:
            matches = parse_where(where, QUERYABLE)
            keys = sort_key(order or "customer_id:ASC", QUERYABLE)
        except QueryError as exc:
            return _refused(str(exc))
        found = [record for record in self.records.values() if matches(record)]
        for name, descending in reversed(keys):
            found.sort(
                key=lambda r: (r[name] is not None, "" if r[name] is None else r[name]),
                reverse=descending,
            )
        return Outcome(200, "", [dict(r) for r in found[offset : offset + limit]])

    def count(self, where: str) -> Outcome:
        """`GET /customer/_count?where=...`: how many customers match."""
        try:
            matches = parse_where(where, QUERYABLE)
        except QueryError as exc:
            return _refused(str(exc))
        return Outcome(200, "", sum(1 for record in self.records.values() if matches(record)))

    # -- internals -------------------------------------------------------------------------

    def _check(self, payload: Any, *, creating: bool, customer_id: int | None = None) -> str:
        """The refusal message for a payload, or "" when it may be written (inferred texts
        after the documented "Missing or invalid parameter.")."""
        if not isinstance(payload, dict) or (creating and not payload):
            return MISSING_DATA
        for name, value in payload.items():
            problem = self._check_field(name, value)
            if problem:
                return problem
        company = payload.get("company")
        if creating and (not isinstance(company, str) or not company.strip()):
            return "A required parameter was missing: company."
        key = payload.get("external_key")
        if key is not None and self.by_key.get(key, customer_id) != customer_id:
            return f'The external key "{key}" is already in use by another customer.'
        if key is not None and key in self.retired_keys:
            return f'The external key "{key}" belonged to a deleted customer and cannot be reused.'
        parent = payload.get("parent_customer_id")
        if parent is not None and int(parent) not in self.records:
            return f"Invalid parent_customer_id: customer {parent} does not exist."
        return ""

    def _check_field(self, name: str, value: Any) -> str:
        if name not in WRITABLE:
            return f"Missing or invalid parameter: unknown field {name}."
        if value is None:
            return "Missing or invalid parameter: company." if name == "company" else ""
        if name in INTEGER_FIELDS:
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, str) and value.isdigit()
            )
        elif name in FLAG_FIELDS:
            ok = isinstance(value, bool) or value in (0, 1)
        elif name in DELIVERY_FIELDS:
            ok = value in ("email", "print")
        elif name == "tags":
            ok = isinstance(value, list) and all(isinstance(tag, str) for tag in value)
        elif name == "superuser_email":
            ok = isinstance(value, str) and (value == "" or bool(_EMAIL.match(value)))
        elif name == "company":
            ok = isinstance(value, str) and bool(value.strip())
        else:
            ok = isinstance(value, str)
        return "" if ok else f"Missing or invalid parameter: {name}."

    def _write(self, record: dict[str, Any], payload: dict[str, Any], stamp: str) -> None:
        old_key = record["external_key"]
        for name, value in payload.items():
            if name in INTEGER_FIELDS and value is not None:
                value = int(value)
            elif name in FLAG_FIELDS and value is not None:
                value = bool(value)
            record[name] = value
        if record["external_key"] != old_key:
            if old_key is not None:
                del self.by_key[old_key]
            if record["external_key"] is not None:
                self.by_key[record["external_key"]] = record["customer_id"]
        record["display_as"] = record["company"]
        record["bill_block"] = _block(record, "bill")
        record["ship_block"] = _block(record, "ship")
        record["currency_iso4217"], record["currency_symbol"] = "USD", "$"
        record["mod_datetime"] = stamp

    def _token(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        while True:
            token = "".join(self._random.choice(alphabet) for _ in range(12))
            if token not in self.by_token:
                return token


def _datetime(now: float) -> str:
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _block(record: dict[str, Any], prefix: str) -> str:
    """The printable address, as ChargeOver's `bill_block` renders it."""
    lines = [record[f"{prefix}_addr{n}"] for n in (1, 2, 3)]
    place = " ".join(
        filter(
            None,
            (record[f"{prefix}_city"], record[f"{prefix}_state"], record[f"{prefix}_postcode"]),
        )
    )
    return "\n".join(filter(None, [*lines, place, record[f"{prefix}_country"]]))
