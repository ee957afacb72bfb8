"""Neofin's billing and customer fields, in one place (shared/neofin-api.md 2.1, 2.15, 2.16, 8).

Each field has a kind (what the API takes there); the emulator's validation, rendering and state
derive from these tables, and a test binds them to `BillingInput`, `CustomerInput` and `Customer`.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal[
    "document",  # CPF or CNPJ, punctuation allowed
    "identifier",  # non-empty text
    "text",
    "file",  # base64 text (no length bound but the body's)
    "centavos",  # integer > 0
    "date",  # Unix seconds, integer >= 0
    "installments",  # integer >= 1
    "number",  # integer or float (fees, fine: units undocumented)
    "boolean",
    "state",  # UF code
    "strings",  # list of text
    "object",
    "installment_type",
    "billing_type",
]

BILLING_TYPES = ("generic", "bolepix", "boleto", "pix")
INSTALLMENT_TYPES = ("weekly", "biweekly", "monthly", "custom")

ADDRESS_FIELDS = (
    "address_street",
    "address_number",
    "address_complement",
    "address_neighborhood",
    "address_city",
    "address_state",
    "address_zip_code",
)

CUSTOMER_FIELDS: dict[str, Kind] = {
    "document": "document",
    "integration_identifier": "text",
    "name": "text",
    "trade_name": "text",
    "mail": "text",
    "phone": "text",
    "secondary_phone": "text",
    **{name: "state" if name == "address_state" else "text" for name in ADDRESS_FIELDS},
    "recipients": "strings",
    "pause_notifications": "boolean",
}
"""`POST /customer/` items (2.15)."""
CUSTOMER_REQUIRED = ("document",)
CUSTOMER_HOWTO = (*sorted(ADDRESS_FIELDS), "mail", "name", "phone")
"""Mandatory and not empty on the how-to pages (the endpoint's example omits some)."""
CUSTOMER_OUTPUT_FIELDS = ("id", *CUSTOMER_FIELDS, "situation")
"""`GET /customer/...` bodies (2.16: a third-party fixture; the docs show `{}`)."""

CUSTOMER_FROM_BILLING: dict[str, str] = {
    "customer_document": "document",
    "customer_integration_identifier": "integration_identifier",
    "customer_name": "name",
    "customer_trade_name": "trade_name",
    "customer_mail": "mail",
    "customer_phone": "phone",
    "customer_secondary_phone": "secondary_phone",
    **{name: name for name in ADDRESS_FIELDS},
    "recipients": "recipients",
}
"""Billing field -> the field of the customer a billing creates or updates."""

BILLING_REQUIRED: dict[str, Kind] = {
    "customer_document": "document",
    "amount": "centavos",
    "due_date": "date",
    "installment_type": "installment_type",
    "installments": "installments",
    "type": "billing_type",
    "integration_identifier": "identifier",
    "by_mail": "boolean",
    "by_whatsapp": "boolean",
}
"""Required by the endpoint schema (D1)."""
BILLING_FIELDS: dict[str, Kind] = {
    **BILLING_REQUIRED,
    **{b: CUSTOMER_FIELDS[c] for b, c in CUSTOMER_FROM_BILLING.items() if b != "customer_document"},
    "original_due_date": "date",
    "discount_before_payment": "number",
    "discount_before_payment_due_date": "date",
    "description": "text",
    "fees": "number",
    "fine": "number",
    "nfe_number": "text",
    "boleto": "object",
    "boleto_pdf": "text",
    "boleto_base64": "file",
    "nf_url": "text",
    "rps": "text",
    "code": "text",
    "hash": "text",
    "ignore_existing_customer_upsert": "boolean",
}
"""The 38 documented fields of `POST /billing/` items (2.1)."""
BILLING_HOWTO = ("customer_name", "customer_mail", *sorted(ADDRESS_FIELDS))
"""Mandatory and not empty on the how-to pages (D3, D4), beyond the schema's."""
INTEGRATOR_BILLING_FIELDS = (
    "issued_at",
    "payee_name",
    "payee_document",
    "installments_data",
    "origin",
)
"""Sent by integrators, not documented; production answered 202 (section 8). The emulator
accepts and ignores them, as production appears to."""
