"""Neofin's answer bodies: the application's `{"message", "errors"}` and API Gateway's own."""

from __future__ import annotations

from .._emulation import Answer, dumps


def message(text: str, errors: dict[str, list[str]] | None = None) -> bytes:
    return dumps({"message": text, "errors": errors or {}})


def field_errors(errors: dict[str, str]) -> Answer:
    """400 with the API's `{"message": "", "errors": {"field": ["..."]}}`."""
    return 400, message("", {field: [text] for field, text in errors.items()})


MISSING_TOKEN = dumps({"message": "Missing Authentication Token"})
INVALID_KEYS = message("Invalid API Keys")
INVALID_BODY: Answer = (400, message("Invalid request body"))
BILLING_NOT_FOUND: Answer = (404, message("Billing not found."))
CUSTOMER_NOT_FOUND: Answer = (404, message("Customer not found."))

# Answers of API Gateway itself (not of the Neofin application behind it).
GATEWAY_ERRORS = {
    413: dumps({"message": "Request Too Long"}),
    429: dumps({"message": "Too Many Requests"}),
    503: dumps({"message": "Service Unavailable"}),
    504: dumps({"message": "Endpoint request timed out"}),
}
INTERNAL_ERROR = dumps({"message": "Internal server error"})
