"""Servers in their own process, so the client being measured has a core to itself."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from neofin_async.emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: where `python -m benchmarks.*` finds this package."""


@dataclass(frozen=True)
class Target:
    """Where to send, with which keys."""

    name: str
    url: str
    api_key: str = "bench-api-key"
    secret_key: str = "bench-secret-key"

    @property
    def headers(self) -> dict[str, str]:
        return {"api-key": self.api_key, "secret-key": self.secret_key}


@contextlib.contextmanager
def sink(
    *,
    latency: float = 0.0,
    fail_rate: float = 0.0,
    rate_limit_rate: float = 0.0,
    retry_after: str = "1",
    seed: int = 0,
    track: bool = False,
    tls: bool = False,
) -> Iterator[Target]:
    """The minimal fast server (benchmarks/sink.py); with `tls`, over HTTPS with a throwaway
    certificate that this process trusts (`SSL_CERT_FILE`) while the server runs."""
    args = [
        "--latency", str(latency), "--fail-rate", str(fail_rate),
        "--429-rate", str(rate_limit_rate), "--retry-after", retry_after, "--seed", str(seed),
    ]  # fmt: skip
    if track:
        args.append("--track")
    with contextlib.ExitStack() as stack:
        scheme = "http"
        if tls:
            cert, key = stack.enter_context(_certificate())
            args += ["--tls", cert, key]
            scheme = "https"
        command = [sys.executable, "-m", "benchmarks.sink", "--port", "0", *args]
        port = stack.enter_context(_process(command, r"^READY (\d+)"))
        yield Target("sink", f"{scheme}://127.0.0.1:{port}")


@contextlib.contextmanager
def _certificate() -> Iterator[tuple[str, str]]:
    """A self-signed RSA-2048 certificate for 127.0.0.1 (what an API's certificate is like),
    trusted by httpx and aiohttp in this process through `SSL_CERT_FILE`."""
    with tempfile.TemporaryDirectory() as folder:
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        before = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = cert
        try:
            yield cert, key
        finally:
            if before is None:
                del os.environ["SSL_CERT_FILE"]
            else:
                os.environ["SSL_CERT_FILE"] = before


@contextlib.contextmanager
def emulator() -> Iterator[Target]:
    """The project's emulator (neofin_async.emulator), served by uvicorn."""
    command = [sys.executable, "-m", "neofin_async.emulator", "--port", "0"]
    with _process(command, r"^Neofin emulator on http://127\.0\.0\.1:(\d+)") as port:
        yield Target("emulator", f"http://127.0.0.1:{port}", DEFAULT_API_KEY, DEFAULT_SECRET_KEY)


def stats(target: Target) -> dict[str, Any]:
    """What the sink saw since its last reset."""
    return httpx.get(target.url + "/stats").json()  # type: ignore[no-any-return]


def reset(target: Target) -> None:
    httpx.get(target.url + "/reset").raise_for_status()


@contextlib.contextmanager
def _process(command: list[str], ready: str) -> Iterator[int]:
    """Start `command`, wait for its first line to match `ready`, yield the port it names."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.match(ready, line)
        if match is None:
            raise RuntimeError(f"server did not start: {' '.join(command)} printed {line!r}")
        port = int(match[1])
        _wait_until_listening(port)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
