"""The API's `errors` map (`{"<field>[<i>]": ["message"]}`): read, describe, fold onto items.

Whatever a server sends, these functions return bounded results: an index too long to be a
position is not one, and what is kept per item is capped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import islice
from typing import Any

from ._constants import MAX_ITEM_MESSAGE_LENGTH

_KEY = re.compile(r"^(?P<field>[^\[]*)\[(?P<index>\d{1,9})\](?P<rest>.*)$")
MAX_FIELDS_KEPT = 20
"""Fields kept per item (and chunk-level keys kept per chunk); the rest are counted."""


def error_map(raw: Any) -> dict[str, list[str]]:
    """`{"field": ["message", ...]}` from whatever the API sent as `errors` (non-maps: `{}`)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(key): _messages(value) for key, value in raw.items()}


def validation_error_map(raw: Any) -> dict[str, list[str]]:
    """A `field[i]` map from a list of pydantic-style errors (`{"loc": [...], "msg": ...}`).

    The first integer of `loc` is the item's position: `["body", "billings", 3, "amount"]`
    becomes `amount[3]`, as Neofin's own `errors` keys name items."""
    errors: dict[str, list[str]] = {}
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, Mapping):
            errors.setdefault("", []).append(str(entry))
            continue
        loc = entry.get("loc")
        parts = list(loc) if isinstance(loc, (list, tuple)) else []
        position = next((i for i, part in enumerate(parts) if type(part) is int), None)
        if position is None:
            key = ".".join(map(str, parts))
        else:
            key = f"{'.'.join(map(str, parts[position + 1 :]))}[{parts[position]}]"
        errors.setdefault(key, []).append(str(entry.get("msg", entry)))
    return errors


def _messages(value: Any) -> list[str]:
    return [str(m) for m in value] if isinstance(value, list) else [str(value)]


def split_errors(
    errors: Mapping[str, Any] | None, size: int
) -> tuple[dict[int, dict[str, list[str]]], dict[str, list[str]]]:
    """Per-item errors by position in the request, and errors that name no (valid) position.

    `installment_type[0]` names item 0's `installment_type`; a key without an index, or with
    an index outside the request, applies to the whole chunk. Both results are capped."""
    per_item: dict[int, dict[str, list[str]]] = {}
    chunk_level: dict[str, list[str]] = {}
    for key, value in (errors or {}).items():
        messages = _messages(value)
        match = _KEY.match(str(key))
        index = int(match["index"]) if match else -1
        if match and 0 <= index < size:
            field = (match["field"] + match["rest"]).strip(".") or str(key)
            per_item.setdefault(index, {}).setdefault(field, []).extend(messages)
        else:
            chunk_level.setdefault(str(key), []).extend(messages)
    return {i: cap(e) for i, e in per_item.items()}, cap(chunk_level)


def cap(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """At most `MAX_FIELDS_KEPT` fields and about `MAX_ITEM_MESSAGE_LENGTH` characters."""
    if len(errors) <= MAX_FIELDS_KEPT and len(describe(errors)) <= MAX_ITEM_MESSAGE_LENGTH:
        return errors
    kept: dict[str, list[str]] = {}
    budget = MAX_ITEM_MESSAGE_LENGTH
    for field, messages in islice(errors.items(), MAX_FIELDS_KEPT):
        text = " ".join(messages)
        if len(text) + len(field) > budget:
            name, room = field[:200], max(budget - 200, 0)
            kept[name] = [text[:room] + ("..." if len(text) > room else "")]
            break
        kept[field] = messages
        budget -= len(field) + len(text) + 4
    if len(kept) < len(errors):
        kept["..."] = [f"{len(errors) - len(kept)} more not kept"]
    return kept


def describe(errors: Mapping[str, list[str]]) -> str:
    """`field: message message; field: message`."""
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
