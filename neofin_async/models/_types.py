"""Field types: strict validators for inputs, lenient coercions for outputs."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, StringConstraints

from .._brazil import UF_CODES, normalize_document, sao_paulo
from .._compat import fromisoformat
from .._constants import (
    MAX_CENTAVOS,
    MAX_FIELD_DEPTH,
    MAX_INSTALLMENTS,
    MAX_TEXT_LENGTH,
    MAX_TIMESTAMP,
)

_PHONE_PUNCTUATION = str.maketrans("", "", " ().-")


# -- inputs --------------------------------------------------------------------------------
# Checks pydantic-core can do (lengths, bounds, patterns) are constraints: they run in Rust, several
# times faster than a Python validator. A pattern's refusal is worded by PATTERN_MESSAGES.

PATTERN_MESSAGES: dict[str, str] = {}
"""Pattern -> message (`{input}` is the value's repr) for `string_pattern_mismatch` errors."""


def _matching(pattern: str, message: str, **constraints: Any) -> StringConstraints:
    PATTERN_MESSAGES[pattern] = message
    return StringConstraints(pattern=pattern, **constraints)


def shown(value: Any) -> str:
    """A value's repr for an error message, cut short: messages never carry megabytes."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}...{text[-7:]}"


def _cep(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    digits = value if value.isdigit() else value.strip().replace("-", "").replace(".", "")
    if len(digits) != 8 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{shown(value)} is not a CEP: expected 8 digits, e.g. '01405-000'")
    return digits


def _phone(value: Any) -> Any:
    """Normalise to E.164; national Brazilian numbers (DDD + number) get +55."""
    if not isinstance(value, str) or not value:
        return value
    if len(value) in (10, 11) and value[0] != "0" and value.isdigit() and value.isascii():
        return "+55" + value  # DDD + number, the usual form in an export (fast path)
    return _phone_text(value)


@lru_cache(maxsize=65_536)
def _phone_text(value: str) -> str:
    """`_phone` for the other forms, cached: an export repeats its customers' phones."""
    raw = value if value.isdigit() else value.strip().translate(_PHONE_PUNCTUATION)
    if raw[:1] == "+":
        digits = raw[1:]
    elif raw[:2] == "00":
        digits = raw[2:]
    elif raw[:2] == "55" and len(raw) in (12, 13):
        digits = raw
    else:
        digits = "55" + raw.lstrip("0")
    if not (digits.isdigit() and digits.isascii()):
        raise ValueError(f"{shown(value)} is not a phone number")
    if digits[:2] == "55" and len(digits) not in (12, 13):
        raise ValueError(
            f"{shown(value)} is not a Brazilian phone number: expected DDD + 8 or 9 digits"
        )
    if not 8 <= len(digits) <= 15:
        raise ValueError(
            f"{shown(value)} is not a phone number in E.164 form, e.g. '+5511987654321'"
        )
    return "+" + digits


def _centavos(value: Any) -> Any:
    """Money is integer centavos: refuse floats and Decimals, which are usually reais."""
    if type(value) is int:
        return value
    if isinstance(value, (bool, float, Decimal)):
        raise ValueError(
            "must be an integer number of centavos; convert reais with neofin_async.centavos()"
        )
    return value  # pydantic reads digit strings ("10012") and refuses the rest


def to_unix(value: Any) -> Any:
    """Unix seconds from an int, a `date` (that day in São Paulo), an aware datetime or ISO text."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise ValueError("must be a Unix timestamp, a date or an aware datetime")
    if isinstance(value, str):
        return _unix_of_text(value)
    return _unix_of(value)


@lru_cache(maxsize=65_536)
def _unix_of_text(value: str) -> int | str:
    """`to_unix` of text, cached: an export's due dates repeat."""
    text = value.strip()
    if text.isdigit() and text.isascii():
        return int(text) if len(text) <= 20 else value  # pydantic refuses what is left
    try:
        moment = fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a Unix timestamp or an ISO date") from None
    unix: int = _unix_of(moment)
    return unix


def _unix_of(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime must carry a timezone (naive datetimes are ambiguous)")
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime.combine(value, time(), tzinfo=sao_paulo()).timestamp())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _non_negative(value: Any) -> int | float:
    """A number from 0 to MAX_CENTAVOS, int or float as given (digit text is read)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if text.isdigit() else float(text)
        except ValueError:
            raise ValueError(f"{shown(value)} is not a number") from None
    elif isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number (no NaN or infinity)")
    if not 0 <= value <= MAX_CENTAVOS:
        raise ValueError(f"must be from 0 to {MAX_CENTAVOS}")
    return value


def json_value_error(value: Any, depth: int = 1) -> str | None:
    """Why `value` cannot be sent as free JSON (`boleto`, pass-through fields), or None.

    JSON values only (str keys, finite numbers), nested at most MAX_FIELD_DEPTH containers deep
    (`{"a": [1]}` is 2): inside `{"billings": [item]}` the body stays within MAX_JSON_DEPTH."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number (no NaN or infinity)"
    if isinstance(value, (dict, list, tuple)):
        if depth > MAX_FIELD_DEPTH:
            return f"is nested too deeply (at most {MAX_FIELD_DEPTH} levels)"
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                return "must have text keys only"
            value = value.values()
        for member in value:
            error = json_value_error(member, depth + 1)
            if error:
                return error
        return None
    return f"must be a JSON value, not {type(value).__name__}"


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    error = json_value_error(value)
    if error:
        raise ValueError(error)
    return value


_TEXT = StringConstraints(max_length=MAX_TEXT_LENGTH)
_EMAIL = (
    r"^(?:|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$"
)
_UF = "(?i)^(?:|" + "|".join(sorted(UF_CODES)) + ")$"

FreeText = Annotated[str, _TEXT]
"""Free text, at most MAX_TEXT_LENGTH characters (base64 file fields are plain `str`)."""
Identifier = Annotated[str, _matching(r"\S", "must not be empty", max_length=MAX_TEXT_LENGTH)]
Document = Annotated[str, BeforeValidator(normalize_document)]
StateCode = Annotated[
    str,
    _matching(
        _UF,
        "{input} is not a Brazilian state code (UF), e.g. 'SP'",
        strip_whitespace=True,
        to_upper=True,
    ),
]
ZipCode = Annotated[str, BeforeValidator(_cep)]
Phone = Annotated[str, BeforeValidator(_phone)]
Email = Annotated[
    str,
    _matching(
        _EMAIL,
        "{input} is not an e-mail address",
        strip_whitespace=True,
        max_length=MAX_TEXT_LENGTH,
    ),
]
Centavos = Annotated[int, Field(gt=0, le=MAX_CENTAVOS), BeforeValidator(_centavos)]
UnixTime = Annotated[int, Field(ge=0, le=MAX_TIMESTAMP), BeforeValidator(to_unix)]
InstallmentCount = Annotated[int, Field(ge=1, le=MAX_INSTALLMENTS)]
NonNegative = Annotated[int | float, PlainValidator(_non_negative)]
"""A fee, fine or discount: units undocumented, integrators send fractions; finite, bounded."""
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]


def centavos(reais: Decimal | int | str) -> int:
    """Convert an amount in reais (`Decimal("100.12")`) to integer centavos (`10012`)."""
    try:
        amount = Decimal(str(reais)) * 100
    except ArithmeticError:  # Decimal("abc") raises InvalidOperation, not ValueError
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValueError(f"{reais!r} is not an amount in reais")
    if amount != amount.to_integral_value():
        raise ValueError(f"{reais!r} has fractions of a centavo")
    return int(amount)


# -- outputs -------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    """`"50000"`, `20000.0`, `50000` -> 50000; `"0.0333"` -> 0.0333; `""` -> None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _timestamp(value: Any) -> Any:
    """Unix seconds (int, float or numeric text) or ISO text -> aware datetime; `""` -> None."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if len(text) == 10:
                return parsed.replace(tzinfo=sao_paulo())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # out of range, inf, nan
            return None
    return value


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


Number = Annotated[int | float | None, BeforeValidator(_number)]
Count = Annotated[int | None, BeforeValidator(_number)]
Timestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]
Text = Annotated[str | None, BeforeValidator(_text)]
