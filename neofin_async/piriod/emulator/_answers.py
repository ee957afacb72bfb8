"""The emulator's fixed answers, worded as Django REST framework words them."""

from __future__ import annotations

from ..._emulation import dumps, reason_phrase


def detail(text: str) -> bytes:
    return dumps({"detail": text})


NO_CREDENTIALS = detail("Authentication credentials were not provided.")
INVALID_TOKEN = detail("Invalid token.")
NO_TOKEN_VALUE = detail("Invalid token header. No credentials provided.")
FORBIDDEN = detail("You do not have permission to perform this action.")
NOT_FOUND = detail("Not found.")
INVALID_PAGE = detail("Invalid page.")
MISSING_WORKSPACE = dumps({"non_field_errors": ["x-simple-workspace header is required."]})


def method_not_allowed(method: str) -> bytes:
    return detail(f'Method "{method}" not allowed.')


def for_status(status: int) -> bytes:
    """`{"detail": ...}` for a status the emulator answers on its own (413, 429, 5xx)."""
    if status == 429:
        return detail("Request was throttled.")
    if status >= 500:
        return detail("A server error occurred.")
    return detail(reason_phrase(status) + ".")
