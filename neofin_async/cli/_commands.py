"""`get`, `list`, `sample` and `emulator`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from .._exceptions import ConfigurationError
from ..exports import FORMATS, Format, write_records
from . import _sample
from ._options import TargetOptions
from ._target import connect

EMPTY_EMULATOR_HINT = (
    "A fresh built-in emulator holds nothing; point --base-url at a served one "
    "(neofin-async emulator) to read what was upserted there."
)


def _json(model: BaseModel, indent: int | None = 2) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=indent)


async def get(
    settings: TargetOptions,
    resource: str,
    id: str,
    *,
    by_number: bool = False,
    by_document: bool = False,
) -> int:
    async with connect(settings) as target:
        if target.is_emulator and not settings.base_url:
            print(EMPTY_EMULATOR_HINT, file=sys.stderr)
        if resource == "billing":
            billings = target.client.billings
            found: BaseModel = await (
                billings.retrieve_by_number(id) if by_number else billings.retrieve(id)
            )
        else:
            customers = target.client.customers
            by = customers.retrieve_by_document if by_document else customers.retrieve
            found = await by(id)
    print(_json(found))
    return 0


async def list_(
    settings: TargetOptions, *, status: str | None, limit: int | None, jsonl: bool
) -> int:
    """Print every billing (or those in `status`) as a JSON array, or JSON Lines."""
    out = sys.stdout
    count = 0
    async with connect(settings) as target:
        if target.is_emulator and not settings.base_url:
            print(EMPTY_EMULATOR_HINT, file=sys.stderr)
        async for billing in target.client.billings.list(status=status):
            if limit is not None and count >= limit:
                break
            if jsonl:
                out.write(_json(billing, None) + "\n")
            else:
                item = "\n".join("  " + line for line in _json(billing).splitlines())
                out.write(("[\n" if count == 0 else ",\n") + item)
            count += 1
    if not jsonl:
        out.write("\n]\n" if count else "[]\n")
    out.flush()
    return 0


def sample(
    resource: str,
    count: int,
    output: str | None,
    *,
    format: Format | None = None,
    seed: int | None = None,
    provider: str = "neofin",
) -> int:
    """Write N fictitious, valid records (CSV or JSON Lines) to `output` or stdout, one at a
    time (a million rows never sit in memory)."""
    if count < 0:
        raise ValueError("N must not be negative")
    chosen = format or FORMATS.get(_extension(output), "csv")
    records, columns = _samples(provider, resource, count, seed, chosen)
    if output in (None, "-"):
        write_records(records, columns, sys.stdout, chosen)
        return 0
    with open(output, "w", encoding="utf-8", newline="") as file:
        written = write_records(records, columns, file, chosen)
    print(f"Wrote {written} {resource} to {output} ({chosen})", file=sys.stderr)
    return 0


def _samples(
    provider: str, resource: str, count: int, seed: int | None, format: Format
) -> tuple[Iterator[dict[str, Any]], tuple[str, ...]]:
    """The sample records of `provider`'s `resource` and their CSV columns."""
    if provider == "neofin":
        if resource == "billings":
            return _sample.billings(count, seed), _sample.BILLING_COLUMNS
        return _sample.customers(count, seed), _sample.CUSTOMER_COLUMNS
    if resource != "customers":
        raise ConfigurationError(f"provider {provider} has no {resource}; it has customers")
    if provider == "piriod":
        from ..piriod import CUSTOMER_COLUMNS, flat, sample_customers

        customers = sample_customers(count, seed)  # nested dicts: JSON Lines keep them nested
        return (map(flat, customers) if format == "csv" else customers), CUSTOMER_COLUMNS
    from ..chargeover import CUSTOMER_COLUMNS as CHARGEOVER_COLUMNS
    from ..chargeover import sample_customers as chargeover_customers

    return chargeover_customers(count, seed), CHARGEOVER_COLUMNS


def _extension(path: str | None) -> str:
    return "" if not path or "." not in path else "." + path.rsplit(".", 1)[1].lower()


def emulator(args: argparse.Namespace) -> int:
    """Serve the chosen provider's emulator until interrupted (Ctrl-C), or print its OpenAPI
    description (`--openapi`)."""
    from .._emulation import run_emulator

    return run_emulator(args)
