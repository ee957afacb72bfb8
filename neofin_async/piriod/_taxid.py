"""Tax ids by country, checked with python-stdnum: CL RUT, MX RFC, BR CPF/CNPJ, CO NIT."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import ModuleType

from stdnum.cl import rut
from stdnum.co import nit
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.mx import rfc

from .._brazil import normalize_document

_NAMES = {"CL": "RUT", "MX": "RFC", "CO": "NIT"}
_MODULES: dict[str, ModuleType] = {"CL": rut, "MX": rfc, "CO": nit}


def _stdnum_check(country: str) -> Callable[[str], None]:
    module, name = _MODULES[country], _NAMES[country]

    def check(value: str) -> None:
        # RFC: structure and date only; SAT's generic RFCs (XAXX010101000) fail check digits.
        try:
            module.validate(value)
        except InvalidChecksum:
            raise ValueError(f"is not a valid {name} (check digit does not match)") from None
        except InvalidLength:
            raise ValueError(f"is not a valid {name} (wrong length)") from None
        except InvalidComponent:
            raise ValueError(f"is not a valid {name} (a part of it is impossible)") from None
        except ValidationError:
            raise ValueError(f"is not a valid {name} (wrong format)") from None

    return check


def _brazil(value: str) -> None:
    normalize_document(value)


_CHECKS: dict[str, Callable[[str], None]] = {
    "CL": _stdnum_check("CL"),
    "MX": _stdnum_check("MX"),
    "CO": _stdnum_check("CO"),
    "BR": _brazil,
}
CHECKED_COUNTRIES = frozenset(_CHECKS)


@lru_cache(maxsize=16_384)
def check_tax_id(country: str | None, value: str) -> str:
    """`value` stripped (and upper-cased where letters are check digits), or `ValueError`
    when it is not a valid tax id of `country`. Countries without a check pass through.

    The value is otherwise sent as given (dots and dashes kept): Piriod stores what it gets,
    and users filter on it with `tax_id=`."""
    text = value.strip()
    check = _CHECKS.get(country or "")
    if check is None:
        return text
    text = text.upper()
    check(text)
    return text
