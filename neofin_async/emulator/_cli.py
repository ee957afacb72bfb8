"""The Neofin emulator's part of the emulator command line (see `_emulation._cli`)."""

from __future__ import annotations

import argparse
from importlib.resources import files
from typing import Any

from .._emulation import add_settings_arguments, fault_arguments, settings_arguments
from ._app import Emulator
from ._config import DEFAULT_PORT, EmulatorConfig

__all__ = ["DEFAULT_PORT", "add_arguments", "from_args", "openapi"]

OPTIONS = {
    "processing_delay": "seconds an upserted item stays queued (404)",
    "registration_delay": "seconds a processed billing stays `processing`",
    "page_size": "items per list page",
    "partial_failure": "a batch with invalid items: 400 for all, or 202 for the valid ones",
    "required_fields": "required billing fields: the endpoint schema's or the how-to pages'",
    "environment": "which panel billing_url points to",
    "webhook_time_scale": "multiplies the webhook retry schedule (0.001: 20 minutes in 1.2 s)",
}
"""The `EmulatorConfig` fields the command line sets, with their help."""


def add_arguments(group: Any) -> None:
    add_settings_arguments(group, EmulatorConfig(), OPTIONS)


def from_args(args: argparse.Namespace) -> Emulator:
    return Emulator(**fault_arguments(args), **settings_arguments(args, OPTIONS))


def openapi() -> bytes:
    """The OpenAPI 3.1 description of the Neofin emulator (`neofin-async emulator --openapi`)."""
    return files(__package__).joinpath("openapi.json").read_bytes()
