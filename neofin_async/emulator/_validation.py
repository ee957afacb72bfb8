"""Upsert item validation: plain dict checks with short, API-style messages.

Each function returns `{field: message}` for one item (empty when valid) and replaces the
item's document with its compact form (digits and letters only).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .._brazil import UF_CODES, normalize_document

MISSING = "Field not found."
EMPTY = "Field may not be empty."

BILLING_TYPES = ("generic", "bolepix", "boleto", "pix")
INSTALLMENT_TYPES = ("weekly", "biweekly", "monthly", "custom")

Check = Callable[[Any], "str | None"]


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else "Not a valid string."


def _identifier(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    return None if value.strip() else EMPTY


def _integer(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else "Not a valid integer."


def _non_negative(value: Any) -> str | None:
    return _integer(value) or (None if value >= 0 else "Must be greater than or equal to 0.")


def _positive(value: Any) -> str | None:
    return _integer(value) or (None if value > 0 else "Must be greater than 0.")


def _number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else "Not a valid number."


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "Not a valid boolean."


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "Not a valid object."


def _strings(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "Not a valid list of strings."


def _one_of(*choices: str) -> Check:
    message = f"Must be one of: {', '.join(choices)}."
    return lambda value: None if isinstance(value, str) and value in choices else message


def _state(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    return None if not value or value.upper() in UF_CODES else "Not a valid state (UF)."


@lru_cache(maxsize=65_536)
def compact_document(value: str) -> str | None:
    """The compact CPF or CNPJ (alphanumeric CNPJs included), or None when invalid."""
    try:
        return normalize_document(value)
    except ValueError:
        return None


def _document(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    return None if compact_document(value) else "Invalid CPF/CNPJ."


BILLING_REQUIRED: tuple[tuple[str, Check], ...] = (
    ("customer_document", _document),
    ("amount", _positive),
    ("due_date", _non_negative),
    ("installment_type", _one_of(*INSTALLMENT_TYPES)),
    ("installments", _positive),
    ("type", _one_of(*BILLING_TYPES)),
    ("integration_identifier", _identifier),
    ("by_mail", _boolean),
    ("by_whatsapp", _boolean),
)
BILLING_OPTIONAL: dict[str, Check] = {
    **dict.fromkeys(
        (
            "customer_integration_identifier",
            "customer_name",
            "customer_trade_name",
            "customer_mail",
            "customer_phone",
            "customer_secondary_phone",
            "address_city",
            "address_complement",
            "address_neighborhood",
            "address_number",
            "address_street",
            "address_zip_code",
            "description",
            "nfe_number",
            "boleto_pdf",
            "boleto_base64",
            "nf_url",
            "rps",
            "code",
            "hash",
        ),
        _string,
    ),
    "address_state": _state,
    "original_due_date": _non_negative,
    "discount_before_payment_due_date": _non_negative,
    "discount_before_payment": _number,
    "fees": _number,
    "fine": _number,
    "recipients": _strings,
    "boleto": _object,
    "ignore_existing_customer_upsert": _boolean,
}
BILLING_FIELDS = frozenset(name for name, _ in BILLING_REQUIRED) | BILLING_OPTIONAL.keys()
BILLING_HOWTO = (
    "customer_name",
    "customer_mail",
    "address_city",
    "address_complement",
    "address_neighborhood",
    "address_number",
    "address_state",
    "address_street",
    "address_zip_code",
)

CUSTOMER_OPTIONAL: dict[str, Check] = {
    **dict.fromkeys(
        (
            "integration_identifier",
            "name",
            "trade_name",
            "mail",
            "phone",
            "secondary_phone",
            "address_street",
            "address_number",
            "address_complement",
            "address_neighborhood",
            "address_city",
            "address_zip_code",
        ),
        _string,
    ),
    "address_state": _state,
    "recipients": _strings,
    "pause_notifications": _boolean,
}
CUSTOMER_FIELDS = frozenset({"document"}) | CUSTOMER_OPTIONAL.keys()
CUSTOMER_HOWTO = (
    "address_city",
    "address_complement",
    "address_neighborhood",
    "address_number",
    "address_state",
    "address_street",
    "address_zip_code",
    "mail",
    "name",
    "phone",
)


def billing_errors(item: dict[str, Any], howto: bool = False) -> dict[str, str]:
    """Errors of one billing of `POST /billing/`."""
    errors = _check(item, BILLING_REQUIRED, BILLING_OPTIONAL, BILLING_HOWTO if howto else ())
    if "customer_document" not in errors:
        item["customer_document"] = compact_document(item["customer_document"])
    return errors


def customer_errors(item: dict[str, Any], howto: bool = False) -> dict[str, str]:
    """Errors of one customer of `POST /customer/`."""
    required = (("document", _document),)
    errors = _check(item, required, CUSTOMER_OPTIONAL, CUSTOMER_HOWTO if howto else ())
    if "document" not in errors:
        item["document"] = compact_document(item["document"])
    return errors


def _check(
    item: dict[str, Any],
    required: tuple[tuple[str, Check], ...],
    optional: dict[str, Check],
    not_empty: tuple[str, ...],
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, check in required:
        value = item.get(name)
        message = MISSING if value is None else check(value)
        if message:
            errors[name] = message
    for name, value in item.items():
        check_type = optional.get(name)
        if check_type is not None and value is not None:
            message = check_type(value)
            if message:
                errors[name] = message
    for name in not_empty:
        value = item.get(name)
        if value is None:
            errors[name] = MISSING
        elif name not in errors and isinstance(value, str) and not value.strip():
            errors[name] = EMPTY
    return errors
