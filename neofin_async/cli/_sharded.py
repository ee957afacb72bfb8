"""`neofin-async upsert ... --shards N`: the file cut into shards that Celery workers run, the
same summary and `--report` as a single-machine run once their report is folded."""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from .._exceptions import ConfigurationError, NeofinError
from ..exports import Fields, Layout, ReadOptions, Records
from ..sharding import PROVIDERS
from ._options import TargetOptions, UpsertOptions
from ._progress import print_summary
from ._target import LABELS, refuse_emulator_options
from ._upsert import check_writable, is_dsn, notes, show_errors, write_report


class ShardedSource:
    """The names the summary and the report give items of a sharded run: the file, its
    header's layout (read here) and the lines the shards reported."""

    def __init__(self, records: Records, lines: dict[int, int | None], ignored: list[str]):
        self.name = records.name
        self.fields: Fields = records.fields
        self.layout: Layout = records.layout
        self.ignored_columns = tuple(dict.fromkeys([*records.ignored_columns, *ignored]))
        self._lines = lines

    def line_of(self, index: int) -> int | None:
        return self._lines.get(index)


async def upsert_sharded(options: UpsertOptions) -> int:
    """Plan, enqueue, wait, then print and write what a single run would."""
    sharding = options.sharding
    assert sharding is not None
    read, send = options.read, options.send
    check_writable(options.report.path, "--report")
    if read.path == "-":
        raise ConfigurationError("--shards needs a file every worker can read, not stdin")
    if send.journal is not None and not is_dsn(send.journal):
        raise ConfigurationError(
            "--shards shares one journal between machines: give --journal postgresql://... "
            "(a SQLite file cannot be shared safely)"
        )
    broker = sharding.broker or os.environ.get("CELERY_BROKER_URL")
    if not broker:
        raise ConfigurationError(
            "--shards needs a broker: pass --broker URL or set CELERY_BROKER_URL"
        )
    target, where = _shard_target(options.target)
    path = os.path.abspath(read.path)  # noqa: ASYNC240 (no I/O: workers need the whole path)
    header = Records(ReadOptions(path=path, **read.settings.model_dump()), options.fields)
    header.close()  # the header is checked here (unknown columns: exit 2, nothing sent)
    from ..contrib.celery import upsert_sharded as run

    spec: dict[str, Any] = {
        "provider": options.target.provider,
        "resource": options.fields.resource,
        "target": target,
        "journal": send.journal,
        "tenant": sharding.tenant,
        "tenant_limit": sharding.tenant_limit,
        "options": {
            "concurrency": send.concurrency,
            "chunk_size": send.chunk_size,
            "deadline": send.deadline,
            "detect_duplicates": send.detect_duplicates,
            "max_connection_failures": send.max_connection_failures,
        },
    }
    print(
        f"Target: {where}, through {sharding.shards} shards run by Celery workers (queue "
        f"{sharding.queue or 'celery'}); waiting for their report (Ctrl-C stops waiting, "
        "not the shards).",
        file=sys.stderr,
        flush=True,
    )
    try:
        report = await run(
            header.path, sharding.shards, broker=broker, backend=sharding.result_backend,
            queue=sharding.queue, read=read.settings, on_progress=_progress, **spec,
        )  # fmt: skip
    except ValidationError as exc:
        raise ConfigurationError("; ".join(str(e["msg"]) for e in exc.errors())) from None
    except (NeofinError, OSError, ValueError):
        raise
    except Exception as exc:  # the broker or result backend: one line, no URL secret
        text = _redact(f"{type(exc).__name__}: {exc}", broker, sharding.result_backend)
        raise ConfigurationError(f"the Celery broker or result backend failed: {text}") from None
    result = report.to_bulk_result()
    lines = {e.index: e.line for e in report.errors if e.index is not None}
    lines |= {
        e.duplicate_of: e.duplicate_of_line for e in report.errors if e.duplicate_of is not None
    }
    source = ShardedSource(header, lines, report.ignored_columns)
    resource = options.fields.resource
    title = f"{resource} from {header.name} -> {where} ({report.shards} shards)"
    print_summary(result, title, notes=notes(source))
    show_errors(result, source, omitted=report.errors_omitted)
    if result.stopped_by is not None:
        print(f"The run stopped early: {result.stopped_by}.")
        again = (
            " (with the same --journal)" if send.journal else ", with --journal postgresql://..."
        )
        print(f"Run the same command again{again} to send the rest.")
    if options.report.path:
        extra = {
            "shards": report.shards,
            "errors_omitted": report.errors_omitted,
            "stopped": {str(n): why for n, why in report.stopped.items()},
            "missing": report.missing,
            "runs": [shard.model_dump(mode="json") for shard in report.runs],
        }
        write_report(options.report.path, result, source, where, extra)
        print(f"Report: {options.report.path}", file=sys.stderr)
    if options.target.target == "emulator":
        print(f"Nothing went to {LABELS[options.target.provider]}: this ran against {where}.",
              file=sys.stderr)  # fmt: skip
    if report.keys_refused:
        shards = ", ".join(map(str, report.keys_refused))
        why = report.stopped.get(report.keys_refused[0], "")
        raise ConfigurationError(
            f"the API refused the keys of the workers that ran shard(s) {shards}: {why}"
        )
    return 0 if result.ok and not report.missing else 1


def _shard_target(settings: TargetOptions) -> tuple[dict[str, Any], str]:
    """The spec's target (no key: workers read theirs) and where it goes, for humans."""
    label = LABELS[settings.provider]
    if settings.api_key or settings.secret_key:
        raise ConfigurationError(
            "--shards: the workers read the keys from their own environment (a shard spec "
            "carries no secret); drop --api-key and --secret-key"
        )
    refuse_emulator_options(settings, "--shards")
    target: dict[str, Any] = {}
    if settings.target == "emulator":
        if not settings.base_url:
            raise ConfigurationError(
                "--shards: the built-in emulator lives in this process, where the workers "
                "cannot reach it; serve one (neofin-async emulator) and pass --base-url, or "
                "use --target sandbox or production"
            )
        where = f"the {label} emulator at {settings.base_url}"
    else:
        if settings.target not in PROVIDERS[settings.provider].environments:
            raise ConfigurationError(
                f"{label} has no {settings.target} environment (a ChargeOver sandbox is an "
                "instance of its own: point CHARGEOVER_BASE_URL or --base-url at it and use "
                "--target production)"
            )
        target["environment"] = settings.target
        where = f"{label} {settings.target}"
        if settings.base_url:
            where += f" ({settings.base_url})"
    if settings.base_url:
        target["base_url"] = settings.base_url
    target["timeout"] = settings.timeout
    if settings.max_retries is not None:
        target["max_retries"] = settings.max_retries
    return target, where


def _progress(done: int, total: int) -> None:
    print(f"shards done: {done}/{total}", file=sys.stderr, flush=True)


def _redact(text: str, *urls: str | None) -> str:
    """`text` without the passwords of `urls`."""
    for url in urls:
        password = urlsplit(url).password if url else None
        if password:
            text = text.replace(password, "***")
    return text
