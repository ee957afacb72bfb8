"""A minimal, fast HTTP/1.1 server that answers every request like the upsert endpoint.

Raw asyncio, no framework: the point is a server that is never the bottleneck, so the client's
cost is what is measured. It answers `202 {"message": "Billings successfully queued.", ...}`,
optionally after `--latency` seconds, and optionally injects faults (seeded): a fraction of
requests answered 500, another answered 429 with `Retry-After`. It counts what it saw:
`GET /stats` returns requests per status and the items it accepted (counted in 202-answered
bodies, and as distinct identifiers with `--track`); `GET /reset` zeroes the counts.

Run: `python -m benchmarks.sink --port 0 [--latency 0.05] [--fail-rate 0.08] [--429-rate 0.02]
[--tls CERT KEY]`; it prints `READY <port>` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import ssl
from collections import Counter
from dataclasses import dataclass, field

_ACCEPTED = b'{"message":"Billings successfully queued.","errors":{}}'
_SERVER_ERROR = b'{"message":"Internal server error"}'
_TOO_MANY = b'{"message":"Too Many Requests"}'
_ITEM_KEY = b'"integration_identifier"'
_IDENTIFIER = re.compile(rb'"integration_identifier":\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class Faults:
    fail_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: str = "1"
    seed: int = 0


@dataclass
class Stats:
    statuses: Counter[int] = field(default_factory=Counter)
    accepted_items: int = 0
    identifiers: set[bytes] | None = None

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "requests": sum(self.statuses.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "accepted_items": self.accepted_items,
                "distinct_accepted": None if self.identifiers is None else len(self.identifiers),
            }
        ).encode()


def _response(status: int, reason: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


class Sink:
    def __init__(self, latency: float, faults: Faults, track: bool) -> None:
        self.latency = latency
        self.faults = faults
        self.track = track
        self.random = random.Random(faults.seed)
        self.stats = Stats(identifiers=set() if track else None)
        self.accepted = _response(202, "Accepted", _ACCEPTED)
        self.server_error = _response(500, "Internal Server Error", _SERVER_ERROR)
        self.too_many = _response(
            429, "Too Many Requests", _TOO_MANY, f"retry-after: {faults.retry_after}\r\n"
        )

    def answer(self, head: bytes, body: bytes) -> bytes:
        if head.startswith(b"GET /stats"):
            return _response(200, "OK", self.stats.as_json())
        if head.startswith(b"GET /reset"):
            self.stats = Stats(identifiers=set() if self.track else None)
            self.random = random.Random(self.faults.seed)
            return _response(200, "OK", b"{}")
        roll = self.random.random() if self.faults.fail_rate or self.faults.rate_limit_rate else 1
        if roll < self.faults.fail_rate:
            self.stats.statuses[500] += 1
            return self.server_error
        if roll < self.faults.fail_rate + self.faults.rate_limit_rate:
            self.stats.statuses[429] += 1
            return self.too_many
        self.stats.statuses[202] += 1
        self.stats.accepted_items += body.count(_ITEM_KEY)
        if self.stats.identifiers is not None:
            self.stats.identifiers.update(_IDENTIFIER.findall(body))
        return self.accepted


class _Protocol(asyncio.Protocol):
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            length = _content_length(head)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            self._reply(self.sink.answer(head, body))

    def _reply(self, response: bytes) -> None:
        assert self.transport is not None
        if self.sink.latency:
            asyncio.get_running_loop().call_later(self.sink.latency, self._write, response)
        else:
            self.transport.write(response)

    def _write(self, response: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _content_length(head: bytes) -> int:
    lower = head.lower()
    start = lower.find(b"\r\ncontent-length:")
    if start < 0:
        return 0
    start += len(b"\r\ncontent-length:")
    stop = lower.find(b"\r\n", start)
    return int(lower[start : stop if stop >= 0 else None])


async def serve(port: int, sink: Sink, tls: ssl.SSLContext | None = None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Protocol(sink), "127.0.0.1", port, backlog=1024, ssl=tls
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="fraction answered 500")
    parser.add_argument("--429-rate", dest="rate_limit_rate", type=float, default=0.0)
    parser.add_argument("--retry-after", default="1", help="Retry-After of the 429 answers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--track", action="store_true", help="count distinct identifiers")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS")
    args = parser.parse_args()
    faults = Faults(args.fail_rate, args.rate_limit_rate, args.retry_after, args.seed)
    tls = None
    if args.tls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(*args.tls)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, Sink(args.latency, faults, args.track), tls))


if __name__ == "__main__":
    main()
