"""Serving an emulator with uvicorn: `serve_app()` (blocking, until Ctrl-C) and
`EmulatorServer` (a background thread, for tests)."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._asgi import ASGIApp
from ._faults import ConnectionDropped

if TYPE_CHECKING:
    import uvicorn

DEFAULT_HOST = "127.0.0.1"
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


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (0: a free port); `OSError` with one line if not.

    It is created with `proto=IPPROTO_TCP`: asyncio sets TCP_NODELAY only on sockets whose
    protocol says TCP, and accepted connections inherit it. With `proto=0` (what uvicorn
    binds) every keep-alive answer, written as headers then body, waits ~40 ms for the
    client's delayed ACK (Nagle's algorithm)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        error = OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        error.errno = exc.errno
        raise error from None
    return sock


def _uvicorn_server(
    app: ASGIApp, host: str, port: int, log_level: str, access_log: bool, **options: Any
) -> tuple[uvicorn.Server, socket.socket]:
    uvicorn = _uvicorn()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=1,
        **options,
    )
    logging.getLogger("uvicorn.error").addFilter(_FILTER)
    return uvicorn.Server(config), listening_socket(host, port)


def base_url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve_app(
    app: ASGIApp,
    host: str = DEFAULT_HOST,
    port: int = 0,
    *,
    banner: Callable[[str], str] | None = None,
    log_level: str = "warning",
    access_log: bool = False,
) -> None:
    """Serve `app` until Ctrl-C (which returns), after printing `banner(base_url)`.

    `OSError` (one line) when the port cannot be bound; `RuntimeError` without uvicorn."""
    server, sock = _uvicorn_server(app, host, port, log_level, access_log)
    with sock, _interrupt_stops(server):
        if banner is not None:
            print(banner(base_url(host, sock)), flush=True)
        server.run(sockets=[sock])


@contextlib.contextmanager
def _interrupt_stops(server: uvicorn.Server) -> Iterator[None]:
    """Ctrl-C asks `server` to exit, whenever it comes: uvicorn's own handler only covers
    `run` and re-raises the signal after shutting down, which would be a KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: setattr(server, "should_exit", True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class EmulatorServer:
    """Serves an ASGI app with uvicorn on a background thread, for the `with` block.

    `base_url` is known on entry (port 0 picks a free port). Startup and shutdown are
    bounded; the thread is a daemon, so a stuck server never blocks the interpreter's exit.
    """

    def __init__(self, app: ASGIApp, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def emulator(self) -> ASGIApp:
        """The app served (an alias of `app`)."""
        return self.app

    def __enter__(self) -> EmulatorServer:
        # log_config=None: leave the host process's logging alone (uvicorn's records propagate)
        server, sock = _uvicorn_server(
            self.app, self.host, self.port, "warning", False, log_config=None
        )
        self._server, self._socket = server, sock
        self.base_url = base_url(self.host, sock)
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="emulator-server", daemon=True
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
