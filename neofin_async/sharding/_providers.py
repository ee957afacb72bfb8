"""Which providers a shard can target, and how a worker finds their keys.

A provider is one entry of `PROVIDERS`: its client class, the client arguments that hold
credentials with the environment variable each is read from, and its bulk resources.
Piriod and ChargeOver are one entry each once their clients land, e.g.::

    "piriod": Provider("neofin_async.piriod:PiriodClient",
                       {"api_token": "PIRIOD_API_TOKEN", "workspace": "PIRIOD_WORKSPACE"},
                       ("customers",)),

Keys per tenant: the tenant's name goes after the provider prefix, upper-cased, with `-` as
`_` (tenant `acme-co`: `NEOFIN_ACME_CO_API_KEY`, `NEOFIN_ACME_CO_SECRET_KEY`). A tenant
with none of its variables set uses the unprefixed ones (`NEOFIN_API_KEY`, ...); a tenant
with only some is refused, so one tenant's key is never paired with another's.
On a worker serving several accounts, leave the unprefixed variables unset: a tenant
whose keys are missing then fails instead of sending to the default account.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
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
    environments: bool = False
    """Whether the client takes `environment="sandbox" | "production"`."""

    def connect(self, target: ShardTarget, tenant: str | None) -> Any:
        """The provider's client for `target`, with the keys of `tenant` from the
        environment."""
        module, _, name = self.client.partition(":")
        client_class = getattr(importlib.import_module(module), name)
        options: dict[str, Any] = dict(self.credentials_for(tenant))
        if target.base_url is not None:
            options["base_url"] = target.base_url
        if target.environment is not None:
            if not self.environments:
                raise ConfigurationError("this provider has no named environments: give base_url")
            options["environment"] = target.environment
        if target.timeout is not None:
            options["timeout"] = target.timeout
        if target.max_retries is not None:
            options["max_retries"] = target.max_retries
        return client_class(**options)

    def credentials_for(
        self, tenant: str | None, environ: Mapping[str, str] = os.environ
    ) -> dict[str, str]:
        """The client's credential arguments for `tenant`, read from `environ` (values are
        never put in a message)."""
        names = {arg: tenant_variable(env, tenant) for arg, env in self.credentials.items()}
        found = {arg: value for arg, name in names.items() if (value := environ.get(name, ""))}
        if tenant is not None and found and len(found) < len(names):
            missing = ", ".join(name for arg, name in names.items() if arg not in found)
            raise ConfigurationError(f"tenant {tenant}: {missing} is not set on this worker")
        if tenant is not None and not found:
            names = dict(self.credentials)
            found = {arg: value for arg, name in names.items() if (value := environ.get(name, ""))}
        if len(found) < len(names):
            wanted = " and ".join(names.values())
            whose = f"tenant {tenant}" if tenant is not None else "this shard"
            raise ConfigurationError(f"no keys for {whose}: set {wanted} on the worker")
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
        environments=True,
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
