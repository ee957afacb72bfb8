"""Where requests go: the built-in emulator, a served one, the sandbox or production."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from .._client import NeofinClient
from .._constants import ENV_API_KEY, ENV_SECRET_KEY, ENVIRONMENTS
from .._exceptions import ConfigurationError

TARGETS = ("emulator", "sandbox", "production")
EMULATOR_OPTIONS = ("emulator_fail_rate", "emulator_latency_ms", "emulator_seed")


@dataclass
class Target:
    client: NeofinClient
    description: str
    """Where requests go, for humans: `"the built-in emulator (in-process)"`."""
    is_emulator: bool


@asynccontextmanager
async def connect(args: argparse.Namespace) -> AsyncIterator[Target]:
    """A client for `--target` (default: a fresh in-process emulator), closed on exit."""
    options: dict[str, Any] = {"timeout": args.timeout}
    if args.max_retries is not None:
        options["max_retries"] = args.max_retries
    if args.target == "emulator":
        target = _emulator(args, options)
    else:
        _refuse_emulator_options(args, f"--target {args.target}")
        api_key = args.api_key or os.environ.get(ENV_API_KEY)
        secret_key = args.secret_key or os.environ.get(ENV_SECRET_KEY)
        if not api_key or not secret_key:
            raise ConfigurationError(
                f"--target {args.target} needs API keys: set {ENV_API_KEY} and {ENV_SECRET_KEY} "
                "or pass --api-key and --secret-key (Neofin panel: Configurações > Integrações)"
            )
        client = NeofinClient(
            api_key, secret_key, environment=args.target, base_url=args.base_url, **options
        )
        where = f"Neofin {args.target} ({client.base_url})"
        if args.base_url is None and client.base_url != ENVIRONMENTS[args.target]:
            where += " [NEOFIN_BASE_URL]"
        target = Target(client, where, is_emulator=False)
    async with target.client:
        yield target


def _emulator(args: argparse.Namespace, options: dict[str, Any]) -> Target:
    from ..emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator

    if args.base_url:  # an emulator served by `neofin-async emulator`
        _refuse_emulator_options(args, "--base-url")
        client = NeofinClient(
            args.api_key or DEFAULT_API_KEY,
            args.secret_key or DEFAULT_SECRET_KEY,
            base_url=args.base_url,
            **options,
        )
        return Target(client, f"the Neofin emulator at {client.base_url}", is_emulator=True)
    try:
        emulator = Emulator(
            fail_rate=getattr(args, "emulator_fail_rate", None) or 0.0,
            latency_ms=getattr(args, "emulator_latency_ms", None) or 0.0,
            seed=getattr(args, "emulator_seed", None),
        )
    except ValueError as exc:
        raise ConfigurationError(f"emulator settings: {exc}") from None
    return Target(emulator.client(**options), "the built-in emulator (in-process)", True)


def _refuse_emulator_options(args: argparse.Namespace, why: str) -> None:
    for name in EMULATOR_OPTIONS:
        if getattr(args, name, None) is not None:
            flag = "--" + name.replace("_", "-")
            raise ConfigurationError(
                f"{flag} applies to the built-in emulator only, not with {why}"
            )


def notice(target: Target, *, done: bool = False) -> None:
    """Say clearly, on stderr, whether anything goes (went) to Neofin."""
    if target.is_emulator:
        text = (
            f"Nothing went to Neofin: this ran against {target.description}."
            if done
            else f"Target: {target.description}. Nothing is sent to Neofin "
            "(use --target sandbox or --target production for that)."
        )
    elif done:
        return
    else:
        text = f"Target: {target.description}."
    print(text, file=sys.stderr, flush=True)
