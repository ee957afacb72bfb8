"""The provider-neutral emulator kit: each provider's emulator (Neofin, Piriod, ChargeOver) is
an `EmulatorApp` subclass with its routes, authentication and bodies.

    EmulatorApp      the ASGI app base: routing, faults, auth hook, body cap, request log,
                     lifespan, in-process `transport()`, `serving()` / `serve()`
    EmulatorSettings the settings base (a frozen dataclass): fault knobs, rules, seed, logs
    FaultSettings, FaultRule   the fault knobs, and a rule applying them to some routes
    Router, Route, Request, Answer, Abort   the tiny router, what a handler sees and returns
    dumps, loads, respond, read_body, reason_phrase   strict compact JSON, ASGI plumbing
    Clock, ManualClock, EmulatorTransport, EmulatorServer, serve_app, listening_socket
    add_emulator_arguments, add_settings_arguments, settings_arguments, fault_arguments,
    run_emulator, emulator_main, PROVIDERS
                     the one emulator command line (`--provider`), see `_cli`

`neofin_async.emulator` is the reference provider.
"""

from ._app import EmulatorApp, ErrorRecord, RequestRecord
from ._asgi import (
    ASGIApp,
    BodyTooLarge,
    Headers,
    Receive,
    Scope,
    Send,
    dumps,
    header,
    loads,
    read_body,
    reason_phrase,
    respond,
)
from ._cli import (
    PROVIDERS,
    add_emulator_arguments,
    add_settings_arguments,
    fault_arguments,
    settings_arguments,
)
from ._cli import main as emulator_main
from ._cli import run as run_emulator
from ._clock import Clock, ManualClock
from ._faults import ConnectionDropped, FaultKind, FaultRule, FaultSettings
from ._router import Abort, Answer, Request, Route, Router
from ._server import DEFAULT_HOST, EmulatorServer, base_url, listening_socket, serve_app
from ._settings import EmulatorSettings
from ._transport import EmulatorTransport

IN_PROCESS_BASE_URL = "http://emulator.localhost"
"""The base URL of a client wired in-process (any host would do; nothing resolves it)."""

__all__ = [
    "DEFAULT_HOST",
    "IN_PROCESS_BASE_URL",
    "PROVIDERS",
    "ASGIApp",
    "Abort",
    "Answer",
    "BodyTooLarge",
    "Clock",
    "ConnectionDropped",
    "EmulatorApp",
    "EmulatorServer",
    "EmulatorSettings",
    "EmulatorTransport",
    "ErrorRecord",
    "FaultKind",
    "FaultRule",
    "FaultSettings",
    "Headers",
    "ManualClock",
    "Receive",
    "Request",
    "RequestRecord",
    "Route",
    "Router",
    "Scope",
    "Send",
    "add_emulator_arguments",
    "add_settings_arguments",
    "base_url",
    "dumps",
    "emulator_main",
    "fault_arguments",
    "header",
    "listening_socket",
    "loads",
    "read_body",
    "reason_phrase",
    "respond",
    "run_emulator",
    "serve_app",
    "settings_arguments",
]
