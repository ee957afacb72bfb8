"""Pydantic models: inputs are validated strictly, outputs parsed leniently."""

from ._base import InputModel, OutputModel, encode_batch, field_errors, validate_item
from ._types import centavos
from .inputs import BillingInput, BillingType, CustomerInput, InstallmentType
from .outputs import (
    AttachmentsResponse,
    Billing,
    BillingEvent,
    Customer,
    Installment,
    InstallmentBilling,
    MessageResponse,
    Page,
    Payment,
    QueuedResponse,
)

__all__ = [
    "AttachmentsResponse",
    "Billing",
    "BillingEvent",
    "BillingInput",
    "BillingType",
    "Customer",
    "CustomerInput",
    "InputModel",
    "Installment",
    "InstallmentBilling",
    "InstallmentType",
    "MessageResponse",
    "OutputModel",
    "Page",
    "Payment",
    "QueuedResponse",
    "centavos",
    "encode_batch",
    "field_errors",
    "validate_item",
]
