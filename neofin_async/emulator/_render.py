"""JSON shapes of the API's answers and webhook payloads, as documented (neofin-api.md).

Reads render money and counts the way the documentation's examples do: floats for integers
(`20000.0`), strings for fees and fines (`""` when unset) in a single billing, numbers in lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .._brazil import sao_paulo
from .._fields import ADDRESS_FIELDS, CUSTOMER_OUTPUT_FIELDS
from ._state import API, BillingRecord, CustomerRecord, Payment


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(value: Any) -> int | float:
    return 0 if value is None else value


def iso(t: float) -> str:
    """ISO-8601 in São Paulo time, with its offset."""
    return datetime.fromtimestamp(t, sao_paulo()).isoformat(timespec="seconds")


def billing(b: BillingRecord, pay_url: str) -> dict[str, Any]:
    """`GET /billing/integration/{id}` and `GET /billing/{billing_number}`."""
    d, c = b.data, b.customer.data
    return {
        "customer_mail": c.get("mail") or "",
        "fine": _text(d.get("fine")),
        "digest": "",
        "status": b.status,
        "installments": float(d["installments"]),
        "nfe_number": d.get("nfe_number") or "",
        "customer_phone": c.get("phone") or "",
        "fees": _text(d.get("fees")),
        "by_mail": d["by_mail"],
        "installment_type": d["installment_type"],
        "billing_number": b.billing_number,
        "created_by_name": API,
        "customer_document": b.customer.document,
        "discount_before_payment": _text(d.get("discount_before_payment")),
        "integration_identifier": b.integration_identifier,
        "due_date": float(d["due_date"]),
        "updated_at": float(b.updated_at),
        "by_whatsapp": d["by_whatsapp"],
        "issued_at": float(b.issued_at),
        "amount": float(d["amount"]),
        "description": d.get("description") or "",
        "billing_url": pay_url + b.billing_number,
        "discount_before_payment_due_date": float(d.get("discount_before_payment_due_date") or 0),
        "customer_name": c.get("name") or "",
        "type": d["type"],
        "payments": [
            {
                "installment": f"{p.index}/{p.count}",
                "payment_number": p.number,
                "payment_status": p.status,
            }
            for p in b.payments
        ],
    }


def billing_summary(b: BillingRecord, pay_url: str) -> dict[str, Any]:
    """An item of the billing lists (`/billing/`, `/billing/status/...`, `/billing/updated_at`)."""
    d, c = b.data, b.customer.data
    return {
        "customer_mail": c.get("mail") or "",
        "fine": _number(d.get("fine")),
        "digest": "",
        "status": b.status,
        "installments": d["installments"],
        "nfe_number": d.get("nfe_number") or "",
        "customer_phone": c.get("phone") or "",
        "fees": _number(d.get("fees")),
        "installment_type": d["installment_type"],
        "billing_number": b.billing_number,
        "created_by_name": API,
        "customer_document": b.customer.document,
        "origin": "api",
        "discount_before_payment": _number(d.get("discount_before_payment")),
        "integration_identifier": b.integration_identifier,
        "customer_id": b.customer.id,
        "due_date": d["due_date"],
        "updated_at": b.updated_at,
        "issued_at": b.issued_at,
        "amount": d["amount"],
        "description": d.get("description") or "",
        "billing_url": pay_url + b.billing_number,
        "discount_before_payment_due_date": d.get("discount_before_payment_due_date") or 0,
        "customer_name": c.get("name") or "",
        "type": d["type"],
    }


def installment(b: BillingRecord, p: Payment) -> dict[str, Any]:
    """An item of `GET /billing/installment/by_payment_date`."""
    d, c = b.data, b.customer.data
    return {
        "discount_before_payment": _number(d.get("discount_before_payment")),
        "fine": _number(d.get("fine")),
        "original_amount": p.amount,
        "boleto_pdf": d.get("boleto_pdf") or "",
        "nfe_number": d.get("nfe_number") or "",
        "customer_phone": c.get("phone") or "",
        "nf_url": d.get("nf_url") or "",
        "renegotiation_in_progress": False,
        "paid_amount": p.paid_amount,
        "installment_order": str(p.index),
        "customer_document": b.customer.document,
        "paid_at": iso(p.paid_at) if p.paid_at is not None else "",
        "installment_number": p.number,
        "integration_identifier": b.integration_identifier,
        "customer_id": b.customer.id,
        "billing": {
            "fine": _number(d.get("fine")),
            "digest": "",
            "status": b.status,
            "nfe_number": d.get("nfe_number") or "",
            "customer_phone": c.get("phone") or "",
            "fees": _number(d.get("fees")),
            "billing_number": b.billing_number,
            "created_by_name": API,
            "customer_document": b.customer.document,
            "discount_before_payment": _number(d.get("discount_before_payment")),
            "integration_identifier": b.integration_identifier,
            "issued_at": b.issued_at,
            "amount": d["amount"],
            "description": d.get("description") or "",
            "discount_before_payment_due_date": d.get("discount_before_payment_due_date") or 0,
            "customer_name": c.get("name") or "",
        },
    }


def customer(c: CustomerRecord) -> dict[str, Any]:
    """`GET /customer/{document}` and `GET /customer/integration/{id}`."""
    known = {
        "id": c.id,
        "document": c.document,
        "recipients": c.data.get("recipients") or [],
        "pause_notifications": c.data.get("pause_notifications", False),
        "situation": "regular",
    }
    return {key: known[key] if key in known else c.data.get(key) for key in CUSTOMER_OUTPUT_FIELDS}


def webhook_payload(b: BillingRecord, p: Payment, pay_url: str) -> dict[str, Any]:
    """The flat `payments/*` payload for one installment (neofin-api.md section 3)."""
    d, c = b.data, b.customer.data
    body: dict[str, Any] = {
        "id": p.id,
        "customer_name": c.get("name") or "",
        "customer_document": b.customer.document,
        "customer_mail": c.get("mail") or "",
        "customer_phone": c.get("phone") or "",
    }
    for key in ADDRESS_FIELDS:
        body[key] = c.get(key) or ""
    body.update(
        {
            "billing_amount": str(d["amount"]),
            "payment_number": p.number,
            "payment_method": d["type"],
            "payment_status": p.status,
            "payment_amount": str(p.amount),
            "description": d.get("description") or "",
            "installment": f"{p.index}/{p.count}",
            "fine": float(d.get("fine") or 0),
            "fees": float(d.get("fees") or 0),
            "discount_before_payment_due_date": d.get("discount_before_payment_due_date") or 0,
            "discount_before_payment": float(d.get("discount_before_payment") or 0),
            "due_date": p.due_date,
            "issued_at": b.issued_at,
            "external_identifier": b.integration_identifier,
            "integration_identifier": b.integration_identifier,
            "billing_number": b.billing_number,
            "billing_url": pay_url + b.billing_number,
            "os_code": None,
            "os_identifier": None,
            "nf_url": d.get("nf_url") or "",
            "danfe": (
                [{"number": d["nfe_number"], "url": d.get("nf_url") or ""}]
                if d.get("nfe_number")
                else []
            ),
            "rps": d.get("rps") or "",
        }
    )
    if p.paid_at is not None:
        body["paid_amount"] = str(p.paid_amount)
        body["paid_at"] = p.paid_at
        body["paid_method"] = p.paid_method
    return body
