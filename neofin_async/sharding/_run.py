"""`sync_shard(spec)`: the bulk engine on one shard, in whatever process runs it."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

from .._exceptions import ConfigurationError
from ..bulk import BulkOptions
from ..exports import fields_of
from ._input import shard_items
from ._limit import tenant_slot
from ._providers import provider
from ._result import ShardResult
from ._spec import ShardSpec, is_postgres


async def sync_shard(spec: ShardSpec | Mapping[str, Any]) -> ShardResult:
    """Run one shard and return its counts and (at most `max_errors`) items not accepted.

    Engine-agnostic: a Celery task, an RQ job, a Kubernetes Job or a plain script can call
    it. The keys come from this process's environment (see `PROVIDERS`). Running a shard
    twice is harmless: upserts are idempotent by key, and with a shared journal the second
    run sends only what the first did not get accepted."""
    spec = spec if isinstance(spec, ShardSpec) else ShardSpec.model_validate(spec)
    found = provider(spec.provider, spec.resource)
    if spec.tenant_limit is not None and not is_postgres(spec.journal):
        raise ConfigurationError(
            "tenant_limit needs a postgresql:// journal (its slots live there)"
        )
    options = BulkOptions(
        **spec.options.model_dump(),
        journal=spec.journal,
        drain_limit=None,  # a stopped shard still counts every item of its range
    )
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(found.connect(spec.target, spec.tenant))
        resource = getattr(client, spec.resource)
        if spec.tenant_limit is not None:
            assert spec.journal is not None
            account = resource._bulk_tenant()
            slot = tenant_slot(spec.journal, account, spec.tenant_limit, wait=spec.slot_wait)
            await stack.enter_async_context(slot)
        fields = fields_of(spec.resource, spec.provider)
        digests = spec.journal is not None  # Sourced records: an unchanged row is not parsed
        part = await stack.enter_async_context(shard_items(spec.input, fields, digests=digests))
        result = await resource.bulk_upsert(part.items, options)
        return ShardResult.of(spec, result, part.line_of, part.ignored_columns)
