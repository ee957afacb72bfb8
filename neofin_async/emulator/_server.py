"""Serving the emulator with uvicorn: `serve()` (blocking), `EmulatorServer` (a background
thread, for tests) and `python -m neofin_async.emulator`."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._config import DEFAULT_API_KEY, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SECRET_KEY
from ._faults import ConnectionDropped

if TYPE_CHECKING:
    import uvicorn

    from ._app import Emulator

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:
        raise RuntimeError(
            "Serving the emulator needs uvicorn: pip install 'neofin-async[emulator]'"
        ) from None
    return uvicorn


class _HideDroppedConnections(logging.Filter):
    """uvicorn logs the exception an app raises to drop a connection; it is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_FILTER = _HideDroppedConnections()


def _uvicorn_server(
    emulator: Emulator, host: str, port: int, log_level: str, access_log: bool, **options: Any
) -> tuple[uvicorn.Server, socket.socket]:
    uvicorn = _uvicorn()
    config = uvicorn.Config(
        emulator,
        host=host,
        port=port,
        lifespan="on",
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=1,
        **options,
    )
    logging.getLogger("uvicorn.error").addFilter(_FILTER)
    sock = config.bind_socket()
    return uvicorn.Server(config), sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    emulator: Emulator | None = None,
    log_level: str = "warning",
    access_log: bool = False,
    **settings: Any,
) -> None:
    """Serve an emulator (a new one built from `settings`, or `emulator`) until interrupted,
    after printing its base URL and keys."""
    from ._app import Emulator

    app = emulator or Emulator(**settings)
    server, sock = _uvicorn_server(app, host, port, log_level, access_log)
    keys = (app.config.api_key, app.config.secret_key)
    print(f"Neofin emulator on {_url(host, sock)} (nothing is sent to Neofin)", flush=True)
    if keys == (DEFAULT_API_KEY, DEFAULT_SECRET_KEY):
        print(f"  api-key:    {DEFAULT_API_KEY}\n  secret-key: {DEFAULT_SECRET_KEY}", flush=True)
    else:
        print("  keys: as configured", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


class EmulatorServer:
    """Serves an emulator with uvicorn on a background thread, for the `with` block.

    `base_url` is known on entry (port 0 picks a free port). Startup and shutdown are
    bounded; the thread is a daemon, so a stuck server never blocks the interpreter's exit.
    """

    def __init__(self, emulator: Emulator, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __enter__(self) -> EmulatorServer:
        # log_config=None: leave the host process's logging alone (uvicorn's records propagate)
        server, sock = _uvicorn_server(
            self.emulator, self.host, self.port, "warning", False, log_config=None
        )
        self._server, self._socket = server, sock
        self.base_url = _url(self.host, sock)
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="neofin-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("the emulator's server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(SHUTDOWN_TIMEOUT)
        if self._socket is not None:
            self._socket.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m neofin_async.emulator",
        description="Serve a local, stateful Neofin API emulator (nothing is sent to Neofin).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--processing-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds before an upserted item is visible (default 0)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="latency added to every request"
    )
    parser.add_argument(
        "--fail-rate", type=float, default=0.0, help="share of requests answered with a 500"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault draws")
    parser.add_argument("--page-size", type=int, default=50, help="items per list page")
    parser.add_argument(
        "--partial-failure",
        choices=("reject_batch", "accept_valid"),
        default="reject_batch",
        help="a batch with invalid items: 400 for all (default) or 202 for the valid ones",
    )
    parser.add_argument(
        "--required-fields",
        choices=("schema", "howto"),
        default="schema",
        help="required billing fields: the endpoint schema's (default) or the how-to pages'",
    )
    parser.add_argument("--log-level", default="warning")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    from ._app import Emulator

    try:
        emulator = Emulator(
            processing_delay=args.processing_delay,
            latency_ms=args.latency_ms,
            fail_rate=args.fail_rate,
            seed=args.seed,
            page_size=args.page_size,
            partial_failure=args.partial_failure,
            required_fields=args.required_fields,
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        serve(args.host, args.port, emulator=emulator, log_level=args.log_level)
    except (OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
