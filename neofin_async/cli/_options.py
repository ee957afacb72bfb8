"""The command line turned, at the edge, into the few typed options each part needs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .._constants import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_CONNECTION_FAILURES,
    DEFAULT_TIMEOUT,
)
from .._exceptions import ConfigurationError
from ..exports import Fields, ReadOptions, check_mapping, fields_of, read_mapping

TargetName = Literal["emulator", "sandbox", "production"]
ProviderName = Literal["neofin", "piriod", "chargeover"]


@dataclass(frozen=True, kw_only=True)
class TargetOptions:
    """Where requests go, and how each request is made."""

    target: TargetName = "emulator"
    provider: ProviderName = "neofin"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int | None = None
    emulator_fail_rate: float | None = None
    emulator_latency_ms: float | None = None
    emulator_seed: int | None = None


@dataclass(frozen=True, kw_only=True)
class SendOptions:
    """How the bulk engine sends the records."""

    concurrency: int = DEFAULT_CONCURRENCY
    chunk_size: int | None = None
    """None: the provider's maximum."""
    deadline: float | None = None
    journal: str | None = None
    detect_duplicates: bool = True
    """Refuse a repeated key (invalid, naming the line of the first); `--allow-duplicates`."""
    max_connection_failures: int | None = DEFAULT_MAX_CONNECTION_FAILURES


@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    """What the run tells a person while it runs and after."""

    path: str | None = None
    """`--report FILE.json`."""
    progress_every: float = 2.0


@dataclass(frozen=True, kw_only=True)
class ShardingOptions:
    """`--shards N`: the file cut into N shards run by Celery workers."""

    shards: int
    broker: str | None = field(default=None, repr=False)
    """Default: `CELERY_BROKER_URL` (Celery reads it). May hold a password: never printed."""
    result_backend: str | None = field(default=None, repr=False)
    queue: str | None = None
    tenant: str | None = None
    tenant_limit: int | None = None


@dataclass(frozen=True, kw_only=True)
class UpsertOptions:
    fields: Fields
    read: ReadOptions
    target: TargetOptions
    send: SendOptions
    report: ReportOptions
    sharding: ShardingOptions | None = None


def target_options(args: argparse.Namespace) -> TargetOptions:
    return TargetOptions(
        target=args.target,
        provider=getattr(args, "provider", "neofin"),
        base_url=args.base_url,
        api_key=args.api_key,
        secret_key=args.secret_key,
        timeout=args.timeout,
        max_retries=args.max_retries,
        emulator_fail_rate=getattr(args, "emulator_fail_rate", None),
        emulator_latency_ms=getattr(args, "emulator_latency_ms", None),
        emulator_seed=getattr(args, "emulator_seed", None),
    )


def upsert_options(args: argparse.Namespace) -> UpsertOptions:
    """Every `upsert` flag, checked (a bad mapping or pattern is a usage error, exit 2)."""
    fields = fields_of(args.resource, args.provider)
    columns: dict[str, str | None] = read_mapping(args.columns) if args.columns else {}
    columns.update(args.column or ())  # --column wins over the --columns file
    check_mapping(columns, fields)
    if args.date_format is not None:
        _check_date_format(args.date_format)
    return UpsertOptions(
        fields=fields,
        read=ReadOptions(
            path=args.file,
            format=args.format,
            encoding=args.encoding,
            amount_unit=args.amount_unit,
            date_format=args.date_format,
            columns=columns,
            ignore_unknown_columns=args.ignore_unknown_columns,
        ),
        target=target_options(args),
        send=SendOptions(
            concurrency=args.concurrency,
            chunk_size=args.chunk_size,
            deadline=args.deadline,
            journal=args.journal,
            detect_duplicates=not args.allow_duplicates,
            max_connection_failures=args.max_connection_failures or None,
        ),
        report=ReportOptions(path=args.report, progress_every=args.progress_every),
        sharding=_sharding_options(args),
    )


def _sharding_options(args: argparse.Namespace) -> ShardingOptions | None:
    if args.shards is None:
        for flag in ("broker", "result_backend", "queue", "tenant", "tenant_limit"):
            if getattr(args, flag) is not None:
                name = "--" + flag.replace("_", "-")
                raise ConfigurationError(f"{name} applies to sharded runs only (with --shards N)")
        return None
    return ShardingOptions(
        shards=args.shards,
        broker=args.broker,
        result_backend=args.result_backend,
        queue=args.queue,
        tenant=args.tenant,
        tenant_limit=args.tenant_limit,
    )


def _check_date_format(pattern: str) -> None:
    """A strftime pattern that reads back what it writes (`%d.%m.%Y`, `%Y%m%d`)."""
    probe = datetime(2027, 3, 15, 13, 45, 30)
    try:
        written = probe.strftime(pattern)
        datetime.strptime(written, pattern)
    except ValueError:
        written = ""
    if "%" not in pattern or not written:
        raise ConfigurationError(
            f"--date-format {pattern!r} is not a strftime pattern (e.g. %d.%m.%Y or %Y%m%d)"
        )
