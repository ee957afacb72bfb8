"""Brazilian facts every layer needs: CPF/CNPJ check digits, UF codes, São Paulo time."""

from __future__ import annotations

from functools import lru_cache
from operator import mul
from typing import Any
from zoneinfo import ZoneInfo

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
    """A valid CPF (11 digits) or CNPJ (14 characters, letters allowed), punctuation removed.

    Only ASCII letters and digits count; spaces, `.`, `-` and `/` are removed. Refused: wrong
    check digits, the repeated-digit CPFs `000.000.000-00` ... `999.999.999-99` (valid check
    digits, but never issued: Receita Federal and Neofin's own validator refuse them) and the
    CNPJs starting with twelve zeros (python-stdnum refuses them, `00000000000000` included).
    """
    if not isinstance(value, str):
        raise ValueError("must be a string (an integer would lose leading zeros)")
    if value.isdigit():
        compact = value
    elif value.isascii():  # only then: the dotless i upper-cases to "I", "ß" to "SS"
        compact = value.translate(_DOCUMENT_PUNCTUATION).upper()
    else:  # other scripts' digits, dashes or spaces: refused below, not guessed
        compact = value.translate(_DOCUMENT_PUNCTUATION)
    if len(compact) == 11:
        if _is_cpf(compact):
            return compact
        raise ValueError("is not a valid CPF (check digits do not match)")
    if len(compact) == 14:
        if _is_cnpj(compact):
            return compact
        raise ValueError("is not a valid CNPJ (check digits do not match)")
    raise ValueError("must be a CPF (11 digits) or a CNPJ (14 characters)")


# python-stdnum (stdnum.br.cpf / stdnum.br.cnpj) is the reference for these checks; this is the
# same arithmetic, several times faster, and tests/test_documents.py holds the two equal on random
# valid and invalid documents. A character's value is ord(c) - 48 (CNPJ letters A-Z: 17-42). Each
# weight packs the first check digit's weight (low 16 bits) with the second's (high bits), so one
# pass over the ASCII bytes sums both: sum(map(mul, bytes, weights)) - 48 * sum(weights).
def _packed(first: tuple[int, ...], second: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    weights = tuple(a + (b << 16) for a, b in zip(first, second, strict=True))
    return weights, 48 * sum(weights)


_CPF_WEIGHTS, _CPF_OFFSET = _packed((10, 9, 8, 7, 6, 5, 4, 3, 2), (11, 10, 9, 8, 7, 6, 5, 4, 3))
_CNPJ_WEIGHTS, _CNPJ_OFFSET = _packed(
    (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3)
)
_REPEATED_CPFS = frozenset(digit * 11 for digit in "0123456789")


def _check_digits_match(data: bytes, weights: tuple[int, ...], offset: int) -> bool:
    """The two digits after `len(weights)` characters are the check digits: the second's
    weights end with 2 for the first check digit. Each is (11 - sum) % 11 % 10."""
    total: int = sum(map(mul, data, weights)) - offset
    first = -(total & 0xFFFF) % 11 % 10
    second = -((total >> 16) + 2 * first) % 11 % 10
    size = len(weights)
    return first == data[size] - 48 and second == data[size + 1] - 48


def _is_cpf(compact: str) -> bool:
    """11 ASCII digits (the caller checked the length), not one digit repeated, check digits."""
    return (
        compact.isascii()
        and compact.isdigit()
        and compact not in _REPEATED_CPFS
        and _check_digits_match(compact.encode(), _CPF_WEIGHTS, _CPF_OFFSET)
    )


def _is_cnpj(compact: str) -> bool:
    """14 ASCII characters (the caller checked the length): 12 digits or capital letters, not
    all zeros, then the two check digits."""
    return (
        compact.isascii()
        and (compact.isdigit() or (compact[:12].isalnum() and compact[12:].isdigit()))
        and not compact.startswith("000000000000")
        and _check_digits_match(compact.encode(), _CNPJ_WEIGHTS, _CNPJ_OFFSET)
    )
