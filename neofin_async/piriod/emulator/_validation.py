"""The emulator's server-side checks of a customer body, with Django REST framework's messages
and error shapes (a field map; nested serializers as nested maps)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ...models import Email
from .. import _constants as c
from .._geo import COUNTRIES, STATES, STATES_BY_NUMBER
from .._taxid import check_tax_id
from ..models import MX_TAX_SCHEMES, BrTaxRegime

Errors = dict[str, Any]

REQUIRED = "This field is required."
BLANK = "This field may not be blank."
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
TEXT_FIELDS = {
    "name": c.MAX_NAME,
    "address": c.MAX_ADDRESS,
    "email": 254,
    "phone": c.MAX_PHONE,
    "website": 200,
    "zip_code": c.MAX_ZIP_CODE,
    "manager": c.MAX_MANAGER,
    "reference": c.MAX_REFERENCE,
    "tax_id": c.MAX_TAX_ID,
}
BOOLEAN_FIELDS = ("send_invoices", "send_collections", "send_vouchers")
WRITABLE = (*TEXT_FIELDS, "country", "state", "currency", "tax_settings", "metadata")
WRITABLE += BOOLEAN_FIELDS
_TAX_SETTINGS = {
    "BR": ("br_city_code", "br_city_name", "br_tax_regime", "br_municipal_tax_number"),
    "CL": ("cl_activity_description",),
    "MX": ("mx_tax_scheme",),
}
_CHOICES = {
    "br_tax_regime": frozenset(regime.value for regime in BrTaxRegime),
    "mx_tax_scheme": frozenset(MX_TAX_SCHEMES),
}
_TRUE = frozenset({True, "true", "True", "1"})
_FALSE = frozenset({False, "false", "False", "0"})


_EMAIL = TypeAdapter(Email)


def _is_email(text: str) -> bool:
    try:
        _EMAIL.validate_python(text)
    except ValidationError:
        return False
    return True


def _invalid_pk(value: Any) -> str:
    return f'Invalid pk "{value}" - object does not exist.'


def _text(name: str, value: Any, errors: Errors, required: bool) -> str | None:
    if value is None:
        if required:
            errors[name] = ["This field may not be null."]
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        errors[name] = ["Not a valid string."]
        return None
    text = str(value).strip()
    if required and not text:
        errors[name] = [BLANK]
    elif len(text) > TEXT_FIELDS[name]:
        errors[name] = [f"Ensure this field has no more than {TEXT_FIELDS[name]} characters."]
    elif name == "email" and text and not _is_email(text):
        errors[name] = ["Enter a valid email address."]
    elif name == "website" and text and not _URL.match(text):
        errors[name] = ["Enter a valid URL."]
    return text


def _boolean(name: str, value: Any, errors: Errors) -> bool | None:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors[name] = ["Must be a valid boolean."]
    return None


def _state(value: Any, errors: Errors) -> str | None:
    """A state's code from its code (`"CLRM"`) or its integer id."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in STATES_BY_NUMBER:
        return STATES_BY_NUMBER[value].id
    if isinstance(value, str) and value.isdigit() and int(value) in STATES_BY_NUMBER:
        return STATES_BY_NUMBER[int(value)].id
    if isinstance(value, str) and value.upper() in STATES:
        return value.upper()
    errors["state"] = [_invalid_pk(value)]
    return None


def _tax_settings(value: Any, country: str, errors: Errors) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        errors["tax_settings"] = [
            f'Expected a dictionary of items but got type "{type(value).__name__}".'
        ]
        return None
    nested: Errors = {}
    allowed = _TAX_SETTINGS.get(country, ())
    for key, item in value.items():
        if key in _CHOICES and key in allowed and str(item) not in _CHOICES[key]:
            nested[key] = [f'"{item}" is not a valid choice.']
    if nested:
        errors["tax_settings"] = nested
        return None
    return {key: item for key, item in value.items() if key in allowed}


def clean(
    body: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    *,
    partial: bool,
    account_country: str,
) -> tuple[dict[str, Any], Errors]:
    """The customer's stored fields after applying `body` to `current` (None: a new one),
    and the errors, as a Piriod (Django REST framework) server answers them.

    Unknown and read-only fields are ignored, as DRF does. The tax id is checked for the
    regulated countries and required when the customer's country is the account's own; a
    Mexican account's Mexican customers also need `tax_settings.mx_tax_scheme`."""
    errors: Errors = {}
    data = dict(current or {})
    given = {key: body[key] for key in WRITABLE if key in body}
    if not partial:
        for key in ("name",):
            if key not in given:
                errors[key] = [REQUIRED]
    for key in TEXT_FIELDS:
        if key in given:
            data[key] = _text(key, given[key], errors, required=key == "name") or ""
    for key in BOOLEAN_FIELDS:
        if key in given:
            data[key] = _boolean(key, given[key], errors)
    if "country" in given:
        country = str(given["country"] or "").upper()
        if country not in COUNTRIES:
            errors["country"] = [_invalid_pk(given["country"])]
        else:
            data["country"] = country
    data.setdefault("country", account_country)
    country = data["country"]
    if "state" in given:
        data["state"] = _state(given["state"], errors)
    if data.get("state") and STATES[data["state"]].country != country and "state" not in errors:
        errors["state"] = ["State must belong to the chosen country."]
    if "currency" in given:
        currency = str(given["currency"] or "").upper()
        known = {info.currency for info in COUNTRIES.values()}
        if currency not in known:
            errors["currency"] = [f'"{given["currency"]}" is not a valid choice.']
        data["currency"] = currency
    if not data.get("currency"):
        data["currency"] = COUNTRIES[country].currency
    if "metadata" in given:
        if not isinstance(given["metadata"], Mapping):
            errors["metadata"] = ["Value must be valid JSON."]
        else:
            data["metadata"] = dict(given["metadata"])
    if "tax_settings" in given:
        data["tax_settings"] = _tax_settings(given["tax_settings"], country, errors) or {}
    _check_tax_rules(data, account_country, errors)
    return data, errors


def _check_tax_rules(data: dict[str, Any], account_country: str, errors: Errors) -> None:
    country = data["country"]
    regulated = COUNTRIES[country].has_regulation
    tax_id = data.get("tax_id") or ""
    if "tax_id" not in errors:
        if tax_id and regulated:
            try:
                check_tax_id(country, tax_id)
            except ValueError:
                errors["tax_id"] = ["Invalid format."]
        elif not tax_id and regulated and country == account_country:
            errors["tax_id"] = [REQUIRED]
    settings = data.get("tax_settings") or {}
    local = country == "MX" == account_country
    if local and "tax_settings" not in errors and not settings.get("mx_tax_scheme"):
        errors["tax_settings"] = {"mx_tax_scheme": [REQUIRED]}
