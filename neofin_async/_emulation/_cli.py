"""One command line for every provider's emulator: `neofin-async emulator` and
`python -m neofin_async.emulator` share `add_emulator_arguments` and `run`.

A provider is an entry of `PROVIDERS`: the module, imported only when the parser is built or
the provider is chosen, exposes `add_arguments(group)` (its own options, with its defaults),
`from_args(args) -> EmulatorApp` and, optionally, `DEFAULT_PORT` and `openapi() -> bytes`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Literal, get_args, get_origin, get_type_hints

from ._faults import FaultSettings
from ._server import DEFAULT_HOST

PROVIDERS = {
    "neofin": "neofin_async.emulator._cli",
    "piriod": "neofin_async.piriod.emulator",
    "chargeover": "neofin_async.chargeover.emulator",
}
DEFAULT_PROVIDER = "neofin"
DEFAULT_PORT = 8765

FAULT_HELP = {
    "fail_rate": "share of requests answered with --fail-status",
    "fail_status": "the 5xx status of --fail-rate",
    "throttle_rate": "share of requests answered 429 with Retry-After",
    "retry_after": "seconds in the Retry-After of a 429",
    "hang_rate": "share of requests that hang (past the client's timeout)",
    "hang_seconds": "how long a hang lasts before a 504",
    "drop_rate": "share of connections closed before the request is processed",
    "lost_rate": "share of requests processed (and stored) whose answer is lost: the "
    "connection is closed instead",
    "latency_ms": "milliseconds added to every request",
}


class UsageError(ValueError):
    """A command-line mistake (one line, exit 2)."""


class ProviderOptions:
    """What a provider's `add_arguments` receives: `add_argument` as argparse's. The same
    flag may belong to several providers (each keeps its default); which provider has which
    option is recorded, so that another provider's option is refused."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._parser = parser
        self._actions: dict[str, argparse.Action] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        """Provider -> option dest -> its default."""
        self._provider = ""
        self._group: Any = None

    def provider(self, name: str) -> ProviderOptions:
        self._provider = name
        self.defaults[name] = {}
        self._group = self._parser.add_argument_group(f"{name} emulator")
        return self

    def add_argument(self, *flags: str, **kwargs: Any) -> None:
        default = kwargs.pop("default", False if kwargs.get("action") == "store_true" else None)
        action = self._actions.get(flags[0])
        if action is None:
            action = self._group.add_argument(*flags, default=argparse.SUPPRESS, **kwargs)
            self._actions[flags[0]] = action
        self.defaults[self._provider][action.dest] = default

    def resolve(self, args: argparse.Namespace) -> None:
        """Refuse another provider's options; fill in the chosen provider's defaults."""
        own = self.defaults.get(args.provider, {})
        for flag, action in self._actions.items():
            if action.dest not in own and hasattr(args, action.dest):
                raise UsageError(f"{flag} is not an option of the {args.provider} emulator")
        for dest, default in own.items():
            if not hasattr(args, dest):
                setattr(args, dest, default)


def provider_module(name: str) -> ModuleType | None:
    """The provider's emulator module, or None when it is not installed (yet)."""
    path = PROVIDERS[name]
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name and path.startswith(exc.name):
            return None
        raise


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option of the emulator command: the common ones, then each provider's."""
    parser.add_argument(
        "--provider",
        choices=tuple(PROVIDERS),
        default=DEFAULT_PROVIDER,
        help=f"which API to emulate (default {DEFAULT_PROVIDER})",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument(
        "--port",
        type=int,
        metavar="PORT",
        help=f"0 picks a free port (default {DEFAULT_PORT}, or the provider's)",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn's (default warning)")
    parser.add_argument(
        "--openapi", action="store_true", help="print the emulator's OpenAPI description and exit"
    )
    faults = parser.add_argument_group("faults (every provider)")
    faults.add_argument("--seed", type=int, metavar="S", help="seed of the fault draws")
    add_settings_arguments(faults, FaultSettings(), FAULT_HELP)
    options = ProviderOptions(parser)
    for name in PROVIDERS:
        module = provider_module(name)
        if module is not None:
            module.add_arguments(options.provider(name))
    parser.set_defaults(emulator_options=options)


def add_settings_arguments(group: Any, defaults: Any, helps: dict[str, str]) -> None:
    """One option per settings field named in `helps` (`page_size` -> `--page-size`), typed
    and defaulted from the dataclass `defaults` (a `Literal` field gives choices)."""
    hints = get_type_hints(type(defaults))
    for name, text in helps.items():
        default = getattr(defaults, name)
        choices = get_args(hints[name]) if get_origin(hints[name]) is Literal else None
        group.add_argument(
            "--" + name.replace("_", "-"),
            type=None if choices else type(default),
            choices=choices,
            default=default,
            metavar=None if choices else name.rsplit("_", 1)[-1].upper(),
            help=f"{text} (default {default})",
        )


def settings_arguments(args: argparse.Namespace, helps: dict[str, str]) -> dict[str, Any]:
    """The values of the options `add_settings_arguments(..., helps)` added."""
    return {name: getattr(args, name) for name in helps}


def fault_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The fault knobs and the seed given on the command line, as settings keywords."""
    return {"seed": args.seed, **settings_arguments(args, FAULT_HELP)}


def _chosen(args: argparse.Namespace) -> ModuleType:
    args.emulator_options.resolve(args)
    module = provider_module(args.provider)
    if module is None:
        raise UsageError(f"the {args.provider} emulator is not installed")
    return module


def build(args: argparse.Namespace) -> Any:
    """The chosen provider's emulator, built from parsed arguments (`ValueError` if bad)."""
    return _chosen(args).from_args(args)


def run(args: argparse.Namespace) -> int:
    """Serve the chosen provider's emulator until Ctrl-C (0), or print its OpenAPI document.
    Raises `ValueError` (bad settings, `UsageError`), `OSError` (port in use) or
    `RuntimeError` (no uvicorn), each with a one-line message."""
    module = _chosen(args)
    if args.openapi:
        openapi = getattr(module, "openapi", None)
        if openapi is None:
            raise UsageError(f"the {args.provider} emulator has no OpenAPI description")
        sys.stdout.buffer.write(openapi())
        sys.stdout.flush()
        return 0
    port = args.port if args.port is not None else getattr(module, "DEFAULT_PORT", DEFAULT_PORT)
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port (0 to 65535)")
    module.from_args(args).serve(args.host, port, log_level=args.log_level)
    return 0


def emulator_parser(prog: str = "python -m neofin_async.emulator") -> argparse.ArgumentParser:
    """The standalone parser (`neofin-async emulator` adds the same arguments)."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Serve a local, stateful billing API emulator (nothing is sent)."
    )
    add_emulator_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The standalone entry point: errors are one line on stderr and exit 2."""
    parser = emulator_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"{parser.prog}: error: {' '.join(str(exc).split())}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the server was up
        return 0
