"""neofin_async: an asyncio client for the Neofin billing API, a bulk engine and an emulator."""

from ._client import NeofinClient
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidItemError,
    NeofinError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from ._pagination import AsyncPager
from ._retry import RetryEvent, RetryPolicy
from ._version import __version__
from .models import (
    AttachmentsResponse,
    Billing,
    BillingEvent,
    BillingInput,
    BillingType,
    Customer,
    CustomerInput,
    Installment,
    InstallmentType,
    MessageResponse,
    Page,
    Payment,
    QueuedResponse,
    centavos,
)
from .resources import WebhookTopic

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncPager",
    "AttachmentsResponse",
    "AuthenticationError",
    "BadRequestError",
    "Billing",
    "BillingEvent",
    "BillingInput",
    "BillingType",
    "ConfigurationError",
    "Customer",
    "CustomerInput",
    "Installment",
    "InstallmentType",
    "InvalidItemError",
    "MessageResponse",
    "NeofinClient",
    "NeofinError",
    "NotFoundError",
    "Page",
    "Payment",
    "QueuedResponse",
    "RateLimitError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "WebhookTopic",
    "__version__",
    "centavos",
]
