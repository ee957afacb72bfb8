"""FastAPI: the client's lifespan and dependency, and the webhook router, through the ASGI app.

No `from __future__ import annotations` here: FastAPI must see the local `Annotated` aliases.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import httpx
import pytest
import respx
from conftest import API_KEY, BASE_URL, SECRET_KEY
from fastapi import Depends, FastAPI

import neofin_async as nf
from neofin_async import webhooks as wh
from neofin_async.contrib.fastapi import NeofinIntegration, webhook_router
from neofin_async.webhooks import WebhookEvent, WebhookVerifier, sign, signed_headers

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
PAYLOAD = {"payment_number": "11111999999999-1", "payment_amount": "15000", "due_date": 1681959600}


def delivery(
    payload: Any = PAYLOAD,
    *,
    topic: str = "payments/paid",
    webhook_id: str = "wh-1",
    sent_at: datetime = NOW,
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(payload).encode()
    return raw, signed_headers(raw, SECRET_KEY, topic=topic, webhook_id=webhook_id, sent_at=sent_at)


class Recorder:
    """A webhook handler that records events, and fails or blocks on demand."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []
        self.fail = False
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self, event: WebhookEvent) -> None:
        self.events.append(event)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("database is down")


@pytest.fixture
def handler() -> Recorder:
    return Recorder()


@pytest.fixture
def webhook_app(handler: Recorder) -> FastAPI:
    app = FastAPI()
    verifier = WebhookVerifier(SECRET_KEY, now=lambda: NOW)
    app.include_router(webhook_router(handler, verifier=verifier))
    return app


@pytest.fixture
async def http(webhook_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=webhook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def post(
    http: httpx.AsyncClient, raw: bytes, headers: dict[str, str], path: str = "/neofin/webhooks"
) -> httpx.Response:
    return await http.post(path, content=raw, headers=headers)


# -- the webhook router --------------------------------------------------------------------


async def test_a_signed_delivery_reaches_the_handler(
    http: httpx.AsyncClient, handler: Recorder
) -> None:
    response = await post(http, *delivery())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    [event] = handler.events
    assert isinstance(event, wh.PaymentPaid)
    assert event.data.payment_amount == 15000
    assert event.webhook_id == "wh-1"


async def test_a_duplicate_answers_200_without_calling_the_handler(
    http: httpx.AsyncClient, handler: Recorder
) -> None:
    assert (await post(http, *delivery())).status_code == 200
    response = await post(http, *delivery())
    assert response.status_code == 200
    assert response.json() == {"status": "duplicate"}
    assert len(handler.events) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw, h: (raw + b"\n", h),
        lambda raw, h: (raw, {**h, wh.SIGNATURE_HEADER: sign(raw, "not-the-secret")}),
        lambda raw, h: (raw, {k: v for k, v in h.items() if k != wh.SIGNATURE_HEADER}),
    ],
)
async def test_bad_signature_is_401(
    http: httpx.AsyncClient, handler: Recorder, tamper: Any
) -> None:
    response = await post(http, *tamper(*delivery()))
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid signature"}
    assert handler.events == []


async def test_missing_headers_are_400_and_named(
    http: httpx.AsyncClient, handler: Recorder
) -> None:
    raw, headers = delivery()
    del headers[wh.TOPIC_HEADER], headers[wh.WEBHOOK_ID_HEADER]
    response = await post(http, raw, headers)
    assert response.status_code == 400
    assert wh.TOPIC_HEADER in response.json()["detail"]
    assert wh.WEBHOOK_ID_HEADER in response.json()["detail"]
    assert handler.events == []


async def test_malformed_body_is_400(http: httpx.AsyncClient, handler: Recorder) -> None:
    raw = b"{not json"
    _, headers = delivery()
    headers[wh.SIGNATURE_HEADER] = sign(raw, SECRET_KEY)
    response = await post(http, raw, headers)
    assert response.status_code == 400
    assert "not JSON" in response.json()["detail"]
    assert handler.events == []


async def test_stale_delivery_is_400(http: httpx.AsyncClient, handler: Recorder) -> None:
    response = await post(http, *delivery(sent_at=NOW - timedelta(hours=1)))
    assert response.status_code == 400
    assert wh.DATETIME_HEADER in response.json()["detail"]
    assert handler.events == []


