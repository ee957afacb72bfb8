"""The Neofin emulator's part of the emulator command line (see `_emulation._cli`)."""

from __future__ import annotations

import argparse
from importlib.resources import files
from typing import Any

from .._emulation import fault_arguments
from ._app import Emulator
from ._config import DEFAULT_PORT, EmulatorConfig

__all__ = ["DEFAULT_PORT", "add_arguments", "from_args", "openapi"]

_DEFAULTS = EmulatorConfig()


def add_arguments(group: Any) -> None:
    group.add_argument(
        "--processing-delay",
        type=float,
        default=_DEFAULTS.processing_delay,
        metavar="SECONDS",
        help="how long an upserted item stays queued (404) (default 0)",
    )
    group.add_argument(
        "--registration-delay",
        type=float,
        default=_DEFAULTS.registration_delay,
        metavar="SECONDS",
        help="how long a processed billing stays `processing` (default 0)",
    )
    group.add_argument(
        "--page-size",
        type=int,
        default=_DEFAULTS.page_size,
        metavar="N",
        help=f"items per list page (default {_DEFAULTS.page_size})",
    )
    group.add_argument(
        "--partial-failure",
        choices=("reject_batch", "accept_valid"),
        default=_DEFAULTS.partial_failure,
        help="a batch with invalid items: 400 for all (default), or 202 for the valid ones",
    )
    group.add_argument(
        "--required-fields",
        choices=("schema", "howto"),
        default=_DEFAULTS.required_fields,
        help="required billing fields: the endpoint schema's (default) or the how-to pages'",
    )
    group.add_argument(
        "--environment",
        choices=("sandbox", "production"),
        default=_DEFAULTS.environment,
        help="which panel billing_url points to (default sandbox)",
    )
    group.add_argument(
        "--webhook-time-scale",
        type=float,
        default=_DEFAULTS.webhook_time_scale,
        metavar="X",
        help="multiplies the webhook retry schedule (0.001: 20 minutes in 1.2 s) (default 1)",
    )


def from_args(args: argparse.Namespace) -> Emulator:
    return Emulator(
        **fault_arguments(args),
        processing_delay=args.processing_delay,
        registration_delay=args.registration_delay,
        page_size=args.page_size,
        partial_failure=args.partial_failure,
        required_fields=args.required_fields,
        environment=args.environment,
        webhook_time_scale=args.webhook_time_scale,
    )


def openapi() -> bytes:
    """The OpenAPI 3.1 description of the Neofin emulator (`neofin-async emulator --openapi`)."""
    return files(__package__).joinpath("openapi.json").read_bytes()
