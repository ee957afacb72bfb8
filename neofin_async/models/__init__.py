"""Pydantic models: inputs are validated strictly, outputs parsed leniently."""

from ._base import (
    ExtraFields,
    InputModel,
    OutputModel,
    encode_batch,
    field_errors,
    resolve_extra_fields,
    validate_item,
)
from ._types import centavos
from .inputs import BillingInput, BillingType, CustomerInput, InstallmentData, InstallmentType
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
    "ExtraFields",
    "InputModel",
    "Installment",
    "InstallmentBilling",
    "InstallmentData",
    "InstallmentType",
    "MessageResponse",
    "OutputModel",
    "Page",
    "Payment",
    "QueuedResponse",
    "centavos",
    "encode_batch",
    "field_errors",
    "resolve_extra_fields",
    "validate_item",
]
