"""The API's `errors` map (`{"<field>[<i>]": ["message"]}`): read, describe, fold onto items."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_KEY = re.compile(r"^(?P<field>[^\[]*)\[(?P<index>\d+)\](?P<rest>.*)$")


def error_map(raw: Any) -> dict[str, list[str]]:
    """`{"field": ["message", ...]}` from whatever the API sent as `errors` (non-maps: `{}`)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(key): _messages(value) for key, value in raw.items()}


def _messages(value: Any) -> list[str]:
    return [str(m) for m in value] if isinstance(value, list) else [str(value)]


def split_errors(
    errors: Mapping[str, Any] | None, size: int
) -> tuple[dict[int, dict[str, list[str]]], dict[str, list[str]]]:
    """Per-item errors by position in the request, and errors that name no (valid) position.

    `installment_type[0]` names item 0's `installment_type`; a key without an index, or with
    an index outside the request, applies to the whole chunk."""
    per_item: dict[int, dict[str, list[str]]] = {}
    chunk_level: dict[str, list[str]] = {}
    for key, value in (errors or {}).items():
        messages = _messages(value)
        match = _KEY.match(str(key))
        index = int(match["index"]) if match else -1
        if 0 <= index < size and match:
            field = (match["field"] + match["rest"]).strip(".") or str(key)
            per_item.setdefault(index, {}).setdefault(field, []).extend(messages)
        else:
            chunk_level.setdefault(str(key), []).extend(messages)
    return per_item, chunk_level


def describe(errors: Mapping[str, list[str]]) -> str:
    """`field: message message; field: message`."""
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
