"""ChargeOver's `where=` query syntax: `field:OPERATOR:value` clauses joined by commas.

ChargeOver's escape-syntax page: a `:` or `,` inside a value is escaped with a backslash
(`external_key:EQUALS:Example\\:ID`); the PHP SDK escapes commas the same way. Nothing says
how a backslash itself is escaped, so values are sent with backslashes unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

OPERATORS = frozenset({"EQUALS", "NOTEQUALS", "GT", "LT", "GTE", "LTE", "CONTAINS", "IS", "ISNOT"})
"""`IS` and `ISNOT` take the value `NULL` (`field:IS:NULL`)."""

_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")

Condition = object
"""A value (EQUALS), None (IS:NULL), or an `(operator, value)` pair."""


def escape(value: str) -> str:
    """A value as it may appear in a clause: `:` and `,` backslash-escaped."""
    return value.replace(":", "\\:").replace(",", "\\,")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def clause(field: str, condition: Condition) -> str:
    """One `field:OP:value` clause; `ValueError` for an unknown field name or operator."""
    if not _FIELD.match(field):
        raise ValueError(f"{field!r} is not a ChargeOver field name")
    if condition is None:
        return f"{field}:IS:NULL"
    if isinstance(condition, tuple):
        if len(condition) != 2:
            raise ValueError(f"{field}: a condition is (operator, value), got {condition!r}")
        operator, value = condition
        operator = str(operator).upper()
        if operator not in OPERATORS:
            known = ", ".join(sorted(OPERATORS))
            raise ValueError(f"{field}: unknown operator {operator!r} (known: {known})")
        if operator in ("IS", "ISNOT"):
            return f"{field}:{operator}:NULL"
        return f"{field}:{operator}:{escape(_text(value))}"
    return f"{field}:EQUALS:{escape(_text(condition))}"


def build_where(where: Mapping[str, Condition] | Iterable[tuple[str, Condition]] | None) -> str:
    """`{"bill_state": "MN", "external_key": None, "customer_id": ("GT", 10)}` ->
    `"bill_state:EQUALS:MN,external_key:IS:NULL,customer_id:GT:10"` (all must hold)."""
    if where is None:
        return ""
    pairs = where.items() if isinstance(where, Mapping) else where
    return ",".join(clause(field, condition) for field, condition in pairs)
