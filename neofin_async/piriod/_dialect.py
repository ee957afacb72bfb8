"""How Piriod's API speaks: `{"detail": "..."}` for 401/403/404/405 and most 500s, a Django
REST framework field map for 400 (nested for sub-fields), read into the common error tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .._errormap import cap
from .._pipeline import Dialect
from ._constants import ENV_API_TOKEN, ENV_WORKSPACE, REQUEST_ID_HEADER

_MAX_MESSAGES = 100


def field_map(body: Any) -> dict[str, list[str]]:
    """`{"field": [...], "tax_settings.mx_tax_scheme": [...], "non_field_errors": [...]}`
    from a DRF error body. Nested maps join their keys with dots; a list of nested maps
    (one per sub-item) adds the position (`contacts.1.email`), except a list of one."""
    errors: dict[str, list[str]] = {}
    budget = [_MAX_MESSAGES]

    def walk(prefix: str, value: Any) -> None:
        if budget[0] <= 0:
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and any(isinstance(v, (Mapping, list)) for v in value):
            for position, item in enumerate(value):
                if item:
                    walk(prefix if len(value) == 1 else f"{prefix}.{position}", item)
        else:
            messages = value if isinstance(value, list) else [value]
            budget[0] -= len(messages)
            errors.setdefault(prefix or "non_field_errors", []).extend(map(str, messages))

    walk("", body)
    return cap(errors)


class PiriodDialect(Dialect):
    """Piriod's error bodies and the messages a person can act on."""

    name: ClassVar[str] = "piriod"
    request_id_header: ClassVar[str] = REQUEST_ID_HEADER

    def read_error(self, status: int, body: Any) -> tuple[str, dict[str, list[str]]]:
        if isinstance(body, str):
            return body.strip()[:200], {}
        if isinstance(body, Mapping) and isinstance(body.get("detail"), str):
            rest = {k: v for k, v in body.items() if k != "detail"}
            return body["detail"][:500], field_map(rest) if rest else {}
        if isinstance(body, (Mapping, list)):
            return "", field_map(body)
        return "", {}

    def explain(self, status: int, message: str, path: str) -> str:
        message = message.strip()
        if status in (401, 403):
            message = message.rstrip(".")
        if status == 401:
            return (
                f"{message or 'Unauthorized'}: the API token was refused (check api_token= or "
                f"{ENV_API_TOKEN}; a new token from the dashboard invalidates the previous one)"
            )
        if status == 403:
            return (
                f"{message or 'Forbidden'}: the token may not act on this workspace (check "
                f"workspace= or {ENV_WORKSPACE}, the organization id acc_...)"
            )
        if status == 404 and path.startswith("/customers/") and path != "/customers/":
            return (
                f"{message or 'Not found.'} No such customer in this workspace and mode (test "
                "mode data is separate from live data)"
            )
        return message or f"HTTP {status}"


PIRIOD = PiriodDialect()
