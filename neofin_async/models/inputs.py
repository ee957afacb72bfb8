"""Request models: what we send. Validated strictly, before any request."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import Field

from ._base import InputModel
from ._types import (
    Centavos,
    Document,
    Email,
    Identifier,
    NonNegative,
    Phone,
    StateCode,
    UnixTime,
    ZipCode,
)


class BillingType(str, Enum):
    """How the customer pays: `bolepix` (boleto with a Pix QR code), `boleto`, `pix`, or
    `generic` (a billing you collect yourself: Neofin only sends the reminders)."""

    GENERIC = "generic"
    BOLEPIX = "bolepix"
    BOLETO = "boleto"
    PIX = "pix"


class InstallmentType(str, Enum):
    """How far apart the installments fall due (`custom`: one installment, or your dates)."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


class BillingInput(InputModel):
    """A billing for `POST /billing/`: the 38 documented fields.

    `amount` is integer centavos (`neofin_async.centavos(Decimal("100.12"))` converts reais).
    `due_date` takes Unix seconds, a `date` (that day, 00:00 in America/Sao_Paulo) or an aware
    `datetime`, and is sent as Unix seconds. Documents, phones and CEPs are normalised.
    `by_mail` and `by_whatsapp` are deprecated but still required by the API; they default to
    the documentation's example values, `False` and `True`.
    `fees`, `fine` and `discount_before_payment` are typed integer by the API but their units are
    undocumented and integrators send fractions: numbers are passed through unchanged.
    """

    integration_identifier: Identifier
    customer_document: Document
    amount: Centavos
    due_date: UnixTime
    installment_type: InstallmentType
    installments: int = Field(ge=1)
    type: BillingType
    by_mail: bool = False
    by_whatsapp: bool = True

    customer_integration_identifier: str | None = None
    customer_name: str | None = None
    customer_trade_name: str | None = None
    customer_mail: Email | None = None
    customer_phone: Phone | None = None
    customer_secondary_phone: Phone | None = None
    address_city: str | None = None
    address_complement: str | None = None
    address_neighborhood: str | None = None
    address_number: str | None = None
    address_state: StateCode | None = None
    address_street: str | None = None
    address_zip_code: ZipCode | None = None
    original_due_date: UnixTime | None = None
    discount_before_payment: NonNegative | None = None
    discount_before_payment_due_date: UnixTime | None = None
    description: str | None = None
    fees: NonNegative | None = None
    fine: NonNegative | None = None
    nfe_number: str | None = None
    recipients: list[Email] | None = None
    boleto: dict[str, Any] | None = None
    boleto_pdf: str | None = None
    boleto_base64: str | None = None
    nf_url: str | None = None
    rps: str | None = None
    code: str | None = None
    hash: str | None = None
    ignore_existing_customer_upsert: bool | None = None


class CustomerInput(InputModel):
    """A customer for `POST /customer/`. Only `document` is required here: the how-to pages call
    every address field mandatory but the API's own example omits some, so the server decides."""

    document: Document
    integration_identifier: str | None = None
    name: str | None = None
    trade_name: str | None = None
    mail: Email | None = None
    phone: Phone | None = None
    secondary_phone: Phone | None = None
    address_street: str | None = None
    address_number: str | None = None
    address_complement: str | None = None
    address_neighborhood: str | None = None
    address_city: str | None = None
    address_state: StateCode | None = None
    address_zip_code: ZipCode | None = None
    recipients: list[Email] | None = None
    pause_notifications: bool | None = None
