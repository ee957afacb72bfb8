"""Serving the Neofin emulator: `serve()` (blocking) and `python -m neofin_async.emulator`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._emulation import DEFAULT_HOST, emulator_main
from ._app import Emulator
from ._config import DEFAULT_PORT


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
    app = emulator or Emulator(**settings)
    app.serve(host, port, log_level=log_level, access_log=access_log)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m neofin_async.emulator`: the same options as `neofin-async emulator`
    (`--provider`, faults, `--required-fields`, `--openapi`, ...); the exit code."""
    return emulator_main(argv)
