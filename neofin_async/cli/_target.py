"""Where requests go: a provider's built-in emulator, a served one, or its real API."""

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
LABELS = {"neofin": "Neofin", "piriod": "Piriod", "chargeover": "ChargeOver"}
REAL_TARGETS = {
    "neofin": "--target sandbox or --target production",
    "piriod": "--target sandbox (Piriod's test mode) or --target production",
    "chargeover": "--target production",
}
"""How to reach each provider's real API, for the emulator notice."""


@dataclass
class Target:
    client: Any
    """The provider's client: `NeofinClient`, `PiriodClient` or `ChargeOverClient`."""
    description: str
    """Where requests go, for humans: `"the built-in emulator (in-process)"`."""
    is_emulator: bool
    provider: str = "neofin"

    @property
    def label(self) -> str:
        return LABELS[self.provider]


@asynccontextmanager
async def connect(settings: TargetOptions) -> AsyncIterator[Target]:
    """A client for `--provider` and `--target` (default: a fresh in-process emulator),
    closed on exit."""
    options: dict[str, Any] = {"timeout": settings.timeout}
    if settings.max_retries is not None:
        options["max_retries"] = settings.max_retries
    if settings.provider != "neofin":
        target = _other_provider(settings, options)
    elif settings.target == "emulator":
        target = _emulator(settings, options)
    else:
        refuse_emulator_options(settings, f"--target {settings.target}")
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
        refuse_emulator_options(settings, "--base-url")
        client = NeofinClient(
            settings.api_key or DEFAULT_API_KEY,
            settings.secret_key or DEFAULT_SECRET_KEY,
            base_url=settings.base_url,
            **options,
        )
        return Target(client, f"the Neofin emulator at {client.base_url}", is_emulator=True)
    return Target(
        _built_in(Emulator, settings, options), "the built-in emulator (in-process)", True
    )


def _other_provider(settings: TargetOptions, options: dict[str, Any]) -> Target:
    """Piriod or ChargeOver: the built-in emulator, a served one (`--base-url`, with the
    emulator's keys), or the real API with the keys of the provider's environment variables."""
    provider, label = settings.provider, LABELS[settings.provider]
    if settings.api_key or settings.secret_key:
        raise ConfigurationError(
            f"--api-key and --secret-key are Neofin's keys; {label}'s come from its "
            "environment variables (see --provider in --help)"
        )
    if settings.target == "emulator":
        if settings.base_url:
            refuse_emulator_options(settings, "--base-url")
            client = _served_emulator_client(provider, settings.base_url, options)
            where = f"the {label} emulator at {client.base_url}"
            return Target(client, where, is_emulator=True, provider=provider)
        emulator_class = _emulator_class(provider)
        client = _built_in(emulator_class, settings, options)
        where = f"the built-in {label} emulator (in-process)"
        return Target(client, where, is_emulator=True, provider=provider)
    refuse_emulator_options(settings, f"--target {settings.target}")
    if provider == "piriod":
        from ..piriod import PiriodClient

        test_mode = settings.target == "sandbox"
        client = PiriodClient(base_url=settings.base_url, test_mode=test_mode, **options)
        mode = "test mode" if test_mode else "live data"
        where = f"Piriod {mode} ({client.base_url}, workspace {client.workspace})"
        return Target(client, where, is_emulator=False, provider=provider)
    if settings.target == "sandbox":
        raise ConfigurationError(
            "ChargeOver has no sandbox environment: a sandbox is an instance of its own; "
            "point CHARGEOVER_BASE_URL (or --base-url) at it and use --target production"
        )
    from ..chargeover import ChargeOverClient

    client = ChargeOverClient(base_url=settings.base_url, **options)
    return Target(client, f"ChargeOver at {client.base_url}", is_emulator=False, provider=provider)


def _emulator_class(provider: str) -> Any:
    if provider == "piriod":
        from ..piriod.emulator import Emulator as PiriodEmulator

        return PiriodEmulator
    from ..chargeover.emulator import Emulator as ChargeOverEmulator

    return ChargeOverEmulator


def _served_emulator_client(provider: str, base_url: str, options: dict[str, Any]) -> Any:
    if provider == "piriod":
        from ..piriod import PiriodClient
        from ..piriod.emulator import DEFAULT_API_TOKEN, DEFAULT_WORKSPACE

        return PiriodClient(DEFAULT_API_TOKEN, DEFAULT_WORKSPACE, base_url=base_url, **options)
    from ..chargeover import ChargeOverClient
    from ..chargeover.emulator import DEFAULT_PRIVATE_KEY, DEFAULT_PUBLIC_KEY

    return ChargeOverClient(DEFAULT_PUBLIC_KEY, DEFAULT_PRIVATE_KEY, base_url=base_url, **options)


def _built_in(emulator_class: Any, settings: TargetOptions, options: dict[str, Any]) -> Any:
    """A client of a fresh in-process emulator with the `--emulator-*` faults."""
    try:
        emulator = emulator_class(
            fail_rate=settings.emulator_fail_rate or 0.0,
            latency_ms=settings.emulator_latency_ms or 0.0,
            seed=settings.emulator_seed,
        )
    except ValueError as exc:
        raise ConfigurationError(f"emulator settings: {exc}") from None
    return emulator.client(**options)


def refuse_emulator_options(settings: TargetOptions, why: str) -> None:
    for name in EMULATOR_OPTIONS:
        if getattr(settings, name, None) is not None:
            flag = "--" + name.replace("_", "-")
            raise ConfigurationError(
                f"{flag} applies to the built-in emulator only, not with {why}"
            )


def notice(target: Target, *, done: bool = False) -> None:
    """Say clearly, on stderr, whether anything goes (went) to the provider."""
    if target.is_emulator:
        text = (
            f"Nothing went to {target.label}: this ran against {target.description}."
            if done
            else f"Target: {target.description}. Nothing is sent to {target.label} "
            f"(use {REAL_TARGETS[target.provider]} for that)."
        )
    elif done:
        return
    else:
        text = f"Target: {target.description}."
    print(text, file=sys.stderr, flush=True)
