"""The topics a webhook destination can be registered for."""

from __future__ import annotations

from enum import Enum


class WebhookTopic(str, Enum):
    """A webhook topic: what happened to an installment (one delivery per installment)."""

    CREATED = "payments/created"
    """The billing was created (status pending)."""
    REGISTERED = "payments/registered"
    """Registered at the bank: the barcode and Pix QR code exist."""
    OVERDUE = "payments/overdue"
    PAID = "payments/paid"
    CANCELLED = "payments/cancelled"
