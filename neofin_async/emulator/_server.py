"""Serving the Neofin emulator: `serve()` (blocking) and `python -m neofin_async.emulator`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .._emulation import DEFAULT_HOST
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
