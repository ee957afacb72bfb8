from .billings import Billings
from .customers import Customers
from .webhooks import Webhooks

__all__ = ["Billings", "Customers", "Webhooks"]
