"""`EmulatorTransport`: httpx's ASGI transport, made to fail the way a socket does."""

from __future__ import annotations

import logging

import anyio
import httpx

from ._asgi import ASGIApp
from ._faults import ConnectionDropped

logger = logging.getLogger("neofin_async.emulation")


class EmulatorTransport(httpx.ASGITransport):
    """Send requests straight into an ASGI app, with what `httpx.ASGITransport` lacks for
    testing a client's retry logic: the request's read timeout is enforced
    (`httpx.ReadTimeout`), a connection the app drops raises `httpx.RemoteProtocolError`,
    and any other app exception becomes a plain 500, as a server would answer.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        root_path: str = "",
        client: tuple[str, int] = ("127.0.0.1", 123),
    ) -> None:
        super().__init__(app, raise_app_exceptions=True, root_path=root_path, client=client)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` into the app, failing as a socket would."""
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            with anyio.fail_after(timeout):
                return await super().handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout(
                "The emulator did not answer in time", request=request
            ) from None
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except Exception:
            logger.exception("ASGI app failed")
            return httpx.Response(
                500,
                headers={"content-type": "text/plain; charset=utf-8"},
                content=b"Internal Server Error",
                request=request,
            )
