"""A respx router served over a real socket on 127.0.0.1, so that the tests written for the
httpx path (respx routes, side effects, recorded calls) also drive the raw aiohttp path.

What a route answers is written to the socket as it is (raw bytes: a gzip body stays
compressed). A side effect that is an httpx timeout makes the server stall until the client
gives up; any other httpx error drops the connection (the client sees it reset)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import respx


class RouterServer:
    def __init__(self, router: respx.MockRouter, base_url: str) -> None:
        self.router = router
        self.base_url = base_url
        self.handlers: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            while await self._answer(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.handlers.discard(task)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False once the connection is to be closed."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = [tuple(line.split(":", 1)) for line in lines if ":" in line]
        fields = {k.strip().lower(): v.strip() for k, v in headers}
        body = await reader.readexactly(int(fields.get("content-length", 0)))
        request = httpx.Request(
            method,
            self.base_url + target,
            headers=[(k.strip(), v.strip()) for k, v in headers],
            content=body,
        )
        try:
            response = await self.router.async_handler(request)
        except httpx.TimeoutException:
            await reader.read()  # stall until the client closes the connection
            return False
        except httpx.TransportError:
            writer.transport.abort()
            return False
        raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
        out = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
        out += [
            f"{k}: {v}"
            for k, v in response.headers.multi_items()
            if k not in ("content-length", "transfer-encoding", "connection")
        ]
        out.append(f"content-length: {len(raw)}")
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + raw)
        await writer.drain()
        return True


@contextlib.asynccontextmanager
async def serve_router(router: respx.MockRouter, base_url: str) -> AsyncIterator[str]:
    """Serve `router` (whose routes are written against `base_url`); yields the server's URL."""
    server = RouterServer(router, base_url)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    finally:
        listener.close()
        for task in list(server.handlers):
            task.cancel()
        await asyncio.gather(*server.handlers, return_exceptions=True)
