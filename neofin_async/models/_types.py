"""Field types: strict validators for inputs, lenient coercions for outputs."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from .._brazil import UF_CODES, normalize_document, sao_paulo
from .._compat import fromisoformat

_PHONE_PUNCTUATION = str.maketrans("", "", " ().-")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


# -- inputs --------------------------------------------------------------------------------


def _uf(value: Any) -> Any:
    if isinstance(value, str) and value:
        code = value.strip().upper()
        if code not in UF_CODES:
            raise ValueError(f"{value!r} is not a Brazilian state code (UF), e.g. 'SP'")
        return code
    return value


def _cep(value: Any) -> Any:
    if isinstance(value, str) and value:
        digits = value.strip().replace("-", "").replace(".", "")
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError(f"{value!r} is not a CEP: expected 8 digits, e.g. '01405-000'")
        return digits
    return value


def _phone(value: Any) -> Any:
    """Normalise to E.164; national Brazilian numbers (DDD + number) get +55."""
    if not isinstance(value, str) or not value:
        return value
    raw = value if value.isdigit() else value.strip().translate(_PHONE_PUNCTUATION)
    if raw.startswith("+"):
        digits = raw[1:]
    elif raw.startswith("00"):
        digits = raw[2:]
    elif len(raw) in (12, 13) and raw.startswith("55"):
        digits = raw
    else:
        digits = "55" + raw.lstrip("0")
    if not digits.isdigit():
        raise ValueError(f"{value!r} is not a phone number")
    national = digits[2:] if digits.startswith("55") else None
    if national is not None and len(national) not in (10, 11):
        raise ValueError(f"{value!r} is not a Brazilian phone number: expected DDD + 8 or 9 digits")
    if not 8 <= len(digits) <= 15:
        raise ValueError(f"{value!r} is not a phone number in E.164 form, e.g. '+5511987654321'")
    return "+" + digits


def _email(value: Any) -> Any:
    if isinstance(value, str) and value:
        address = value.strip()
        if not _EMAIL.match(address):
            raise ValueError(f"{value!r} is not an e-mail address")
        return address
    return value


def _centavos(value: Any) -> Any:
    """Money is integer centavos: refuse floats and Decimals, which are usually reais."""
    if isinstance(value, (bool, float, Decimal)):
        raise ValueError(
            "must be an integer number of centavos; convert reais with neofin_async.centavos()"
        )
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def to_unix(value: Any) -> Any:
    """Unix seconds from an int, a `date` (that day in São Paulo), an aware datetime or ISO text."""
    if isinstance(value, bool):
        raise ValueError("must be a Unix timestamp, a date or an aware datetime")
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            value = fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a Unix timestamp or an ISO date") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime must carry a timezone (naive datetimes are ambiguous)")
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime.combine(value, time(), tzinfo=sao_paulo()).timestamp())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _require_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Document = Annotated[str, BeforeValidator(normalize_document)]
StateCode = Annotated[str, BeforeValidator(_uf)]
ZipCode = Annotated[str, BeforeValidator(_cep)]
Phone = Annotated[str, BeforeValidator(_phone)]
Email = Annotated[str, BeforeValidator(_email)]
Centavos = Annotated[int, BeforeValidator(_centavos), Field(gt=0)]
UnixTime = Annotated[int, BeforeValidator(to_unix), Field(ge=0)]
NonNegative = Annotated[int | float, Field(ge=0)]
Identifier = Annotated[str, AfterValidator(_require_text)]


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
