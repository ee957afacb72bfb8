"""Which fields an export's records may have, per provider and resource, and which of them
are converted from text: booleans, dates, lists, JSON objects, amounts.

Everything else is left to the provider's input models (Piriod's flat `tax_settings.*` and
`metadata.*` columns included: its models fill the nested fields from them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._exceptions import ConfigurationError
from ..models import BillingInput, CustomerInput

_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Fields:
    """The fields a resource's records may have, the one that keys them, and how cells
    convert."""

    resource: str
    """`billings` or `customers`."""
    names: frozenset[str]
    key: str | None
    """The upsert key (`integration_identifier` for Neofin)."""
    provider: str = "neofin"
    booleans: frozenset[str] = _NONE
    """`true/false`, `1/0`, `sim/não`, `yes/no`."""
    dates: frozenset[str] = _NONE
    """Day first (`15/03/2027`), ISO, Unix seconds, or `--date-format`."""
    lists: frozenset[str] = _NONE
    """Split on any of `list_separators`."""
    list_separators: str = ";,"
    json: frozenset[str] = _NONE
    """A JSON object in a CSV cell."""
    amounts: frozenset[str] = _NONE
    """In `--amount-unit`."""
    open_prefixes: frozenset[str] = _NONE
    """`metadata`: a column `metadata.<anything>` is a field too."""

    @property
    def singular(self) -> str:
        return self.resource.removesuffix("s")

    def knows(self, field: str) -> bool:
        """Whether `field` (as a mapping names it) is one of these fields."""
        head, dot, tail = field.partition(".")
        return field in self.names or bool(dot and tail and head in self.open_prefixes)


def _neofin(resource: str, model: type[BillingInput] | type[CustomerInput]) -> Fields:
    """fees, fine and discount_before_payment are sent as given (their unit is
    undocumented); only `amount` is in `--amount-unit`."""
    return Fields(
        resource,
        frozenset(model.model_fields),
        "integration_identifier",
        booleans=frozenset(
            {"by_mail", "by_whatsapp", "ignore_existing_customer_upsert", "pause_notifications"}
        ),
        dates=frozenset({"due_date", "original_due_date", "discount_before_payment_due_date"}),
        lists=frozenset({"recipients"}),
        json=frozenset({"boleto"}),
        amounts=frozenset({"amount"}),
    )


def _piriod_customers() -> Fields:
    from ..piriod import CustomerInput as PiriodCustomer
    from ..piriod import TaxSettings

    nested = {f"tax_settings.{name}" for name in TaxSettings.model_fields}
    return Fields(
        "customers",
        frozenset(PiriodCustomer.model_fields) | nested,
        "reference",
        provider="piriod",
        booleans=frozenset({"send_invoices", "send_collections", "send_vouchers"}),
        open_prefixes=frozenset({"metadata"}),
    )


def _chargeover_customers() -> Fields:
    from ..chargeover import CustomerInput as ChargeOverCustomer

    return Fields(
        "customers",
        frozenset(ChargeOverCustomer.model_fields),
        "external_key",
        provider="chargeover",
        booleans=frozenset({"no_taxes", "no_dunning", "no_latefees", "no_procfees"}),
        lists=frozenset({"tags"}),
        list_separators=";",  # a tag may hold a comma
    )


FIELDS: dict[str, dict[str, Callable[[], Fields]]] = {
    "neofin": {
        "billings": lambda: _neofin("billings", BillingInput),
        "customers": lambda: _neofin("customers", CustomerInput),
    },
    "piriod": {"customers": _piriod_customers},
    "chargeover": {"customers": _chargeover_customers},
}
"""provider -> resource -> its fields."""


def fields_of(resource: str, provider: str = "neofin") -> Fields:
    """The fields of `provider`'s `resource`; a `ConfigurationError` for an unknown pair."""
    resources = FIELDS.get(provider)
    if resources is None:
        raise ConfigurationError(f"unknown provider {provider!r}; known: {', '.join(FIELDS)}")
    make = resources.get(resource)
    if make is None:
        raise ConfigurationError(
            f"provider {provider} has no resource {resource!r} to upsert; it has "
            + ", ".join(resources)
        )
    return make()
