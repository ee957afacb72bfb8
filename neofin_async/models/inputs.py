"""Request models: what we send. Validated strictly, before any request."""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from .._constants import MAX_INSTALLMENTS
from ._base import InputModel
from ._types import (
    Centavos,
    Document,
    Email,
    FreeText,
    Identifier,
    InstallmentCount,
    JsonObject,
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


class InstallmentData(InputModel):
    """One entry of `BillingInput.installments_data`: an installment's own amount and date."""

    amount: Centavos
    due_date: UnixTime
    installment_number: InstallmentCount


class BillingInput(InputModel):
    """A billing for `POST /billing/`: the 38 documented fields and 5 integrators send.

    `amount` is integer centavos (`neofin_async.centavos(Decimal("100.12"))` converts reais).
    `due_date` takes Unix seconds, a `date` (that day, 00:00 in America/Sao_Paulo) or an aware
    `datetime`, and is sent as Unix seconds. Documents, phones and CEPs are normalised.
    `by_mail` and `by_whatsapp` are deprecated but still required by the API; they default to
    the documentation's example values, `False` and `True`.
    `fees`, `fine` and `discount_before_payment` are typed integer by the API but their units are
    undocumented and integrators send fractions: finite numbers are passed through unchanged.
    `issued_at`, `payee_name`, `payee_document`, `installments_data` and `origin` are not in the
    documentation; integrators send them and production accepts them (answered 202).
    Other fields are refused as misspellings unless let through with `extra_fields=`.
    Bounds shared with the emulators: amounts up to MAX_CENTAVOS, dates up to MAX_TIMESTAMP (the
    year 9000), up to MAX_INSTALLMENTS installments, text up to MAX_TEXT_LENGTH characters.
    """

    integration_identifier: Identifier
    customer_document: Document
    amount: Centavos
    due_date: UnixTime
    installment_type: InstallmentType
    installments: InstallmentCount
    type: BillingType
    by_mail: bool = False
    by_whatsapp: bool = True

    customer_integration_identifier: FreeText | None = None
    customer_name: FreeText | None = None
    customer_trade_name: FreeText | None = None
    customer_mail: Email | None = None
    customer_phone: Phone | None = None
    customer_secondary_phone: Phone | None = None
    address_city: FreeText | None = None
    address_complement: FreeText | None = None
    address_neighborhood: FreeText | None = None
    address_number: FreeText | None = None
    address_state: StateCode | None = None
    address_street: FreeText | None = None
    address_zip_code: ZipCode | None = None
    original_due_date: UnixTime | None = None
    discount_before_payment: NonNegative | None = None
    discount_before_payment_due_date: UnixTime | None = None
    description: FreeText | None = None
    fees: NonNegative | None = None
    fine: NonNegative | None = None
    nfe_number: FreeText | None = None
    recipients: list[Email] | None = None
    boleto: JsonObject | None = None
    boleto_pdf: FreeText | None = None
    boleto_base64: str | None = None
    nf_url: FreeText | None = None
    rps: FreeText | None = None
    code: FreeText | None = None
    hash: FreeText | None = None
    ignore_existing_customer_upsert: bool | None = None

    # Sent by integrators, not documented (shared/neofin-api.md section 8).
    issued_at: UnixTime | None = None
    payee_name: FreeText | None = None
    payee_document: Document | None = None
    installments_data: list[InstallmentData] | None = Field(
        default=None, max_length=MAX_INSTALLMENTS
    )
    origin: FreeText | None = None


class CustomerInput(InputModel):
    """A customer for `POST /customer/`. Only `document` is required here: the how-to pages call
    every address field mandatory but the API's own example omits some, so the server decides."""

    document: Document
    integration_identifier: FreeText | None = None
    name: FreeText | None = None
    trade_name: FreeText | None = None
    mail: Email | None = None
    phone: Phone | None = None
    secondary_phone: Phone | None = None
    address_street: FreeText | None = None
    address_number: FreeText | None = None
    address_complement: FreeText | None = None
    address_neighborhood: FreeText | None = None
    address_city: FreeText | None = None
    address_state: StateCode | None = None
    address_zip_code: ZipCode | None = None
    recipients: list[Email] | None = None
    pause_notifications: bool | None = None
