"""The `httpx.AsyncClient` we own (httpx's connection pool, or aiohttp's via httpx-aiohttp),
and which `Exchange` sends a pipeline's requests through a given client."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import anyio
import httpx

from ._constants import MAX_RESPONSE_BYTES
from ._exceptions import APIConnectionError, APITimeoutError, ConfigurationError
from ._exchange import Answer, Exchange, connection_failed, overall_timeout, took_too_long

HTTP_BACKENDS = ("httpx", "aiohttp")


def create_http_client(backend: str, *, max_connections: int) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose pool opens up to `max_connections` connections and keeps
    them all alive between requests.

    `"httpx"` is httpx's default transport (httpcore). `"aiohttp"` sends through aiohttp's
    connector (the `neofin-async[aiohttp]` extra); the client's own requests bypass httpx's
    client layer (see `neofin_async._aiohttp`). httpcore's pool polls every idle connection
    on each request; keeping at most 20 idle was cheaper with the engine of early issue 13,
    which put many requests into the pool at once, but no longer is: at concurrency 64 and
    50 ms per request over TLS, 0.19 -> 0.25 of the theoretical rate and 80 -> 62 us of CPU
    per item with every connection kept (equal over plain HTTP; benchmarks/README.md)."""
    if max_connections < 1:
        raise ConfigurationError(f"max_connections must be at least 1, got {max_connections}")
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if backend == "httpx":
        return httpx.AsyncClient(limits=limits)
    if backend == "aiohttp":
        try:
            import httpx_aiohttp  # noqa: F401  (the extra, checked where its absence is explained)
        except ImportError:
            raise ConfigurationError(
                "http_backend='aiohttp' needs the aiohttp extra: pip install neofin-async[aiohttp]"
            ) from None
        from ._aiohttp import AiohttpClient

        return AiohttpClient(limits=limits)
    raise ConfigurationError(
        f"Unknown http_backend {backend!r}; use one of {', '.join(map(repr, HTTP_BACKENDS))}"
    )


def create_exchange(http: httpx.AsyncClient, base_url: str, timeout: httpx.Timeout) -> Exchange:
    """How requests to `base_url` go through `http`: aiohttp directly for the aiohttp backend's
    own client (when no proxy applies), httpx's `send` for any other client."""
    raw = getattr(http, "raw_exchange", None)  # only neofin_async._aiohttp.AiohttpClient has it
    exchange: Exchange | None = raw(base_url, timeout) if raw is not None else None
    return exchange or HttpxExchange(http, timeout)


class HttpxExchange:
    """Through an `httpx.AsyncClient`: its hooks, auth, cookies and transport all apply; the
    whole attempt is bounded by the longest part of `timeout`."""

    def __init__(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> None:
        self.http = http
        self.timeout = timeout
        self.deadline = overall_timeout(timeout)

    async def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> Answer:
        request = self.http.build_request(
            method, url, content=content, params=params, headers=headers, timeout=self.timeout
        )
        failure: APIConnectionError
        try:
            with anyio.fail_after(self.deadline):
                return await self._exchange(request)
        except TimeoutError:
            failure = took_too_long(self.deadline)
        except httpx.TransportError as exc:
            failure = connection_error(exc)
        # Raised here, outside the except block: no __context__ holding the request.
        raise failure

    async def _exchange(self, request: httpx.Request) -> Answer:
        response = await self.http.send(request, stream=True, follow_redirects=False)
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    return response.status_code, response.headers, None
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response.status_code, response.headers, b"".join(chunks)


def connection_error(exc: httpx.TransportError) -> APIConnectionError:
    """`APITimeoutError` for timeouts, `APIConnectionError` for the rest, by what really
    happened: httpx-aiohttp reports a refused connection as `ConnectTimeout`."""
    cause = exc.__cause__
    from_aiohttp = cause is not None and type(cause).__module__.startswith("aiohttp")
    if isinstance(exc, httpx.TimeoutException) and not (
        from_aiohttp and not isinstance(cause, (TimeoutError, asyncio.TimeoutError))
    ):
        return APITimeoutError(f"Request timed out ({type(exc).__name__})")
    return connection_failed(type(cause).__name__ if from_aiohttp else type(exc).__name__, exc)
