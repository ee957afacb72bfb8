"""FastAPI integration: one `NeofinClient` per application, and a webhook receiver.

    neofin = NeofinIntegration()                   # keys from NEOFIN_API_KEY / NEOFIN_SECRET_KEY
    app = FastAPI(lifespan=neofin.lifespan)
    NeofinDep = Annotated[nf.NeofinClient, Depends(neofin.client)]

    async def on_event(event: WebhookEvent) -> None: ...
    app.include_router(webhook_router(on_event))   # POST /neofin/webhooks

Needs the `fastapi` extra: `pip install 'neofin-async[fastapi]'`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

try:
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse
    from starlette.applications import Starlette
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "neofin_async.contrib.fastapi needs FastAPI: pip install 'neofin-async[fastapi]'"
    ) from exc

from .._client import NeofinClient
from .._constants import WEBHOOK_MAX_BODY_SIZE, WEBHOOK_PATH, WEBHOOK_TOLERANCE
from ..webhooks import (
    Deduplicator,
    DuplicateWebhookError,
    InvalidSignatureError,
    WebhookError,
    WebhookEvent,
    WebhookVerifier,
)

__all__ = ["NeofinIntegration", "WebhookHandler", "webhook_router"]


WebhookHandler = Callable[[WebhookEvent], Awaitable[object]]

logger = logging.getLogger("neofin_async.webhooks")


class NeofinIntegration:
    """One `NeofinClient` per application, opened and closed by the app's lifespan.

    Pass `NeofinClient` options (`api_key=`, `base_url=`, ...) or a `factory` building the
    client; either runs at startup. Use `lifespan` as the app's lifespan, or nest it in
    yours (`async with neofin.lifespan(app): yield`), and inject `Depends(neofin.client)`.
    Several integrations can share an app under different `state_key`s.
    """

    def __init__(
        self,
        factory: Callable[[], NeofinClient] | None = None,
        *,
        state_key: str = "neofin_client",
        **client_options: Any,
    ) -> None:
        if factory is not None and client_options:
            raise TypeError("pass either a factory or NeofinClient options, not both")
        self._factory = factory or functools.partial(NeofinClient, **client_options)
        self.state_key = state_key

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Open the client, keep it on `app.state` while the app runs, close it after."""
        async with self._factory() as client:
            setattr(app.state, self.state_key, client)
            try:
                yield
            finally:
                delattr(app.state, self.state_key)

    def client(self, request: Request) -> NeofinClient:
        """The dependency: `client: Annotated[NeofinClient, Depends(neofin.client)]`."""
        client = getattr(request.app.state, self.state_key, None)
        if not isinstance(client, NeofinClient):
            raise RuntimeError(
                "No Neofin client on this app: create it with FastAPI(lifespan=neofin.lifespan) "
                "or enter `neofin.lifespan(app)` in your own lifespan."
            )
        return client


class _HandlerFailed(Exception):
    def __init__(self, event: WebhookEvent) -> None:
        self.event = event


def webhook_router(
    handler: WebhookHandler,
    *,
    secret_key: str | None = None,
    path: str = WEBHOOK_PATH,
    tolerance: float | timedelta | None = WEBHOOK_TOLERANCE,
    dedupe: Deduplicator | bool = True,
    verifier: WebhookVerifier | None = None,
    max_body_size: int = WEBHOOK_MAX_BODY_SIZE,
    include_in_schema: bool = False,
) -> APIRouter:
    """A router receiving Neofin webhooks at `POST path` and awaiting `handler(event)`.

    `secret_key` falls back to `NEOFIN_SECRET_KEY` (read now); `verifier` replaces
    `secret_key`, `tolerance` and `dedupe`. Answers:

    - 200 when the handler returned, and for a copy of a delivery already handled
      (the handler is not called again);
    - 401 for a missing or wrong signature; 400 for missing headers, a malformed body or a
      stale `X-Neofin-Datetime` (the signature covers only the body, so a stale time is a
      refused request, not an authentication failure); 413 above `max_body_size` bytes;
    - 409 for a copy arriving while the first is still being handled, 500 when the handler
      raised: Neofin retries both.

    The handler runs before the answer, so its failure can ask for a retry; Neofin waits
    10 s, so hand slow work to your own queue.
    """
    verifier = verifier or WebhookVerifier(secret_key, tolerance=tolerance, dedupe=dedupe)

    async def receive_neofin_webhook(request: Request) -> JSONResponse:
        body = await _read_body(request, max_body_size)
        if body is None:
            return _answer(413, "request body too large")
        try:
            async with verifier.receive(body, request.headers) as event:
                try:
                    await handler(event)
                except Exception as exc:
                    raise _HandlerFailed(event) from exc
        except _HandlerFailed as failure:
            logger.error(
                "webhook handler failed for %s %s",
                failure.event.topic,
                failure.event.webhook_id,
                exc_info=failure.__cause__,
            )
            return _answer(500, "webhook handler failed")
        except DuplicateWebhookError as exc:
            if exc.in_flight:
                return _answer(409, "delivery is being handled")
            return JSONResponse({"status": "duplicate"})
        except InvalidSignatureError:
            logger.info("webhook refused: invalid signature")
            return _answer(401, "invalid signature")
        except WebhookError as exc:
            logger.info("webhook refused: %s", exc)
            return _answer(400, str(exc))
        return JSONResponse({"status": "ok"})

    router = APIRouter()
    router.add_api_route(
        path,
        receive_neofin_webhook,
        methods=["POST"],
        include_in_schema=include_in_schema,
        name="neofin_webhook",
    )
    return router


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _answer(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)
