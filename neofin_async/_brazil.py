"""Brazilian facts every layer needs: CPF/CNPJ check digits, UF codes, São Paulo time."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.br import cnpj, cpf

from ._constants import SAO_PAULO_TZ

# fmt: off
UF_CODES = frozenset({
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
    "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
})
# fmt: on
_DOCUMENT_PUNCTUATION = str.maketrans("", "", " .-/")


@lru_cache(maxsize=1)
def sao_paulo() -> ZoneInfo:
    return ZoneInfo(SAO_PAULO_TZ)


def normalize_document(value: Any) -> str:
    """A valid CPF (11 digits) or CNPJ (14 characters, letters allowed), punctuation removed."""
    if not isinstance(value, str):
        raise ValueError("must be a string (an integer would lose leading zeros)")
    compact = value if value.isdigit() else value.translate(_DOCUMENT_PUNCTUATION).upper()
    if len(compact) == 11:
        if _has_valid_check_digits(compact):
            return compact
        raise ValueError("is not a valid CPF (check digits do not match)")
    if len(compact) == 14:
        if _has_valid_check_digits(compact):
            return compact
        raise ValueError("is not a valid CNPJ (check digits do not match)")
    raise ValueError("must be a CPF (11 digits) or a CNPJ (14 characters)")


@lru_cache(maxsize=16_384)
def _has_valid_check_digits(compact: str) -> bool:
    """python-stdnum's CPF / CNPJ check (alphanumeric CNPJ included). Cached: an export
    repeats its customers' documents, and the check costs several microseconds."""
    if not compact.isascii():
        return False
    return bool((cpf if len(compact) == 11 else cnpj).is_valid(compact))
