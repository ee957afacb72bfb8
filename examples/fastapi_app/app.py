"""A FastAPI backend that sends billings to Neofin and receives its webhooks.

    POST /billings          one billing (validated by `BillingInput`); answers Neofin's 202
    POST /billings/bulk     a list of billings through the bulk engine; answers the report
    POST /neofin/webhooks   Neofin's deliveries: signature checked, duplicates dropped
    GET  /events            the webhook events received so far

Try it against the emulator (`pip install -e '.[fastapi,emulator]'`), in two terminals::

    python -m neofin_async.emulator --port 8765

    export NEOFIN_API_KEY=emulator-api-key NEOFIN_SECRET_KEY=emulator-secret-key
    export NEOFIN_BASE_URL=http://127.0.0.1:8765
    uvicorn app:create_app --factory --app-dir examples/fastapi_app --port 8000

Then ask the emulator to deliver `payments/created` to the app, and create a billing::

    curl -X POST 127.0.0.1:8765/webhook -H 'api-key: emulator-api-key' \\
      -H 'secret-key: emulator-secret-key' \\
      -d '{"topic": "payments/created", "destination": "http://127.0.0.1:8000/neofin/webhooks"}'
    curl -X POST 127.0.0.1:8000/billings -H 'content-type: application/json' -d '{
      "integration_identifier": "order-1001", "customer_document": "529.982.247-25",
      "amount": 15000, "due_date": "2030-01-10", "installment_type": "monthly",
      "installments": 1, "type": "bolepix"}'
    curl 127.0.0.1:8000/events

Against Neofin, set your own keys (and `NEOFIN_ENVIRONMENT=production` when ready) instead of
`NEOFIN_BASE_URL`, and register `https://<your host>/neofin/webhooks` once per topic.
The test (tests/test_examples.py) runs this app against the in-process emulator.
"""

# No `from __future__ import annotations`: FastAPI must see the local `Annotated` alias.
from typing import Annotated, Any

from fastapi import Depends, FastAPI

import neofin_async as nf
from neofin_async.contrib.fastapi import NeofinIntegration, webhook_router
from neofin_async.webhooks import PaymentEvent, WebhookEvent


class EventLog:
    """Where the webhook handler records events; a real app writes to its database.

    The router drops copies of a delivery it has handled, but Neofin may still send an event
    twice (e.g. to several workers): make the real handler idempotent, keyed for example on
    `payment_number` + `payment_status`.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def record(self, event: WebhookEvent) -> None:
        entry: dict[str, Any] = {"topic": event.topic, "webhook_id": event.webhook_id}
        if isinstance(event, PaymentEvent):  # every payments/* topic
            entry["integration_identifier"] = event.data.integration_identifier
            entry["payment_status"] = event.data.payment_status
        self.events.append(entry)


def create_app(
    neofin: NeofinIntegration | None = None, *, webhook_secret_key: str | None = None
) -> FastAPI:
    """The app. `neofin` defaults to a client configured from the environment (`NEOFIN_*`);
    webhooks are verified with `webhook_secret_key`, default `NEOFIN_SECRET_KEY`."""
    neofin = neofin or NeofinIntegration()
    log = EventLog()
    app = FastAPI(title="Neofin example", lifespan=neofin.lifespan)
    app.state.event_log = log
    app.include_router(webhook_router(log.record, secret_key=webhook_secret_key))
    Neofin = Annotated[nf.NeofinClient, Depends(neofin.client)]

    @app.post("/billings", status_code=202)
    async def upsert_billing(billing: nf.BillingInput, client: Neofin) -> nf.QueuedResponse:
        """Queue one billing at Neofin (202 means queued: a webhook tells when it exists)."""
        return await client.billings.upsert(billing)

    @app.post("/billings/bulk")
    async def upsert_billings(items: list[dict[str, Any]], client: Neofin) -> dict[str, Any]:
        """Any number of billings; invalid ones are reported per item, never sent."""
        result = await client.billings.bulk_upsert(items, concurrency=4)
        return result.to_dict()

    @app.get("/events")
    async def events() -> list[dict[str, Any]]:
        return log.events

    return app
