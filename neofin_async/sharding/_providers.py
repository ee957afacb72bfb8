"""Which providers a shard can target, and how a worker finds their keys.

A provider is one entry of `PROVIDERS`: its client class, the client arguments that hold
credentials with the environment variable each is read from, its bulk resources, and the
client options each named environment (`sandbox`, `production`) stands for.

Keys per tenant: the tenant's name goes after the provider prefix, upper-cased, with `-` as
`_` (tenant `acme-co`: `NEOFIN_ACME_CO_API_KEY`, `NEOFIN_ACME_CO_SECRET_KEY`;
`PIRIOD_ACME_CO_API_TOKEN`, `PIRIOD_ACME_CO_WORKSPACE`; `CHARGEOVER_ACME_CO_PUBLIC_KEY`,
`CHARGEOVER_ACME_CO_PRIVATE_KEY` and, since every ChargeOver account is an instance of its
own, `CHARGEOVER_ACME_CO_BASE_URL` unless the spec gives a base URL). A tenant with none of
its variables set uses the unprefixed ones (`NEOFIN_API_KEY`, ...); a tenant with only some
is refused, so one tenant's key is never paired with another's (or sent to another's
instance). On a worker serving several accounts, leave the unprefixed variables unset: a
tenant whose keys are missing then fails instead of sending to the default account.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._constants import ENV_API_KEY, ENV_SECRET_KEY
from .._exceptions import ConfigurationError
from ._spec import ShardTarget


@dataclass(frozen=True)
class Provider:
    client: str
    """`"module:Class"`, imported when a shard needs it."""
    credentials: Mapping[str, str]
    """Client argument -> environment variable (without a tenant)."""
    resources: tuple[str, ...]
    environments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Environment name -> the client options it means (Neofin's `environment=`, Piriod's
    `test_mode=`)."""
    instance: str | None = None
    """The variable of the account's own base URL (ChargeOver's instance), read with the
    credentials when the target gives no base URL."""

    def connect(self, target: ShardTarget, tenant: str | None) -> Any:
        """The provider's client for `target`, with the keys of `tenant` from the
        environment."""
        module, _, name = self.client.partition(":")
        client_class = getattr(importlib.import_module(module), name)
        with_url = self.instance is not None and target.base_url is None
        options: dict[str, Any] = dict(self.credentials_for(tenant, with_url=with_url))
        if target.base_url is not None:
            options["base_url"] = target.base_url
        if target.environment is not None:
            if target.environment not in self.environments:
                raise ConfigurationError(
                    f"{name.removesuffix('Client')} has no {target.environment} environment; "
                    f"it has {', '.join(self.environments) or 'none'} (or give base_url)"
                )
            options.update(self.environments[target.environment])
        if target.timeout is not None:
            options["timeout"] = target.timeout
        if target.max_retries is not None:
            options["max_retries"] = target.max_retries
        return client_class(**options)

    def credentials_for(
        self,
        tenant: str | None,
        environ: Mapping[str, str] = os.environ,
        *,
        with_url: bool = False,
    ) -> dict[str, str]:
        """The client's credential arguments for `tenant`, read from `environ` (values are
        never put in a message); `with_url`: the instance's base URL with them."""
        wanted: dict[str, str] = dict(self.credentials)
        if with_url and self.instance is not None:
            wanted["base_url"] = self.instance
        names = {arg: tenant_variable(env, tenant) for arg, env in wanted.items()}
        found = {arg: value for arg, name in names.items() if (value := environ.get(name, ""))}
        if tenant is not None and found and len(found) < len(names):
            missing = ", ".join(name for arg, name in names.items() if arg not in found)
            raise ConfigurationError(f"tenant {tenant}: {missing} is not set on this worker")
        if tenant is not None and not found:
            names = wanted
            found = {arg: value for arg, name in names.items() if (value := environ.get(name, ""))}
        if len(found) < len(names):
            variables = " and ".join(names.values())
            whose = f"tenant {tenant}" if tenant is not None else "this shard"
            raise ConfigurationError(f"no keys for {whose}: set {variables} on the worker")
        return {arg: value.strip() for arg, value in found.items()}


def tenant_variable(name: str, tenant: str | None) -> str:
    """`NEOFIN_API_KEY` for tenant `acme-co` -> `NEOFIN_ACME_CO_API_KEY`."""
    if tenant is None:
        return name
    prefix, _, rest = name.partition("_")
    return f"{prefix}_{tenant.upper().replace('-', '_')}_{rest}"


PROVIDERS: dict[str, Provider] = {
    "neofin": Provider(
        "neofin_async:NeofinClient",
        {"api_key": ENV_API_KEY, "secret_key": ENV_SECRET_KEY},
        ("billings", "customers"),
        environments={
            "sandbox": {"environment": "sandbox"},
            "production": {"environment": "production"},
        },
    ),
    "piriod": Provider(
        "neofin_async.piriod:PiriodClient",
        {"api_token": "PIRIOD_API_TOKEN", "workspace": "PIRIOD_WORKSPACE"},
        ("customers",),
        environments={"sandbox": {"test_mode": True}, "production": {}},
    ),
    "chargeover": Provider(
        "neofin_async.chargeover:ChargeOverClient",
        {"public_key": "CHARGEOVER_PUBLIC_KEY", "private_key": "CHARGEOVER_PRIVATE_KEY"},
        ("customers",),
        environments={"production": {}},  # a ChargeOver sandbox is an instance of its own
        instance="CHARGEOVER_BASE_URL",
    ),
}


def provider(name: str, resource: str) -> Provider:
    """The registered provider `name`, checked to have `resource`."""
    found = PROVIDERS.get(name)
    if found is None:
        raise ConfigurationError(f"unknown provider {name!r}; known: {', '.join(PROVIDERS)}")
    if resource not in found.resources:
        raise ConfigurationError(
            f"provider {name} has no bulk resource {resource!r}; it has "
            + ", ".join(found.resources)
        )
    return found
