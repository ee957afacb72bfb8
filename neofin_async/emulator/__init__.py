"""A local, stateful Neofin API: for tests, notebooks, demos and benchmarks.

In-process, no socket (webhooks need `async with emulator:` or `await emulator.tick()`)::

    from neofin_async.emulator import Emulator

    emulator = Emulator()                  # settings: Emulator(processing_delay=3600, ...)
    client = emulator.client()             # a NeofinClient wired to it, with its test keys
    await client.billings.upsert([...])    # 202; visible at once (processing_delay=0)

Served over HTTP with uvicorn (`pip install 'neofin-async[emulator]'`)::

    python -m neofin_async.emulator --port 8765 --processing-delay 5 --fail-rate 0.01
    neofin-async emulator --lost-rate 0.05      # the same options; --openapi prints its OpenAPI

    NeofinClient("emulator-api-key", "emulator-secret-key", base_url="http://127.0.0.1:8765")

Every documented route answers with compact JSON and the status codes below. Upserts are
queued and processed `processing_delay` seconds later (404 until then); billings go
processing -> pending -> overdue / paid / cancelled, with events and signed webhooks. Faults
(5xx, 429, latency, hangs, dropped connections, answers lost after processing) are drawn from
a seeded generator. Settings are the fields of `EmulatorConfig`; `FaultRule` for per-route
faults.

What to trust (sources in shared/neofin-api.md):

Evidenced (documentation or recorded production answers):
    202 {"message":"Billings successfully queued.","errors":{}} on POST /billing/ (D1, R1);
    400 {"message":"","errors":{"installment_type[0]":["Field not found."]}} for a missing
    field, keyed "<field>[<index>]" (R2); 404 {"message":"Billing not found.","errors":{}}
    while queued or unknown (R2); 403 "Missing Authentication Token" for unknown routes and
    methods (R8); the 50-item batch limit; the bodies of a billing (floats for integers, ""
    for unset money), of the list items, events and paid installments, and the list envelope
    {items, next_page_token, count} ending with a null token (D5-D17, D8, R2); "Billing
    successfully paid." / "canceled." / "NF successfully uploaded." / "Boleto successfully
    uploaded." (how-to pages D10, D12, D22, D23); the attachments answer (D21); cancelling
    only pending, overdue or error billings (D12); unknown billing fields accepted and
    ignored, a re-upserted cancelled billing staying cancelled (R1); the webhook payload
    (D28), headers, signature and retry schedule (R1, R12); x-amzn-requestid and
    x-amz-apigw-id headers (R2).
Guessed (ours, configurable where it matters):
    every field error text but "Field not found." ("Not a valid integer.", "Invalid
    CPF/CNPJ.", the bounds' texts); 400 "Invalid request body" for a body that is no JSON
    object; the answer to more than 50 items; the body of 403 "Invalid API Keys"; a batch
    with invalid items refused whole (`partial_failure`, only a one-item 400 was seen); the
    customer upsert answer, customer bodies (a third-party fixture) and "Customer not
    found."; 400 texts when paying, cancelling or reopening is refused; "Webhook
    successfully registered."; POST /billing/v2/paid and the reopen route (one integrator's
    notes); the billings-by-customer path; the page size and token format; 413 "Request Too
    Long" over 6 MiB, 429/503/504/500 gateway bodies; the bounds (amounts up to 2**53 - 1,
    dates up to 9000-01-01, 999 installments, 10,000-character text, JSON nesting 32); event
    texts; processing, registration and overdue timing (production processes on its own
    schedule, for one account once a day).
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
