"""The emulator's data: customers per workspace and mode (test data is separate), their
documents (which decide whether a DELETE archives or deletes), filtering and rendering."""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from .._geo import COUNTRIES, STATES
from ._validation import BOOLEAN_FIELDS, TEXT_FIELDS, Errors, clean

Shape = Literal["reference", "seed"]
DocumentKind = Literal["invoice", "subscription", "source"]
TERMINAL_SUBSCRIPTIONS = frozenset({"cancelled", "finalized"})
ACTIVE_SUBSCRIPTION = "Customer has active subscriptions; cancel them first."
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class Document:
    """An invoice, subscription or payment source of a customer."""

    kind: DocumentKind
    status: str
    amount: float = 0.0


@dataclass(slots=True)
class CustomerRecord:
    id: str
    number: int
    """Creation order (ties of `created` are broken by it)."""
    fields: dict[str, Any]
    test_mode: bool
    created: float
    updated: float
    status: str = "active"
    documents: list[Document] = field(default_factory=list)

    def keeps_history(self) -> bool:
        """Whether a DELETE must archive it: non-draft invoices, terminal subscriptions or
        sources (valuable ones, or abandoned with payments: any source, here)."""
        return any(
            (doc.kind == "invoice" and doc.status != "draft")
            or (doc.kind == "subscription" and doc.status in TERMINAL_SUBSCRIPTIONS)
            or doc.kind == "source"
            for doc in self.documents
        )


class Space:
    """One workspace's customers in one mode (live or test), indexed by metadata value so
    that a `metadata__<key>=` lookup does not scan them all."""

    def __init__(self) -> None:
        self.customers: dict[str, CustomerRecord] = {}
        self._by_metadata: dict[tuple[str, str], set[str]] = {}

    def add(self, record: CustomerRecord) -> None:
        self.customers[record.id] = record
        self._index(record, add=True)

    def remove(self, record: CustomerRecord) -> None:
        self._index(record, add=False)
        del self.customers[record.id]

    def replace_fields(self, record: CustomerRecord, fields: dict[str, Any]) -> None:
        self._index(record, add=False)
        record.fields = fields
        self._index(record, add=True)

    def candidates(self, filters: Mapping[str, str]) -> Iterable[CustomerRecord]:
        """The customers that may match: those of one `metadata__` filter, else all."""
        for name, wanted in filters.items():
            if name.startswith("metadata__"):
                ids = self._by_metadata.get((name.removeprefix("metadata__"), wanted), set())
                return [self.customers[i] for i in ids]
        return self.customers.values()

    def _index(self, record: CustomerRecord, *, add: bool) -> None:
        for key, value in (record.fields.get("metadata") or {}).items():
            ids = self._by_metadata.setdefault((key, _as_text(value)), set())
            if add:
                ids.add(record.id)
            else:
                ids.discard(record.id)


class State:
    """Every workspace's customers; ids come from a seeded generator."""

    def __init__(self, *, account_country: str, seed: int | None) -> None:
        self.account_country = account_country
        self._spaces: dict[tuple[str, bool], Space] = {}
        self._rng = random.Random(seed)
        self._number = 0

    def space(self, workspace: str, test_mode: bool) -> Space:
        return self._spaces.setdefault((workspace, test_mode), Space())

    def spaces(self) -> Iterable[tuple[tuple[str, bool], Space]]:
        return self._spaces.items()

    def new_id(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(18))

    def create(
        self, space: Space, body: Mapping[str, Any], *, test_mode: bool, now: float
    ) -> tuple[CustomerRecord | None, Errors]:
        data, errors = clean(body, None, partial=False, account_country=self.account_country)
        if errors:
            return None, errors
        self._number += 1
        record = CustomerRecord(self.new_id("cus_"), self._number, data, test_mode, now, now)
        space.add(record)
        return record, {}

    def update(
        self,
        space: Space,
        record: CustomerRecord,
        body: Mapping[str, Any],
        *,
        partial: bool,
        now: float,
    ) -> Errors:
        data, errors = clean(
            body, record.fields, partial=partial, account_country=self.account_country
        )
        if not errors:
            space.replace_fields(record, data)
            record.updated = now
        return errors

    def delete(self, space: Space, record: CustomerRecord) -> str | None:
        """Archive or delete; the reason it cannot, if it cannot."""
        if any(d.kind == "subscription" and d.status == "active" for d in record.documents):
            return ACTIVE_SUBSCRIPTION
        if record.keeps_history():
            record.status = "archived"
        else:
            space.remove(record)
        return None


