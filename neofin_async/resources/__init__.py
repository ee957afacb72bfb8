"""Resources: thin, one method per endpoint."""

from .billings import Billings
from .customers import Customers
from .webhooks import Webhooks, WebhookTopic

__all__ = ["Billings", "Customers", "WebhookTopic", "Webhooks"]
