"""Tax ids by country through python-stdnum (CL RUT, MX RFC, BR CPF/CNPJ, CO NIT), for all.

ChargeOver's `bill_country` is free text ("United States", "US", "USA" all occur in its
examples), so the country is recognised by ISO 3166 alpha-2 or alpha-3 code or by its English
or Spanish/Portuguese name. Countries not listed here are not checked: ChargeOver takes any
text in `tax_ident`.
"""

from __future__ import annotations

import unicodedata
from types import ModuleType

from stdnum.cl import rut
from stdnum.co import nit
from stdnum.exceptions import ValidationError
from stdnum.mx import rfc

from ._brazil import normalize_document

_COUNTRIES = {
    "CL": ("CL", "CHL", "CHILE"),
    "MX": ("MX", "MEX", "MEXICO"),
    "BR": ("BR", "BRA", "BRAZIL", "BRASIL"),
    "CO": ("CO", "COL", "COLOMBIA"),
}
_BY_NAME = {name: code for code, names in _COUNTRIES.items() for name in names}


def country_code(country: str | None) -> str | None:
    """`"CL"`, `"MX"`, `"BR"` or `"CO"` for a country whose tax ids are checked, else None."""
    if not country:
        return None
    folded = unicodedata.normalize("NFKD", country).encode("ascii", "ignore").decode()
    return _BY_NAME.get(folded.strip().upper())


_VALIDATORS: dict[str, tuple[str, ModuleType]] = {
    "CL": ("a Chilean RUT", rut),
    "MX": ("a Mexican RFC", rfc),
    "CO": ("a Colombian NIT", nit),
}


def check_tax_id(number: str, country: str | None) -> None:
    """Raise `ValueError` when `number` is not a valid tax id of `country` (if it is checked).

    Mexican RFC check digits are not enforced: about 1.5% of issued RFCs do not satisfy them
    (python-stdnum's own default), and refusing a real customer would lose data."""
    code = country_code(country)
    if code is None:
        return
    if code == "BR":  # CPF / CNPJ: the one place for them (python-stdnum, cached)
        try:
            normalize_document(number)
        except ValueError as exc:
            raise ValueError(f"{number!r} {exc}") from None
        return
    label, module = _VALIDATORS[code]
    try:
        module.validate(number)
    except ValidationError as exc:
        raise ValueError(f"{number!r} is not {label} ({str(exc).lower().rstrip('.')})") from None
