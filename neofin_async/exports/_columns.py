"""From an export's columns to API fields: header matching, the column mapping, cell values.

Headers match a mapping's source names, or the API field names, after trimming, ignoring
case and accents (`Código` = `codigo`; `Customer Document` = `customer_document`). Cells are
trimmed; the fields a `Fields` names as booleans, lists, dates, JSON or amounts are converted
from text, and everything else is left to the API models' validation.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from .._brazil import sao_paulo
from .._exceptions import ConfigurationError
from ..models import centavos
from ._fields import Fields
from ._options import AmountUnit

_TRUE = frozenset({"true", "1", "sim", "s", "yes", "y", "t", "verdadeiro"})
_FALSE = frozenset({"false", "0", "não", "nao", "n", "no", "f", "falso"})
_BOOLEANS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
REAIS_HINT = "it looks like reais: pass --amount-unit reais"


def normalize(header: str) -> str:
    """`" Código "` -> `"codigo"`: trimmed, case-folded, accents removed, spaces collapsed."""
    text = unicodedata.normalize("NFKD", header.strip())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def _as_field(header: str) -> str:
    """How a header names an API field: `Customer Document` -> `customer_document`."""
    return normalize(header).replace(" ", "_").replace("-", "_")


def field_named(header: str, fields: Fields) -> str | None:
    """The field a header names: an API field (`Customer Document`), or under an open prefix
    (`metadata.ERP id`: the name after the dot is kept as written, trimmed)."""
    field = _as_field(header)
    if field in fields.names:
        return field
    head, dot, tail = header.strip().partition(".")
    if dot and tail.strip() and _as_field(head) in fields.open_prefixes:
        return f"{_as_field(head)}.{tail.strip()}"
    return None


# -- the mapping -----------------------------------------------------------------------------


def read_mapping(path: str) -> dict[str, str | None]:
    """A `--columns` file: a JSON object `{"Source header": "field"}` (`null` drops one)."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            value = json.load(file)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"--columns {path}: not JSON ({exc})") from None
    if not isinstance(value, dict) or not all(
        isinstance(field, str) or field is None for field in value.values()
    ):
        raise ConfigurationError(
            f"--columns {path}: expected a JSON object of header -> field, "
            'e.g. {"Valor": "amount"}'
        )
    return {str(source): (field or "").strip() or None for source, field in value.items()}


