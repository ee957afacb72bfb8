"""Reading `where=` and `order=` the way ChargeOver does (see `neofin_async.chargeover._where`).

Inferred where the docs are silent: EQUALS / NOTEQUALS compare text exactly, CONTAINS ignores
case, GT/LT/GTE/LTE compare numbers when both sides are numbers and text otherwise, and a
clause naming an unknown field is a 400.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._where import OPERATORS

Predicate = Callable[[Mapping[str, Any]], bool]


class QueryError(ValueError):
    """A `where` or `order` the API would refuse (400)."""


def split_unescaped(text: str, separator: str, limit: int = -1) -> list[str]:
    """Split on `separator` where it is not backslash-escaped; escapes are kept."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(char)
            current.append(next(chars, ""))
        elif char == separator and (limit < 0 or len(parts) < limit):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    return text.replace("\\:", ":").replace("\\,", ",")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(operator: str, actual: Any, wanted: str) -> bool:
    if operator == "IS":
        return actual is None or actual == ""
    if operator == "ISNOT":
        return not (actual is None or actual == "")
    if actual is None:
        return False
    text = ("1" if actual else "0") if isinstance(actual, bool) else str(actual)
    if operator == "EQUALS":
        return text == wanted
    if operator == "NOTEQUALS":
        return text != wanted
    if operator == "CONTAINS":
        return wanted.casefold() in text.casefold()
    left, right = _number(actual), _number(wanted)
    if left is not None and right is not None:
        return _ordered(operator, left, right)
    return _ordered(operator, text, wanted)


def _ordered(operator: str, left: float | str, right: float | str) -> bool:
    if operator == "GT":
        return left > right  # type: ignore[operator]
    if operator == "LT":
        return left < right  # type: ignore[operator]
    if operator == "GTE":
        return left >= right  # type: ignore[operator]
    return left <= right  # type: ignore[operator]


def parse_where(where: str, fields: Iterable[str]) -> Predicate:
    """A predicate over stored records from a `where` parameter (every clause must hold)."""
    known = frozenset(fields)
    clauses: list[tuple[str, str, str]] = []
    for raw in split_unescaped(where, ","):
        if not raw:
            continue
        parts = split_unescaped(raw, ":", limit=2)
        if len(parts) != 3:
            raise QueryError(f"Invalid where clause: {raw}")
        field, operator, value = parts[0], parts[1].upper(), unescape(parts[2])
        if field not in known:
            raise QueryError(f"Invalid field in where clause: {field}")
        if operator not in OPERATORS or (operator in ("IS", "ISNOT")) != (value == "NULL"):
            raise QueryError(f"Invalid operator in where clause: {raw}")
        clauses.append((field, operator, value))

    def matches(record: Mapping[str, Any]) -> bool:
        return all(_compare(op, record.get(field), value) for field, op, value in clauses)

    return matches


def sort_key(order: str, fields: Iterable[str]) -> list[tuple[str, bool]]:
    """`customer_id:ASC,company:DESC` -> `[("customer_id", False), ("company", True)]`."""
    known = frozenset(fields)
    keys: list[tuple[str, bool]] = []
    for part in filter(None, order.split(",")):
        field, _, direction = part.partition(":")
        direction = direction.upper() or "ASC"
        if field not in known or direction not in ("ASC", "DESC"):
            raise QueryError(f"Invalid order: {part}")
        keys.append((field, direction == "DESC"))
    return keys