def matches(record: CustomerRecord, filters: Mapping[str, str], reference_filter: bool) -> bool:
    """Whether a customer passes the list filters (unknown parameters are ignored, as
    django-filter does; `reference` is one of them unless `reference_filter`)."""
    data = record.fields
    for name, wanted in filters.items():
        if name in ("country", "email", "name", "tax_id") or (
            name == "reference" and reference_filter
        ):
            if str(data.get(name) or "") != wanted:
                return False
        elif name.startswith("metadata__"):
            key = name.removeprefix("metadata__")
            metadata = data.get("metadata") or {}
            if key not in metadata or _as_text(metadata[key]) != wanted:
                return False
        elif name in ("created__gte", "created__lte"):
            moment = _moment(wanted)
            if moment is None:
                continue
            if (record.created < moment) if name.endswith("gte") else (record.created > moment):
                return False
        elif name == "search":
            needle = wanted.lower()
            haystack = (str(data.get(k) or "").lower() for k in ("name", "email", "tax_id"))
            if not any(needle in text for text in haystack):
                return False
    return True


def ordered(records: Iterable[CustomerRecord], ordering: str | None) -> list[CustomerRecord]:
    """Sorted by `ordering` (`created`, `-created`, `name`, `-name`; default `-created`)."""
    ordering = ordering if ordering in ("created", "-created", "name", "-name") else "-created"
    field_name = ordering.lstrip("-")
    if field_name == "name":
        result = sorted(records, key=lambda r: (str(r.fields.get("name", "")).lower(), r.number))
    else:
        result = sorted(records, key=lambda r: (r.created, r.number))
    return result[::-1] if ordering.startswith("-") else result


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _moment(text: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def render(record: CustomerRecord, shape: Shape) -> dict[str, Any]:
    """The customer as the API answers it, with `country` and `state` in the chosen shape:
    the seed document's or the API reference's."""
    data = record.fields
    country = COUNTRIES[data["country"]]
    state = STATES.get(data.get("state") or "")
    if shape == "seed":
        country_object: dict[str, Any] = {
            "id": country.id,
            "name": country.name,
            "name_en": country.name_en,
            "phone_code": country.phone_code,
            "has_regulation": country.has_regulation,
            "tax_percent": country.tax_percent,
        }
        state_object: dict[str, Any] | None = (
            {"id": state.id, "code": state.code, "name": state.name} if state else None
        )
    else:
        country_object = {
            "id": country.id,
            "name": country.name,
            "code": country.phone_code,
            "has_regulation": country.has_regulation,
            "currencies": [country.currency],
        }
        state_object = (
            {"id": state.number, "name": state.name, "country": state.country} if state else None
        )
    invoiced = [d.amount for d in record.documents if d.kind == "invoice" and d.status != "draft"]
    unpaid = [d.amount for d in record.documents if d.kind == "invoice" and d.status == "finalized"]
    return {
        "id": record.id,
        **{name: data.get(name, "") for name in ("name", "address")},
        "country": country_object,
        "state": state_object,
        "currency": data["currency"],
        **{name: data.get(name, "") for name in TEXT_FIELDS if name not in ("name", "address")},
        "tax_settings": data.get("tax_settings") or {},
        "metadata": data.get("metadata") or {},
        **{name: data.get(name, True) for name in BOOLEAN_FIELDS},
        "status": record.status,
        "contacts": [],
        "sources": [],
        "aggregations": {
            "sales": float(sum(invoiced)),
            "sales_current_period": float(sum(invoiced)),
            "balance": float(sum(unpaid)),
        },
        "test_mode": record.test_mode,
        "created": _timestamp(record.created),
        "updated": _timestamp(record.updated),
    }
