"""The OpenAPI 3.1 description of the Neofin emulator, built from the route table and the field
catalogue. `openapi.json` (package data, printed by `neofin-async emulator --openapi`) is this
document; regenerate it with `python -m neofin_async.emulator._openapi`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .._brazil import UF_CODES
from .._constants import (
    MAX_BATCH_SIZE,
    MAX_CENTAVOS,
    MAX_INSTALLMENTS,
    MAX_REQUEST_BYTES,
    MAX_TEXT_LENGTH,
    MAX_TIMESTAMP,
)
from .._fields import (
    BILLING_FIELDS,
    BILLING_REQUIRED,
    BILLING_TYPES,
    CUSTOMER_FIELDS,
    CUSTOMER_OUTPUT_FIELDS,
    CUSTOMER_REQUIRED,
    INSTALLMENT_TYPES,
    Kind,
)
from ._api import ROUTES
from ._webhooks import TOPICS

PATH = Path(__file__).with_name("openapi.json")

KINDS: dict[Kind, dict[str, Any]] = {
    "document": {"type": "string", "description": "CPF or CNPJ, punctuation allowed"},
    "identifier": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_LENGTH},
    "text": {"type": "string", "maxLength": MAX_TEXT_LENGTH},
    "file": {"type": "string", "contentEncoding": "base64"},
    "centavos": {"type": "integer", "minimum": 1, "maximum": MAX_CENTAVOS},
    "date": {"type": "integer", "minimum": 0, "maximum": MAX_TIMESTAMP},
    "installments": {"type": "integer", "minimum": 1, "maximum": MAX_INSTALLMENTS},
    "number": {"type": "number", "minimum": -MAX_CENTAVOS, "maximum": MAX_CENTAVOS},
    "boolean": {"type": "boolean"},
    "state": {"type": "string", "enum": ["", *sorted(UF_CODES)]},
    "strings": {"type": "array", "items": {"type": "string", "maxLength": MAX_TEXT_LENGTH}},
    "object": {"type": "object"},
    "installment_type": {"type": "string", "enum": list(INSTALLMENT_TYPES)},
    "billing_type": {"type": "string", "enum": list(BILLING_TYPES)},
}
STRING: dict[str, Any] = {"type": "string"}
NUMBER: dict[str, Any] = {"type": "number"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: Any = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required or properties)}


def _input(fields: dict[str, Kind], required: Any, description: str) -> dict[str, Any]:
    properties = {
        name: KINDS[kind] if name in required else {"anyOf": [KINDS[kind], {"type": "null"}]}
        for name, kind in fields.items()
    }
    return {**_object(properties, required), "description": description}


def _page(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return _object(
        {
            key: {"type": "array", "items": item},
            "next_page_token": {"type": ["string", "null"]},
            "count": INTEGER,
        }
    )


_PAYMENT = _object({"installment": STRING, "payment_number": STRING, "payment_status": STRING})
_BILLING_COMMON = {
    "customer_mail": STRING,
    "digest": STRING,
    "status": STRING,
    "nfe_number": STRING,
    "customer_phone": STRING,
    "installment_type": STRING,
    "billing_number": STRING,
    "created_by_name": STRING,
    "customer_document": STRING,
    "integration_identifier": STRING,
    "description": STRING,
    "billing_url": STRING,
    "customer_name": STRING,
    "type": STRING,
}
_MONEY_AS_TEXT = dict.fromkeys(("fine", "fees", "discount_before_payment"), STRING)
_MONEY = dict.fromkeys(("fine", "fees", "discount_before_payment"), NUMBER)
_TIMES = ("installments", "due_date", "updated_at", "issued_at", "amount")

SCHEMAS: dict[str, Any] = {
    "BillingInput": _input(
        BILLING_FIELDS,
        BILLING_REQUIRED,
        "An item of POST /billing/. Other fields (integrators send issued_at, payee_name, "
        "payee_document, installments_data, origin) are accepted and ignored.",
    ),
    "CustomerInput": _input(
        CUSTOMER_FIELDS, CUSTOMER_REQUIRED, "An item of POST /customer/ (other fields ignored)."
    ),
    "Message": {
        **_object(
            {
                "message": STRING,
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": STRING},
                    "description": 'Messages by "<field>[<index in the batch>]" (or field).',
                },
            }
        ),
        "description": "The application's answer; errors is empty on success.",
    },
    "MessageOnly": {
        **_object({"message": STRING}),
        "description": "An answer with no errors map (API Gateway's own: unknown route, 413, "
        "429, 5xx; and the reopen answer).",
    },
    "Billing": _object(
        {
            **_BILLING_COMMON,
            **_MONEY_AS_TEXT,
            **dict.fromkeys(_TIMES, NUMBER),
            "discount_before_payment_due_date": NUMBER,
            "by_mail": BOOLEAN,
            "by_whatsapp": BOOLEAN,
            "payments": {"type": "array", "items": _PAYMENT},
        }
    ),
    "BillingSummary": _object(
        {
            **_BILLING_COMMON,
            **_MONEY,
            **dict.fromkeys(_TIMES, INTEGER),
            "discount_before_payment_due_date": INTEGER,
            "origin": STRING,
            "customer_id": STRING,
        }
    ),
    "Event": _object(
        {
            "event_type": STRING,
            "event_status": STRING,
            "event_time": INTEGER,
            "event_description": STRING,
            "by": STRING,
            "event_category": STRING,
            "billing_number": STRING,
        }
    ),
    "PaidInstallment": _object(
        {
            **_MONEY,
            "original_amount": INTEGER,
            "boleto_pdf": STRING,
            "nfe_number": STRING,
            "customer_phone": STRING,
            "nf_url": STRING,
            "renegotiation_in_progress": BOOLEAN,
            "paid_amount": INTEGER,
            "installment_order": STRING,
            "customer_document": STRING,
            "paid_at": STRING,
            "installment_number": STRING,
            "integration_identifier": STRING,
            "customer_id": STRING,
            "billing": {"type": "object"},
        }
    ),
    "Customer": _object(
        {
            **{name: {"type": ["string", "null"]} for name in CUSTOMER_OUTPUT_FIELDS},
            "recipients": {"type": "array", "items": STRING},
            "pause_notifications": BOOLEAN,
        }
    ),
    "Attachments": _object(
        {
            "message": STRING,
            "files_uploaded": {"type": "array", "items": STRING},
            "files_failed": {"type": "array", "items": {"type": "object"}},
        }
    ),
}

_JSON = "application/json"


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": _ref(schema)}}}


_COMMON_ANSWERS = {
    "403": _answer("Invalid API Keys, or an unknown route or method (API Gateway)", "Message"),
}
_BODY_ANSWERS = {
    "400": _answer("Not a JSON object, or field errors", "Message"),
    "413": _answer(f"Body over {MAX_REQUEST_BYTES} bytes (guessed)", "MessageOnly"),
}
_NOT_FOUND = {"404": _answer("Billing not found.", "Message")}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {_JSON: {"schema": schema}}}


def _batch(key: str, item: str) -> dict[str, Any]:
    items = {"type": "array", "items": _ref(item), "minItems": 1, "maxItems": MAX_BATCH_SIZE}
    return _body(_object({key: items}))


def _query(*names: str, **descriptions: str) -> list[dict[str, Any]]:
    params = [*names, *descriptions]
    return [
        {"name": name, "in": "query", "required": False, "schema": STRING}
        | ({"description": descriptions[name]} if name in descriptions else {})
        for name in params
    ]


_PAGE = ("next_page_token",)
_DATE_TIME = "ISO-8601 date-time (naive = UTC) or date (São Paulo midnight)"
_FILES = _object(
    {"files": {"type": "array", "items": _object({"file_name": STRING, "file": STRING})}}
)

OPERATIONS: dict[str, dict[str, Any]] = {
    "upsert_billings": {
        "summary": "Upsert billings (queued; 202)",
        "requestBody": _batch("billings", "BillingInput"),
        "responses": {"202": _answer("Billings successfully queued.", "Message"), **_BODY_ANSWERS},
    },
    "list_billings": {
        "summary": "All billings",
        "parameters": _query(*_PAGE),
        "responses": {
            "200": _answer("A page", "BillingPage"),
            "400": _answer("Bad token", "Message"),
        },
    },
    "get_billing": {
        "summary": "A billing by integration_identifier",
        "responses": {"200": _answer("The billing", "Billing"), **_NOT_FOUND},
    },
    "get_billing_by_number": {
        "summary": "A billing by billing_number",
        "responses": {"200": _answer("The billing", "Billing"), **_NOT_FOUND},
    },
    "mark_paid": {
        "summary": "Mark a billing paid (every installment)",
        "responses": {
            "200": _answer("Billing successfully paid.", "Message"),
            "400": _answer("Not payable in its status", "Message"),
            **_NOT_FOUND,
        },
    },
    "cancel": {
        "summary": "Cancel a pending, overdue or error billing",
        "responses": {
            "200": _answer("Billing successfully canceled.", "Message"),
            "400": _answer("Not cancellable in its status", "Message"),
            **_NOT_FOUND,
        },
    },
    "list_by_status": {
        "summary": "Billings in a status",
        "parameters": _query(*_PAGE),
        "responses": {
            "200": _answer("A page", "BillingPage"),
            "400": _answer("Bad status", "Message"),
        },
    },
    "list_by_customer": {
        "summary": "Billings of a customer (document or integration_identifier; path guessed)",
        "parameters": _query(*_PAGE),
        "responses": {
            "200": _answer("A page", "BillingPage"),
            "400": _answer("Bad token", "Message"),
        },
    },
    "list_updated": {
        "summary": "Billings updated in a window",
        "parameters": _query(*_PAGE, start_datetime=_DATE_TIME, end_datetime=_DATE_TIME),
        "responses": {
            "200": _answer("A page", "BillingPage"),
            "400": _answer("Bad window", "Message"),
        },
    },
    "list_events": {
        "summary": "The billing event feed",
        "parameters": _query(*_PAGE, start_datetime=_DATE_TIME),
        "responses": {
            "200": _answer("A page", "EventPage"),
            "400": _answer("Bad query", "Message"),
        },
    },
    "list_billing_events": {
        "summary": "Events of one billing",
        "parameters": _query(*_PAGE),
        "responses": {
            "200": _answer("A page", "EventPage"),
            "400": _answer("Bad token", "Message"),
            **_NOT_FOUND,
        },
    },
    "list_paid_installments": {
        "summary": "Installments paid in a date range",
        "parameters": _query(
            *_PAGE, start_paid_at_date="YYYY-MM-DD", end_paid_at_date="YYYY-MM-DD"
        ),
        "responses": {
            "200": _answer("A page", "InstallmentPage"),
            "400": _answer("Bad date", "Message"),
        },
    },
    "attach_files": {
        "summary": "Attach files (base64, names with an extension)",
        "requestBody": _body(_FILES),
        "responses": {"200": _answer("Processed", "Attachments"), **_BODY_ANSWERS, **_NOT_FOUND},
    },
    "attach_nf": {
        "summary": "Attach the NF (base64)",
        "requestBody": _body(_object({"nf_file": STRING})),
        "responses": {
            "200": _answer("NF successfully uploaded.", "Message"),
            **_BODY_ANSWERS,
            **_NOT_FOUND,
        },
    },
    "attach_boleto": {
        "summary": "Attach a boleto PDF (base64)",
        "requestBody": _body(_object({"file": STRING})),
        "responses": {
            "200": _answer("Boleto successfully uploaded.", "Message"),
            **_BODY_ANSWERS,
            **_NOT_FOUND,
        },
    },
    "mark_paid_v2": {
        "summary": "Total or partial settlement (details from an integrator)",
        "requestBody": _body(
            _object(
                {
                    "paid_amount": {"type": "integer", "minimum": 1, "maximum": MAX_CENTAVOS},
                    "discount_amount": {"type": "integer", "minimum": 0, "maximum": MAX_CENTAVOS},
                    "paid_at": {"type": "string", "format": "date"},
                },
                required=(),
            )
        ),
        "responses": {
            "200": _answer("Billing successfully paid.", "Message"),
            **_BODY_ANSWERS,
            **_NOT_FOUND,
        },
    },
    "reopen": {
        "summary": "Reopen a cancelled billing (details from an integrator)",
        "responses": {
            "202": _answer("Request accepted for billing reopening.", "MessageOnly"),
            "400": _answer("Not cancelled", "Message"),
            **_NOT_FOUND,
        },
    },
    "upsert_customers": {
        "summary": "Upsert customers (queued; 202)",
        "requestBody": _batch("customers", "CustomerInput"),
        "responses": {"202": _answer("Customers successfully queued.", "Message"), **_BODY_ANSWERS},
    },
    "get_customer": {
        "summary": "A customer by integration_identifier",
        "responses": {
            "200": _answer("The customer", "Customer"),
            "404": _answer("Customer not found.", "Message"),
        },
    },
    "get_customer_by_document": {
        "summary": "A customer by CPF or CNPJ",
        "responses": {
            "200": _answer("The customer", "Customer"),
            "404": _answer("Customer not found.", "Message"),
        },
    },
    "register_webhook": {
        "summary": "Register a webhook destination for one topic",
        "requestBody": _body(
            _object({"topic": {"type": "string", "enum": list(TOPICS)}, "destination": STRING})
        ),
        "responses": {
            "200": _answer("Webhook successfully registered.", "Message"),
            **_BODY_ANSWERS,
        },
    },
}


def _path_parameters(template: str) -> list[dict[str, Any]]:
    names = [s[1:-1] for s in template.split("/") if s.startswith("{")]
    return [{"name": n, "in": "path", "required": True, "schema": STRING} for n in names]


def document() -> dict[str, Any]:
    """The OpenAPI document (a dict)."""
    paths: dict[str, dict[str, Any]] = {}
    for method, template, handler in ROUTES:
        operation = {"operationId": handler, **OPERATIONS[handler]}
        operation["parameters"] = _path_parameters(template) + operation.get("parameters", [])
        operation["responses"] = {**operation["responses"], **_COMMON_ANSWERS}
        paths.setdefault(template, {})[method.lower()] = operation
    schemas = {
        **SCHEMAS,
        "BillingPage": _page("billings", _ref("BillingSummary")),
        "EventPage": _page("events", _ref("Event")),
        "InstallmentPage": _page("installments", _ref("PaidInstallment")),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Neofin API emulator (neofin-async)",
            "version": "1",
            "description": "The routes, status codes and bodies the neofin-async emulator "
            "answers. Evidenced and guessed answers are listed in the docstring of "
            "neofin_async.emulator. Unknown routes and methods answer 403 "
            '{"message":"Missing Authentication Token"}, as API Gateway does.',
        },
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "security": [{"api-key": [], "secret-key": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "api-key": {"type": "apiKey", "in": "header", "name": "api-key"},
                "secret-key": {"type": "apiKey", "in": "header", "name": "secret-key"},
            },
        },
    }


def dumps() -> bytes:
    return (json.dumps(document(), indent=1, ensure_ascii=False) + "\n").encode()


if __name__ == "__main__":  # `--write` regenerates openapi.json, else print it
    if sys.argv[1:] == ["--write"]:
        PATH.write_bytes(dumps())
    else:
        sys.stdout.buffer.write(dumps())
