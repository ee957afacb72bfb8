"""Tax ids by the customer's country (CL RUT, MX RFC, BR CPF/CNPJ, CO NIT): the check
ChargeOver's models use too (`neofin_async._taxid`), on Piriod's ISO country ids."""

from __future__ import annotations

from functools import lru_cache

from .._taxid import check_tax_id as _check


@lru_cache(maxsize=16_384)
def check_tax_id(country: str | None, value: str) -> str:
    """`value` stripped (upper-cased where the country is checked: RUT's K, RFC's letters), or
    `ValueError` when it is not a valid tax id of `country`. Countries without a check pass.

    The value is otherwise sent as given (dots and dashes kept): Piriod stores what it gets,
    and users filter on it with `tax_id=`."""
    text = value.strip()
    if country in ("CL", "MX", "BR", "CO"):
        text = text.upper()
        _check(text, country)
    return text
