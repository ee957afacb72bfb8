"""Response models: what the API returns. Lenient: numbers may arrive as `"50000"`, `20000.0`
or `""`, timestamps as floats; every field is optional and unknown fields are kept."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, Field, field_validator

from .._errormap import error_map
from ._base import OutputModel
from ._types import Count, Number, Text, Timestamp


class Payment(OutputModel):
    """One installment of a billing, as listed in `Billing.payments`."""

    installment: Text = None
    payment_number: Text = None
    payment_status: str | None = None


class Billing(OutputModel):
    """A billing as returned by retrieve and the list endpoints."""

    integration_identifier: Text = None
    billing_number: Text = None
    status: str | None = None
    amount: Number = None
    due_date: Timestamp = None
    issued_at: Timestamp = None
    updated_at: Timestamp = None
    installments: Count = None
    installment_type: str | None = None
    type: str | None = None
    description: str | None = None
    billing_url: str | None = None
    fees: Number = None
    fine: Number = None
    discount_before_payment: Number = None
    discount_before_payment_due_date: Number = None
    customer_name: str | None = None
    customer_document: Text = None
    customer_mail: str | None = None
    customer_phone: str | None = None
    customer_id: Text = None
    nfe_number: Text = None
    digest: str | None = None
    created_by_name: str | None = None
    origin: str | None = None
    by_mail: bool | None = None
    by_whatsapp: bool | None = None
    payments: list[Payment] = Field(default_factory=list)

    @field_validator("payments", mode="before")
    @classmethod
    def _null_payments(cls, value: Any) -> Any:
        return [] if value is None else value


class BillingEvent(OutputModel):
    """An entry of the billing event feed."""

    event_type: str | None = None
    event_status: str | None = None
    event_time: Timestamp = None
    event_description: str | None = None
    event_category: str | None = None
    by: str | None = None
    billing_number: Text = None


class InstallmentBilling(OutputModel):
    """The billing summary nested in a paid installment."""

    integration_identifier: Text = None
    billing_number: Text = None
    status: str | None = None
    amount: Number = None
    fees: Number = None
    fine: Number = None
    discount_before_payment: Number = None
    discount_before_payment_due_date: Number = None
    issued_at: Timestamp = None
    description: str | None = None
    customer_name: str | None = None
    customer_document: Text = None
    customer_phone: str | None = None
    nfe_number: Text = None
    digest: str | None = None
    created_by_name: str | None = None


class Installment(OutputModel):
    """A paid installment, from `GET /billing/installment/by_payment_date`."""

    integration_identifier: Text = None
    installment_number: Text = None
    installment_order: Text = None
    paid_at: Timestamp = None
    paid_amount: Number = None
    original_amount: Number = None
    discount_before_payment: Number = None
    fine: Number = None
    customer_document: Text = None
    customer_id: Text = None
    customer_phone: str | None = None
    nfe_number: Text = None
    nf_url: str | None = None
    boleto_pdf: str | None = None
    renegotiation_in_progress: bool | None = None
    billing: InstallmentBilling | None = Field(
        default=None, validation_alias=AliasChoices("billing", "biling")
    )


class Customer(OutputModel):
    """A customer as returned by the customer endpoints."""

    id: Text = None
    integration_identifier: Text = None
    document: Text = None
    name: str | None = None
    trade_name: str | None = None
    mail: str | None = None
    phone: str | None = None
    secondary_phone: str | None = None
    address_street: str | None = None
    address_number: Text = None
    address_complement: str | None = None
    address_neighborhood: str | None = None
    address_city: str | None = None
    address_state: str | None = None
    address_zip_code: Text = None
    recipients: list[str] | None = None
    pause_notifications: bool | None = None
    situation: str | None = None


class MessageResponse(OutputModel):
    """The `{"message": ..., "errors": {...}}` answer of write endpoints."""

    message: str = ""
    errors: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("errors", mode="before")
    @classmethod
    def _lenient_errors(cls, value: Any) -> Any:
        if value and not isinstance(value, dict):
            return {"": [str(value)]}
        return error_map(value)


class QueuedResponse(MessageResponse):
    """202 answer of an upsert: queued, not yet created. `errors` names refused items.
    `request_id` is the answer's `x-amzn-requestid` header (quote it to Neofin's support)."""

    metadata: Any = None
    request_id: str | None = None


class AttachmentsResponse(OutputModel):
    """Answer of `POST /billing/attachments/{id}`."""

    message: str = ""
    files_uploaded: list[str] = Field(default_factory=list)
    files_failed: list[Any] = Field(default_factory=list)


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(BaseModel, Generic[ItemT]):
    """One page of a list endpoint."""

    items: list[ItemT]
    next_page_token: str | None = None
    count: int | None = None