async def test_handler_failure_is_500_and_the_retry_is_handled(
    http: httpx.AsyncClient, handler: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    handler.fail = True
    with caplog.at_level(logging.ERROR, logger="neofin_async.webhooks"):
        response = await post(http, *delivery())
    assert response.status_code == 500
    assert response.json() == {"detail": "webhook handler failed"}
    [record] = caplog.records
    assert "payments/paid wh-1" in record.getMessage()
    assert record.exc_info is not None and "database is down" in str(record.exc_info[1])

    handler.fail = False
    assert (await post(http, *delivery())).status_code == 200
    assert len(handler.events) == 2


async def test_a_copy_arriving_while_the_first_is_handled_is_409(
    http: httpx.AsyncClient, handler: Recorder
) -> None:
    handler.gate = asyncio.Event()
    first = asyncio.create_task(post(http, *delivery()))
    await handler.entered.wait()
    second = await post(http, *delivery())
    assert second.status_code == 409
    handler.gate.set()
    assert (await first).status_code == 200
    assert len(handler.events) == 1


async def test_oversized_body_is_413(handler: Recorder) -> None:
    app = FastAPI()
    app.include_router(webhook_router(handler, secret_key=SECRET_KEY, max_body_size=64))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        raw, headers = delivery({"description": "x" * 100})
        assert (await post(http, raw, headers)).status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length
            for _ in range(10):
                yield b"x" * 10

        response = await http.post("/neofin/webhooks", content=chunks(), headers=headers)
        assert response.status_code == 413
    assert handler.events == []


async def test_secret_key_from_the_environment_and_a_custom_path(
    handler: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(nf.ConfigurationError, match="NEOFIN_SECRET_KEY"):
        webhook_router(handler)
    monkeypatch.setenv("NEOFIN_SECRET_KEY", SECRET_KEY)
    app = FastAPI()
    app.include_router(webhook_router(handler, path="/hooks", tolerance=None), prefix="/api")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await post(http, *delivery(sent_at=NOW - timedelta(days=1)), path="/api/hooks")
    assert response.status_code == 200
    assert len(handler.events) == 1


async def test_the_route_is_post_only_and_hidden_from_the_schema(
    http: httpx.AsyncClient, webhook_app: FastAPI
) -> None:
    assert (await http.get("/neofin/webhooks")).status_code == 405
    assert "/neofin/webhooks" not in webhook_app.openapi()["paths"]


# -- the client's lifespan and dependency --------------------------------------------------


def client_app(neofin: NeofinIntegration, **app_options: Any) -> FastAPI:
    app = FastAPI(**app_options)
    NeofinDep = Annotated[nf.NeofinClient, Depends(neofin.client)]

    @app.get("/billing/{identifier}")
    async def billing(identifier: str, client: NeofinDep) -> dict[str, Any]:
        found = await client.billings.retrieve(identifier)
        return {"status": found.status, "client": id(client)}

    return app


@pytest.fixture
def neofin_api() -> AsyncIterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get("/billing/integration/order-1").respond(
            200, json={"integration_identifier": "order-1", "status": "pending"}
        )
        yield router


async def test_one_client_per_app_opened_and_closed_by_the_lifespan(
    neofin_api: respx.MockRouter,
) -> None:
    neofin = NeofinIntegration(api_key=API_KEY, secret_key=SECRET_KEY)
    app = client_app(neofin, lifespan=neofin.lifespan)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        client = app.state.neofin_client
        assert isinstance(client, nf.NeofinClient)
        first = (await http.get("/billing/order-1")).json()
        second = (await http.get("/billing/order-1")).json()
    assert first == second == {"status": "pending", "client": id(client)}
    assert client.http_client.is_closed
    assert not hasattr(app.state, "neofin_client")


async def test_composes_with_your_own_lifespan(neofin_api: respx.MockRouter) -> None:
    neofin = NeofinIntegration(lambda: nf.NeofinClient(API_KEY, SECRET_KEY))
    steps: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        steps.append("my startup")
        async with neofin.lifespan(app):
            steps.append("client open")
            yield
        steps.append("my shutdown")

    app = client_app(neofin, lifespan=lifespan)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        assert (await http.get("/billing/order-1")).json()["status"] == "pending"
    assert steps == ["my startup", "client open", "my shutdown"]


async def test_keys_are_read_at_startup(
    neofin_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    neofin = NeofinIntegration()  # no keys yet: nothing happens until the app starts
    app = client_app(neofin, lifespan=neofin.lifespan)
    with pytest.raises(nf.ConfigurationError):
        async with app.router.lifespan_context(app):
            pass
    monkeypatch.setenv("NEOFIN_API_KEY", API_KEY)
    monkeypatch.setenv("NEOFIN_SECRET_KEY", SECRET_KEY)
    async with app.router.lifespan_context(app):
        assert isinstance(app.state.neofin_client, nf.NeofinClient)


async def test_the_dependency_explains_a_missing_lifespan() -> None:
    neofin = NeofinIntegration(api_key=API_KEY, secret_key=SECRET_KEY)
    app = client_app(neofin)  # lifespan forgotten
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with pytest.raises(RuntimeError, match=r"lifespan=neofin\.lifespan"):
            await http.get("/billing/order-1")


async def test_the_dependency_can_be_overridden_in_tests() -> None:
    neofin = NeofinIntegration(api_key=API_KEY, secret_key=SECRET_KEY)
    app = client_app(neofin)

    def emulator_client() -> nf.NeofinClient:
        mock = httpx.MockTransport(
            lambda request: httpx.Response(200, json={"status": "paid"}, request=request)
        )
        return nf.NeofinClient(API_KEY, SECRET_KEY, http_client=httpx.AsyncClient(transport=mock))

    app.dependency_overrides[neofin.client] = emulator_client
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/billing/order-1")).json()["status"] == "paid"


def test_factory_or_options_not_both() -> None:
    with pytest.raises(TypeError):
        NeofinIntegration(nf.NeofinClient, api_key=API_KEY)
