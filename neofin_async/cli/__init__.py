"""The `neofin-async` command: sync an ERP export to Neofin (or customers to Piriod and
ChargeOver), try it on the built-in emulators, or shard it over Celery workers.

    neofin-async upsert billings examples/data/billings.csv          # the built-in emulator
    neofin-async upsert billings export.csv --target sandbox --report report.json
    neofin-async upsert customers clientes.csv --provider piriod     # Piriod's emulator
    neofin-async upsert billings big.csv --shards 8 --broker amqp://... --journal postgresql://...
    neofin-async sample billings 1000 -o billings.csv
    neofin-async get billing ERP-000001 --target sandbox
    neofin-async list billings --status pending --target sandbox
    neofin-async emulator --port 8765

Exit codes: 0 every item accepted (or the command succeeded), 1 some item was not accepted (or
the API refused a request), 2 usage or configuration errors. Errors are one line, no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import sqlite3
import sys
from collections.abc import Sequence

from .._exceptions import APIError, AuthenticationError, NeofinError
from ._parser import PROG, build_parser

__all__ = ["main"]


def _run_upsert(args: argparse.Namespace) -> object:
    from ._options import upsert_options
    from ._upsert import upsert

    return upsert(upsert_options(args))


def _run_get(args: argparse.Namespace) -> object:
    from ._commands import get
    from ._options import target_options

    return get(
        target_options(args), args.resource, args.id, by_number=args.by_number,
        by_document=args.by_document,
    )  # fmt: skip


def _run_list(args: argparse.Namespace) -> object:
    from ._commands import list_
    from ._options import target_options

    return list_(target_options(args), status=args.status, limit=args.limit, jsonl=args.jsonl)


def _run_sample(args: argparse.Namespace) -> object:
    from ._commands import sample

    return sample(
        args.resource, args.count, args.output, format=args.format, seed=args.seed,
        provider=args.provider,
    )  # fmt: skip


def _run_emulator(args: argparse.Namespace) -> object:
    from ._commands import emulator

    return emulator(args)


_COMMANDS = {
    "upsert": _run_upsert,
    "get": _run_get,
    "list": _run_list,
    "sample": _run_sample,
    "emulator": _run_emulator,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code (0, 1 or 2; 130 when interrupted)."""
    try:
        words = sys.argv[1:] if argv is None else argv
        args = build_parser(_COMMANDS, words).parse_args(words)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0
    try:
        outcome = args.run(args)
        code = asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome
        return int(code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # `neofin-async sample billings 10000 | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except AuthenticationError as exc:  # wrong keys: configuration
        return _fail(str(exc), 2)
    except APIError as exc:
        return _fail(str(exc), 1)
    except (NeofinError, OSError, ValueError, sqlite3.Error) as exc:
        return _fail(_describe(exc), 2)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    return code
