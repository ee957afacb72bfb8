"""`get`, `list`, `sample` and `emulator`."""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import BaseModel

from . import _sample
from ._files import FORMATS, write_records
from ._target import connect

EMPTY_EMULATOR_HINT = (
    "A fresh built-in emulator holds nothing; point --base-url at a served one "
    "(neofin-async emulator) to read what was upserted there."
)


def _json(model: BaseModel, indent: int | None = 2) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=indent)


async def get(args: argparse.Namespace) -> int:
    async with connect(args) as target:
        if target.is_emulator and not args.base_url:
            print(EMPTY_EMULATOR_HINT, file=sys.stderr)
        if args.resource == "billing":
            billings = target.client.billings
            found: BaseModel = await (
                billings.retrieve_by_number(args.id)
                if args.by_number
                else billings.retrieve(args.id)
            )
        else:
            customers = target.client.customers
            by = customers.retrieve_by_document if args.by_document else customers.retrieve
            found = await by(args.id)
    print(_json(found))
    return 0


async def list_(args: argparse.Namespace) -> int:
    """Print every billing (or those in `--status`) as a JSON array, or JSON Lines."""
    out = sys.stdout
    count = 0
    async with connect(args) as target:
        if target.is_emulator and not args.base_url:
            print(EMPTY_EMULATOR_HINT, file=sys.stderr)
        async for billing in target.client.billings.list(status=args.status):
            if args.limit is not None and count >= args.limit:
                break
            if args.jsonl:
                out.write(_json(billing, None) + "\n")
            else:
                item = "\n".join("  " + line for line in _json(billing).splitlines())
                out.write(("[\n" if count == 0 else ",\n") + item)
            count += 1
    if not args.jsonl:
        out.write("\n]\n" if count else "[]\n")
    out.flush()
    return 0


def sample(args: argparse.Namespace) -> int:
    """Write N fictitious, valid records (CSV or JSON Lines) to `-o` or stdout."""
    if args.count < 0:
        raise ValueError("N must not be negative")
    format = args.format or FORMATS.get(_extension(args.output), "csv")
    columns: tuple[str, ...]
    if args.resource == "billings":
        records = _sample.billings(args.count, args.seed)
        columns = _sample.BILLING_COLUMNS
    else:
        records = _sample.customers(args.count, args.seed)
        columns = _sample.CUSTOMER_COLUMNS
    if args.output in (None, "-"):
        write_records(records, columns, sys.stdout, format)
        return 0
    with open(args.output, "w", encoding="utf-8", newline="") as file:
        count = write_records(records, columns, file, format)
    print(f"Wrote {count} {args.resource} to {args.output} ({format})", file=sys.stderr)
    return 0


def _extension(path: str | None) -> str:
    return "" if not path or "." not in path else "." + path.rsplit(".", 1)[1].lower()


def emulator(args: argparse.Namespace) -> int:
    """Serve the chosen provider's emulator until interrupted (Ctrl-C), or print its OpenAPI
    description (`--openapi`)."""
    from .._emulation import run_emulator

    return run_emulator(args)