def check_mapping(mapping: Mapping[str, str | None], fields: Fields) -> None:
    """Refuse a mapping to a field the resource does not have (a usage error)."""
    for source, field in mapping.items():
        if field is not None and not fields.knows(field):
            close = difflib.get_close_matches(field, fields.names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigurationError(
                f"column mapping {source!r} -> {field!r}: {field!r} is not a "
                f"{fields.singular} field{hint}"
            )


@dataclass(frozen=True)
class Layout:
    """One file's columns resolved: the field each column fills (None: dropped)."""

    names: tuple[str | None, ...]
    ignored: tuple[str, ...] = ()
    """Headers dropped as unknown (`--ignore-unknown-columns`), named once in the summary."""
    missing: tuple[str, ...] = ()
    """Mapped headers the file does not have."""

    @property
    def width(self) -> int:
        return len(self.names)

    def index_of(self, field: str | None) -> int | None:
        return self.names.index(field) if field is not None and field in self.names else None


def resolve(
    header: Sequence[str],
    mapping: Mapping[str, str | None],
    fields: Fields,
    *,
    ignore_unknown: bool,
    source: str,
) -> Layout:
    """The layout of `header`, or a `ConfigurationError` naming every unknown column once."""
    by_source = {normalize(name): field for name, field in mapping.items()}
    names: list[str | None] = []
    unknown: list[str] = []
    filled: dict[str, str] = {}
    for cell in header:
        key = normalize(cell)
        if not key:
            names.append(None)  # an unnamed column (e.g. after a trailing separator)
            continue
        if key in by_source:
            field = by_source[key]
        else:
            field = field_named(cell, fields)
            if field is None:
                unknown.append(cell.strip())
                names.append(None)
                continue
        if field is not None and field in filled:
            raise ConfigurationError(
                f"{source}: columns {filled[field]!r} and {cell.strip()!r} both fill {field!r}"
            )
        if field is not None:
            filled[field] = cell.strip()
        names.append(field)
    if unknown and not ignore_unknown:
        raise ConfigurationError(_unknown_message(source, unknown, fields))
    present = {normalize(cell) for cell in header}
    missing = tuple(name for name in mapping if normalize(name) not in present)
    return Layout(tuple(names), tuple(unknown), missing)


def _unknown_message(source: str, unknown: list[str], fields: Fields) -> str:
    named = []
    for name in unknown:
        close = difflib.get_close_matches(_as_field(name), fields.names, n=1, cutoff=0.8)
        named.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    return (
        f"{source}: {len(unknown)} column{'s' if len(unknown) > 1 else ''} not known as "
        f"{fields.singular} fields: {', '.join(named)}; map them with --column 'SOURCE=FIELD' "
        "(or --columns FILE.json), or drop them with --ignore-unknown-columns"
    )


# -- cell values -----------------------------------------------------------------------------


def parse_bool(text: str) -> bool:
    value = _BOOLEANS.get(text)
    if value is None:
        value = _BOOLEANS.get(text.strip().lower())
    if value is None:
        raise ValueError(f"{text!r} is not a boolean (true/false, 1/0, sim/não)")
    return value


def split_list(text: str, separators: str = ";,") -> list[str]:
    """`"a@x.com; b@x.com"` (or comma-separated) -> `["a@x.com", "b@x.com"]`."""
    first = separators[0]
    for other in separators[1:]:
        text = text.replace(other, first)
    return [part.strip() for part in text.split(first) if part.strip()]


def _decimal(text: str) -> Decimal | None:
    """`1234.56`, `1.234,56`, `1,234.56`, `1234,56`, `R$ 7,00` -> a Decimal, else None.
    The last of `.` and `,` is the decimal separator when both appear; a lone `,` is one."""
    text = text.strip().removeprefix("R$").strip()
    comma, dot = text.rfind(","), text.rfind(".")
    if comma > dot:
        text = text.replace(".", "").replace(",", ".")
    elif comma != -1:
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def parse_reais(value: Any) -> int:
    """An amount in reais (`"1.234,56"`, `"1234.56"`, a JSON number) -> centavos."""
    if value.__class__ is str:  # the fast path: digits, thousands separators, 0-2 decimals
        at = max(value.rfind(","), value.rfind("."))
        whole, fraction = (value[:at], value[at + 1 :]) if at >= 0 else (value, "")
        if 0 < len(fraction) <= 2 or at < 0:
            whole = whole.replace("." if value[at] == "," else ",", "") if at >= 0 else whole
            if whole.isdecimal() and (not fraction or fraction.isdecimal()):
                return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not an amount in reais")
    amount = _decimal(str(value))
    if amount is None:
        raise ValueError(f"{value!r} is not an amount in reais (e.g. 1234.56 or 1.234,56)")
    try:
        return centavos(amount)
    except ValueError:
        message = f"{value!r} reais has fractions of a centavo"
        text = str(value).strip()
        if text.count(".") == 1 and "," not in text and len(text.partition(".")[2]) == 3:
            message += " (if '.' separates thousands here, write it as 1.234,00 or 1234)"
        raise ValueError(message) from None


def parse_centavos(value: Any) -> Any:
    """A whole number of centavos (`"123456"`); anything that looks like reais says so."""
    if value.__class__ is str and value.isdecimal():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdecimal():
            return int(text)
        if text.startswith("-") and text[1:].isdigit():
            raise ValueError(f"{value!r} must be a positive number of centavos")
    looks_like_reais = isinstance(value, float) or (
        isinstance(value, str) and _decimal(value) is not None
    )
    hint = f"; {REAIS_HINT}" if looks_like_reais else ""
    raise ValueError(f"{value!r} is not a whole number of centavos{hint}")


def parse_date(text: str, date_format: str | None = None) -> date | datetime | str:
    """A day-first date (`15/03/2027`, `15/03/27`, `15-03-2027`, a time may follow) as that day
    in São Paulo; with `date_format`, that strftime pattern first. Unix seconds and ISO dates
    are passed on unchanged (the models read them)."""
    text = text.strip()
    if date_format is not None:
        try:
            parsed = datetime.strptime(text, date_format)
        except ValueError:
            if not _passes_through(text):
                raise ValueError(f"{text!r} does not match --date-format {date_format}") from None
            return text
        if parsed.tzinfo is None and parsed.time() == time() and not _has_time(date_format):
            return parsed.date()
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=sao_paulo())
    if _passes_through(text):
        return text
    return _day_first(text)


