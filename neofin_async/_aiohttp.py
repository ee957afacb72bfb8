"""The aiohttp backend: an `httpx.AsyncClient` over aiohttp (httpx-aiohttp) for anyone holding
`client.http_client`, and a raw aiohttp exchange for the client's own requests.

httpx's client layer on top of aiohttp (building `httpx.Request`/`Response` objects, auth and
redirect handling, cookie extraction, wrapping the stream) costs more per request than
aiohttp itself; the pipeline's requests skip it and go to the same aiohttp session, so both
share one connection pool. What the pipeline promises holds on this path too: redirects are
not followed, bodies are read up to `MAX_RESPONSE_BYTES` once decompressed, timeouts bound
each phase and the whole attempt, and failures become `APIConnectionError` (a refused
connection) or `APITimeoutError` without a `__context__`.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient
from yarl import URL

from ._constants import MAX_RESPONSE_BYTES
from ._exceptions import APIConnectionError, APITimeoutError
from ._exchange import Answer, connection_failed, overall_timeout, took_too_long

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""httpx's own default, for a client made without `limits` (ours always pass them)."""


class AiohttpClient(HttpxAiohttpClient):
    """The aiohttp backend's `httpx.AsyncClient`: httpx-aiohttp's, plus `raw_exchange`."""

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: str | tuple[str, str] | tuple[str, str, str] | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return _Transport(
            verify=verify, cert=cert, trust_env=trust_env, http1=http1, http2=http2, limits=limits
        )

    def raw_exchange(self, base_url: str, timeout: httpx.Timeout) -> AiohttpExchange | None:
        """An exchange sending straight through this client's aiohttp session, or None when
        httpx would route `base_url` elsewhere (a proxy from the environment)."""
        transport = self._transport_for_url(httpx.URL(base_url))
        if transport is not self._transport or not isinstance(transport, AiohttpTransport):
            return None
        return AiohttpExchange(transport, timeout)


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport, whose session leaves retrying to the `RetryPolicy`."""

    def get_client(self) -> aiohttp.ClientSession:
        session = super().get_client()
        # aiohttp resends a GET or PUT once, unasked, when a connection drops: that would make
        # `max_retries=0` two attempts and retry uploads that must not be. (A private flag,
        # the one aiohttp's own test client clears.)
        session._retry_connection = False
        return session


class AiohttpExchange:
    """One request through an aiohttp session (the one httpx-aiohttp's transport created)."""

    def __init__(self, transport: AiohttpTransport, timeout: httpx.Timeout) -> None:
        self.transport = transport
        self.deadline = overall_timeout(timeout)
        # As httpx-aiohttp maps them: aiohttp's `connect` covers waiting for a pooled
        # connection too; `total` bounds the whole attempt, body included.
        self.timeout = aiohttp.ClientTimeout(
            total=self.deadline,
            connect=timeout.pool,
            sock_connect=timeout.connect,
            sock_read=timeout.read,
        )

    def session(self) -> aiohttp.ClientSession:
        """The transport's session, created on first use (it needs a running loop)."""
        session = self.transport.client
        if not isinstance(session, aiohttp.ClientSession):
            session = self.transport.client = self.transport.get_client()
        return session

    async def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> Answer:
        failure: APIConnectionError
        try:
            async with self.session().request(
                method,
                _encoded(url) if params is None else _encoded_with(url, params),
                headers=headers,
                data=content,
                allow_redirects=False,
                timeout=self.timeout,
            ) as response:
                return response.status, httpx.Headers(response.raw_headers), await _body(response)
        except aiohttp.ServerTimeoutError as exc:  # a phase's timeout (connect, read)
            failure = APITimeoutError(f"Request timed out ({type(exc).__name__})")
        except (TimeoutError, asyncio.TimeoutError):  # the whole attempt's (distinct on 3.10)
            failure = took_too_long(self.deadline)
        except aiohttp.ClientError as exc:
            failure = connection_failed(type(exc).__name__, exc)
        # Raised here, outside the except block: no __context__ holding the request.
        raise failure


async def _body(response: aiohttp.ClientResponse) -> bytes | None:
    """The (decompressed) body, or None past `MAX_RESPONSE_BYTES`."""
    chunks, size = [], 0
    while chunk := await response.content.readany():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@functools.lru_cache(maxsize=256)
def _encoded(url: str) -> URL:
    """`url` encoded as httpx encodes it, for aiohttp to send as is: yarl's own requoting
    would turn a `%2E` segment back into a dot segment and drop it, changing the route."""
    return URL(str(httpx.URL(url)), encoded=True)


def _encoded_with(url: str, params: Mapping[str, str]) -> URL:
    return URL(str(httpx.URL(url, params=params)), encoded=True)
