"""Upsert item validation: plain dict checks with short, API-style messages, derived from the
field catalogue (`neofin_async._fields`) and bounded by `_constants` (the input models refuse
the same values).

Each function returns `{field: message}` for one item (empty when valid) and replaces the
item's document with its compact form (digits and letters only).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .._brazil import UF_CODES, normalize_document
from .._constants import MAX_CENTAVOS, MAX_INSTALLMENTS, MAX_TEXT_LENGTH, MAX_TIMESTAMP
from .._fields import (
    BILLING_FIELDS,
    BILLING_HOWTO,
    BILLING_REQUIRED,
    BILLING_TYPES,
    CUSTOMER_FIELDS,
    CUSTOMER_HOWTO,
    CUSTOMER_REQUIRED,
    INSTALLMENT_TYPES,
    Kind,
)

MISSING = "Field not found."
EMPTY = "Field may not be empty."
TOO_LONG = f"Longer than maximum length {MAX_TEXT_LENGTH}."
MAX_DOCUMENT_LENGTH = 32
"""Longer text is no CPF/CNPJ, however punctuated (and is never cached)."""

Check = Callable[[Any], "str | None"]


def _string(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    return None if len(value) <= MAX_TEXT_LENGTH else TOO_LONG


def _file(value: Any) -> str | None:
    return None if isinstance(value, str) else "Not a valid string."


def _identifier(value: Any) -> str | None:
    return _string(value) or (None if value.strip() else EMPTY)


def _integer(low: int, high: int) -> Check:
    floor = "Must be greater than 0." if low == 1 else f"Must be greater than or equal to {low}."
    ceiling = f"Must be less than or equal to {high}."

    def check(value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return "Not a valid integer."
        if value < low:
            return floor
        return None if value <= high else ceiling

    return check


def _number(value: Any) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "Not a valid number."
    if isinstance(value, float) and not math.isfinite(value):
        return "Not a valid number."
    if value < 0:
        return "Must be greater than or equal to 0."
    return None if value <= MAX_CENTAVOS else f"Must be less than or equal to {MAX_CENTAVOS}."


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "Not a valid boolean."


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "Not a valid object."


def _strings(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "Not a valid list of strings."
    return None if all(len(v) <= MAX_TEXT_LENGTH for v in value) else TOO_LONG


def _one_of(*choices: str) -> Check:
    message = f"Must be one of: {', '.join(choices)}."
    return lambda value: None if isinstance(value, str) and value in choices else message


def _state(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    return None if not value or value.upper() in UF_CODES else "Not a valid state (UF)."


def compact_document(value: str) -> str | None:
    """The compact CPF or CNPJ (alphanumeric CNPJs included), or None when invalid."""
    return _compact_document(value) if len(value) <= MAX_DOCUMENT_LENGTH else None


@lru_cache(maxsize=65_536)
def _compact_document(value: str) -> str | None:
    try:
        return normalize_document(value)
    except ValueError:
        return None


def _document(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    return None if compact_document(value) else "Invalid CPF/CNPJ."


CHECKS: dict[Kind, Check] = {
    "document": _document,
    "identifier": _identifier,
    "text": _string,
    "file": _file,
    "centavos": _integer(1, MAX_CENTAVOS),
    "date": _integer(0, MAX_TIMESTAMP),
    "installments": _integer(1, MAX_INSTALLMENTS),
    "number": _number,
    "boolean": _boolean,
    "state": _state,
    "strings": _strings,
    "object": _object,
    "installment_type": _one_of(*INSTALLMENT_TYPES),
    "billing_type": _one_of(*BILLING_TYPES),
}


def _checks(fields: Mapping[str, Kind]) -> dict[str, Check]:
    return {name: CHECKS[kind] for name, kind in fields.items()}


_BILLING = _checks(BILLING_FIELDS)
_BILLING_REQUIRED = tuple(BILLING_REQUIRED)
_CUSTOMER = _checks(CUSTOMER_FIELDS)


def billing_errors(item: dict[str, Any], howto: bool = False) -> dict[str, str]:
    """Errors of one billing of `POST /billing/`."""
    errors = _check(item, _BILLING, _BILLING_REQUIRED, BILLING_HOWTO if howto else ())
    if "customer_document" not in errors:
        item["customer_document"] = compact_document(item["customer_document"])
    return errors


def customer_errors(item: dict[str, Any], howto: bool = False) -> dict[str, str]:
    """Errors of one customer of `POST /customer/`."""
    errors = _check(item, _CUSTOMER, CUSTOMER_REQUIRED, CUSTOMER_HOWTO if howto else ())
    if "document" not in errors:
        item["document"] = compact_document(item["document"])
    return errors


def _check(
    item: dict[str, Any],
    checks: dict[str, Check],
    required: tuple[str, ...],
    not_empty: tuple[str, ...],
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in required:
        if item.get(name) is None:
            errors[name] = MISSING
    for name, value in item.items():
        check = checks.get(name)
        if check is not None and value is not None:
            message = check(value)
            if message:
                errors[name] = message
    for name in not_empty:
        value = item.get(name)
        if value is None:
            errors[name] = MISSING
        elif name not in errors and isinstance(value, str) and not value.strip():
            errors[name] = EMPTY
    return errors