def _passes_through(text: str) -> bool:
    """Unix seconds or an ISO date / date-time (`2027-03-15...`)."""
    return text.isdigit() or (len(text) >= 10 and text[4] == "-" and text[:4].isdigit())


def _has_time(pattern: str) -> bool:
    return any(f"%{code}" in pattern for code in "HIMSpfXcT")


def _day_first(text: str) -> date | datetime:
    day_part, _, clock = text.partition(" ")
    separator = "/" if "/" in day_part else "-"
    parts = day_part.split(separator)
    try:
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) == 2:  # dd/mm/yy: 69-99 -> 19xx, 00-68 -> 20xx (POSIX %y)
            year += 1900 if year >= 69 else 2000
        elif len(parts[2]) != 4:
            raise ValueError
        found = date(year, month, day)
    except ValueError:
        raise ValueError(_date_error(text, parts)) from None
    if not clock.strip():
        return found
    try:
        at = time.fromisoformat(clock.strip())
    except ValueError:
        raise ValueError(f"{text!r} has an unreadable time (expected HH:MM or HH:MM:SS)") from None
    return datetime.combine(found, at, tzinfo=sao_paulo())


def _date_error(text: str, parts: list[str]) -> str:
    message = f"{text!r} is not a date (day first: dd/mm/yyyy, dd/mm/yy or dd-mm-yyyy)"
    if len(parts) == 3 and all(p.isdigit() for p in parts) and 12 < int(parts[1]) <= 31:
        message += (
            "; it looks month first: if the file writes month first, pass --date-format %m/%d/%Y"
        )
    elif len(parts) != 3:
        message += "; for another layout pass --date-format (a strftime pattern, e.g. %Y%m%d)"
    return message


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{text!r} is not JSON ({exc.msg}, column {exc.colno})") from None


Convert = Callable[[Any], Any]


def converters(
    fields: Fields,
    names: Iterable[str],
    *,
    amount_unit: AmountUnit,
    date_format: str | None,
    from_text: bool,
) -> tuple[tuple[str, Convert], ...]:
    """`(name, convert)` for the `names` of `fields` that need converting: from text (CSV
    cells), or from JSON values (where only strings are converted, and a JSON field is an
    object already)."""
    amount: Convert = parse_reais if amount_unit == "reais" else parse_centavos

    def to_date(text: str) -> Any:
        if date_format is None and len(text) == 10 and text[4] == "-":
            return text  # an ISO date, the common case: the models read it
        return parse_date(text, date_format)

    def to_list(text: str) -> list[str]:
        return split_list(text, fields.list_separators)

    by_kind: list[tuple[frozenset[str], Convert]] = [
        (fields.booleans, parse_bool),
        (fields.lists, to_list),
        (fields.dates, to_date),
    ]
    if not from_text:
        by_kind = [(kind, _strings_only(convert)) for kind, convert in by_kind]
    by_kind.append((fields.amounts, amount))
    if from_text:
        by_kind.append((fields.json, _json_object))
    chosen: list[tuple[str, Convert]] = []
    for name in names:
        for kind, convert in by_kind:
            if name in kind:
                chosen.append((name, convert))
    return tuple(chosen)


def _strings_only(convert: Convert) -> Convert:
    def converted(value: Any) -> Any:
        return convert(value) if isinstance(value, str) else value

    return converted
