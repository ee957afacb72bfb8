"""One sync across many machines: a file split into shards, each a JSON-able spec that any
worker runs with `sync_shard(spec)`, sharing a PostgreSQL journal.

    specs = plan_file("/shared/big.csv", 8, resource="billings",
                      journal="postgresql://sync@db/neofin")
    results = [await sync_shard(spec) for spec in specs]   # anywhere, in any order
    report = fold(results, len(specs))

`neofin_async.contrib.celery` runs the shards on Celery workers.
"""

from ..exports import ReadSettings
from ._limit import TenantBusy, tenant_slot
from ._plan import plan_file, split_file
from ._providers import PROVIDERS, Provider, tenant_variable
from ._result import NotAccepted, ShardReport, ShardResult, ShardRun, ShardsIncomplete, fold
from ._run import sync_shard
from ._spec import (
    FileRange,
    InlineRows,
    ShardOptions,
    ShardSpec,
    ShardTarget,
)

__all__ = [
    "PROVIDERS",
    "FileRange",
    "InlineRows",
    "NotAccepted",
    "Provider",
    "ReadSettings",
    "ShardOptions",
    "ShardReport",
    "ShardResult",
    "ShardRun",
    "ShardSpec",
    "ShardTarget",
    "ShardsIncomplete",
    "TenantBusy",
    "fold",
    "plan_file",
    "split_file",
    "sync_shard",
    "tenant_slot",
    "tenant_variable",
]
