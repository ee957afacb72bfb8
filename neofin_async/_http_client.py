"""The `httpx.AsyncClient` we own: httpx's connection pool, or aiohttp's via httpx-aiohttp."""

from __future__ import annotations

import httpx

from ._exceptions import ConfigurationError

HTTP_BACKENDS = ("httpx", "aiohttp")


def create_http_client(backend: str, *, max_connections: int) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose pool keeps up to `max_connections` connections open.

    `"httpx"` is httpx's default transport (httpcore); `"aiohttp"` sends through aiohttp's
    connector (the `neofin-async[aiohttp]` extra), keeping httpx's API: 1.5-2.5x the bulk
    throughput from concurrency 4 up (benchmarks/README.md). Size the pool at least as large as
    the bulk `concurrency` you use: requests beyond it wait for a free connection."""
    if max_connections < 1:
        raise ConfigurationError(f"max_connections must be at least 1, got {max_connections}")
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if backend == "httpx":
        return httpx.AsyncClient(limits=limits)
    if backend == "aiohttp":
        try:
            from httpx_aiohttp import HttpxAiohttpClient
        except ImportError:
            raise ConfigurationError(
                "http_backend='aiohttp' needs the aiohttp extra: pip install neofin-async[aiohttp]"
            ) from None
        return HttpxAiohttpClient(limits=limits)
    raise ConfigurationError(
        f"Unknown http_backend {backend!r}; use one of {', '.join(map(repr, HTTP_BACKENDS))}"
    )
