"""Where requests go: the built-in emulator, a served one, the sandbox or production."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from .._client import NeofinClient
from .._constants import ENV_API_KEY, ENV_SECRET_KEY, ENVIRONMENTS
from .._exceptions import ConfigurationError
from ._options import TargetOptions

TARGETS = ("emulator", "sandbox", "production")
EMULATOR_OPTIONS = ("emulator_fail_rate", "emulator_latency_ms", "emulator_seed")


@dataclass
class Target:
    client: NeofinClient
    description: str
    """Where requests go, for humans: `"the built-in emulator (in-process)"`."""
    is_emulator: bool


@asynccontextmanager
async def connect(settings: TargetOptions) -> AsyncIterator[Target]:
    """A client for `--target` (default: a fresh in-process emulator), closed on exit."""
    options: dict[str, Any] = {"timeout": settings.timeout}
    if settings.max_retries is not None:
        options["max_retries"] = settings.max_retries
    if settings.target == "emulator":
        target = _emulator(settings, options)
    else:
        _refuse_emulator_options(settings, f"--target {settings.target}")
        api_key = settings.api_key or os.environ.get(ENV_API_KEY)
        secret_key = settings.secret_key or os.environ.get(ENV_SECRET_KEY)
        if not api_key or not secret_key:
            raise ConfigurationError(
                f"--target {settings.target} needs API keys: set {ENV_API_KEY} and "
                f"{ENV_SECRET_KEY} or pass --api-key and --secret-key "
                "(Neofin panel: Configurações > Integrações)"
            )
        client = NeofinClient(
            api_key, secret_key, environment=settings.target, base_url=settings.base_url, **options
        )
        where = f"Neofin {settings.target} ({client.base_url})"
        if settings.base_url is None and client.base_url != ENVIRONMENTS[settings.target]:
            where += " [NEOFIN_BASE_URL]"
        target = Target(client, where, is_emulator=False)
    async with target.client:
        yield target


def _emulator(settings: TargetOptions, options: dict[str, Any]) -> Target:
    from ..emulator import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Emulator

    if settings.base_url:  # an emulator served by `neofin-async emulator`
        _refuse_emulator_options(settings, "--base-url")
        client = NeofinClient(
            settings.api_key or DEFAULT_API_KEY,
            settings.secret_key or DEFAULT_SECRET_KEY,
            base_url=settings.base_url,
            **options,
        )
        return Target(client, f"the Neofin emulator at {client.base_url}", is_emulator=True)
    try:
        emulator = Emulator(
            fail_rate=settings.emulator_fail_rate or 0.0,
            latency_ms=settings.emulator_latency_ms or 0.0,
            seed=settings.emulator_seed,
        )
    except ValueError as exc:
        raise ConfigurationError(f"emulator settings: {exc}") from None
    return Target(emulator.client(**options), "the built-in emulator (in-process)", True)


def _refuse_emulator_options(settings: TargetOptions, why: str) -> None:
    for name in EMULATOR_OPTIONS:
        if getattr(settings, name, None) is not None:
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
