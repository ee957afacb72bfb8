"""One command line for the emulators (issue 10 item 12): `neofin-async emulator` and
`python -m neofin_async.emulator` share a parser; `--provider` picks the provider."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from neofin_async._emulation import FaultSettings, _cli
from neofin_async.cli import _COMMANDS, main
from neofin_async.cli._parser import build_parser
from neofin_async.emulator import Emulator
from neofin_async.emulator._api import ROUTES

OPTIONS = [
    "--required-fields", "howto", "--processing-delay", "5", "--page-size", "7",
    "--partial-failure", "accept_valid", "--seed", "3", "--lost-rate", "0.2",
    "--throttle-rate", "0.1", "--retry-after", "4", "--latency-ms", "2", "--environment",
    "production",
]  # fmt: skip
ENTRY_POINTS = {
    "neofin-async": [sys.executable, "-m", "neofin_async.cli", "emulator"],
    "python -m": [sys.executable, "-m", "neofin_async.emulator"],
}


def built(args: argparse.Namespace) -> Emulator:
    emulator = _cli.build(args)
    assert isinstance(emulator, Emulator)
    return emulator


def test_both_entry_points_take_every_option_and_build_the_same_emulator() -> None:
    standalone = built(_cli.emulator_parser().parse_args(OPTIONS))
    command = built(build_parser(_COMMANDS).parse_args(["emulator", *OPTIONS]))
    assert standalone.config == command.config
    config = command.config
    assert (config.required_fields, config.processing_delay, config.page_size) == ("howto", 5, 7)
    assert (config.partial_failure, config.seed, config.lost_rate) == ("accept_valid", 3, 0.2)
    assert (config.throttle_rate, config.retry_after, config.latency_ms) == (0.1, 4, 2)
    assert config.environment == "production"


def test_defaults_are_the_emulators() -> None:
    assert built(_cli.emulator_parser().parse_args([])).config == Emulator().config


def test_every_fault_knob_has_an_option() -> None:
    parser = _cli.emulator_parser()
    flags = {flag for action in parser._actions for flag in action.option_strings}
    knobs = [field.name for field in dataclasses.fields(FaultSettings)]
    assert {"--" + knob.replace("_", "-") for knob in knobs} | {"--seed"} <= flags
    assert set(_cli.FAULT_HELP) == set(knobs)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--fail-rate", "2"], "fault rates must be between 0 and 1"),
        (["--port", "70000"], "--port 70000 is not a port"),
        (["--provider", "piriod", "--required-fields", "howto"], "--required-fields is not an"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(entry: str, arguments: list[str], error: str) -> None:
    done = subprocess.run(
        [*ENTRY_POINTS[entry], *arguments], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and error in done.stderr, done.stderr


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_a_port_in_use_is_one_line_and_exit_2(entry: str, taken_port: int) -> None:
    command = [*ENTRY_POINTS[entry], "--port", str(taken_port)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"{entry if entry == 'neofin-async' else 'python -m neofin_async.emulator'}: error: "
        f"cannot listen on 127.0.0.1:{taken_port}: Address already in use"
    ]


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_ctrl_c_stops_the_server_without_a_traceback(entry: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [*ENTRY_POINTS[entry], "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("Neofin emulator on http://")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        stderr = process.stderr.read()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr


def test_cli_main_runs_the_emulator_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--provider", "neofin", "--openapi"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["openapi"].startswith("3.")


def test_openapi_describes_every_route() -> None:
    document = json.loads(_cli.provider_module("neofin").openapi())  # type: ignore[union-attr]
    described = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert described == {(method, path) for method, path, _ in ROUTES}


class _Toy:
    """A stand-in provider module for the registry."""

    DEFAULT_PORT = 9999

    def __init__(self, default: int) -> None:
        self.default = default
        self.args: argparse.Namespace | None = None

    def add_arguments(self, group: Any) -> None:
        group.add_argument("--page-size", type=int, default=self.default)
        group.add_argument("--toy-only", action="store_true")

    def from_args(self, args: argparse.Namespace) -> Any:
        self.args = args
        return types.SimpleNamespace(page_size=args.page_size)


@pytest.fixture
def toys(monkeypatch: pytest.MonkeyPatch) -> dict[str, _Toy]:
    modules = {"neofin": _Toy(50), "toy": _Toy(10)}
    monkeypatch.setattr(_cli, "PROVIDERS", {name: f"toy_{name}" for name in modules})
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, f"toy_{name}", module)
    return modules


def test_a_provider_adds_its_options_and_keeps_its_defaults(toys: dict[str, _Toy]) -> None:
    parser = _cli.emulator_parser()
    assert _cli.build(parser.parse_args(["--provider", "toy"])).page_size == 10
    assert _cli.build(parser.parse_args([])).page_size == 50
    assert _cli.build(parser.parse_args(["--provider", "toy", "--page-size", "3"])).page_size == 3
    args = toys["toy"].args
    assert args is not None and args.toy_only is False and args.lost_rate == 0.0


def test_a_missing_provider_module_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_cli.PROVIDERS, "piriod", "neofin_async.no_such_provider.emulator")
    args = _cli.emulator_parser().parse_args(["--provider", "piriod"])
    with pytest.raises(_cli.UsageError, match="the piriod emulator is not installed"):
        _cli.build(args)


@pytest.mark.parametrize(
    ("argv", "imported"),
    [
        (["upsert", "billings", "x.csv"], False),
        (["emulator", "--provider", "piriod"], True),
        (["--help"], True),
    ],
)
def test_only_the_emulator_command_imports_every_provider_s_emulator(
    argv: list[str], imported: bool
) -> None:
    """Building the emulator command's options imports every provider's emulator (a tenth of
    a second): the parser does it for that command alone."""
    script = (
        "import sys\n"
        "from neofin_async.cli import _COMMANDS\n"
        "from neofin_async.cli._parser import build_parser\n"
        f"build_parser(_COMMANDS, {argv!r})\n"
        "print('neofin_async.piriod.emulator' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(imported)
