"""A local, stateful Neofin API: for tests, notebooks, demos and benchmarks.

In-process, no socket (webhooks need `async with emulator:` or `await emulator.tick()`)::

    from neofin_async.emulator import Emulator

    emulator = Emulator()                  # settings: Emulator(processing_delay=3600, ...)
    client = emulator.client()             # a NeofinClient wired to it, with its test keys
    await client.billings.upsert([...])    # 202; visible at once (processing_delay=0)

Served over HTTP with uvicorn (`pip install 'neofin-async[emulator]'`)::

    python -m neofin_async.emulator --port 8765 --processing-delay 5 --fail-rate 0.01

    NeofinClient("emulator-api-key", "emulator-secret-key", base_url="http://127.0.0.1:8765")

Every documented route answers with the documented status codes and compact JSON bodies.
Upserts are queued and processed `processing_delay` seconds later (404 until then); billings
go processing -> pending -> overdue / paid / cancelled, with events and signed webhooks.
Faults (5xx, 429, latency, hangs, dropped connections, answers lost after processing) are
drawn from a seeded generator.
Settings are the fields of `EmulatorConfig`; see `FaultRule` for per-route faults.
"""

from .._emulation import (
    IN_PROCESS_BASE_URL,
    Clock,
    ConnectionDropped,
    EmulatorServer,
    EmulatorTransport,
    ErrorRecord,
    FaultRule,
    ManualClock,
    RequestRecord,
)
from ._app import Emulator, create_app
from ._config import DEFAULT_API_KEY, DEFAULT_PORT, DEFAULT_SECRET_KEY, EmulatorConfig
from ._server import main, serve
from ._state import BillingRecord, CustomerRecord, Payment
from ._webhooks import DeliveryAttempt, WebhookDelivery, WebhookRegistration

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_PORT",
    "DEFAULT_SECRET_KEY",
    "IN_PROCESS_BASE_URL",
    "BillingRecord",
    "Clock",
    "ConnectionDropped",
    "CustomerRecord",
    "DeliveryAttempt",
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "EmulatorTransport",
    "ErrorRecord",
    "FaultRule",
    "ManualClock",
    "Payment",
    "RequestRecord",
    "WebhookDelivery",
    "WebhookRegistration",
    "create_app",
    "main",
    "serve",
]
