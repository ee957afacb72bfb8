"""The `neofin-async` argument parser."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from .._constants import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_CONNECTION_FAILURES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_BATCH_SIZE,
)
from .._emulation import add_emulator_arguments
from .._version import __version__

PROG = "neofin-async"
PROVIDERS = ("neofin", "piriod", "chargeover")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (`neofin-async: error: ...`), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def _number(
    kind: type[int] | type[float], low: float | None, high: float | None = None
) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"{text} must be {bounds}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _column(text: str) -> tuple[str, str | None]:
    """`--column "Código=integration_identifier"` -> `("Código", "integration_identifier")`;
    `"Observação="` drops that column."""
    source, equals, field = text.rpartition("=")
    if not equals or not source.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected SOURCE=FIELD, e.g. 'Valor=amount'")
    return source.strip(), field.strip() or None


def _target_options() -> _Parser:
    options = _Parser(add_help=False)
    group = options.add_argument_group("target")
    group.add_argument(
        "--target",
        choices=("emulator", "sandbox", "production"),
        default="emulator",
        help="where requests go (default: emulator, a built-in in-process emulator: "
        "nothing is sent to Neofin)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help="another base URL; with --target emulator, a served emulator "
        "(e.g. http://127.0.0.1:8765)",
    )
    group.add_argument(
        "--api-key", help="default: $NEOFIN_API_KEY (preferable: a flag shows in `ps`)"
    )
    group.add_argument("--secret-key", help="default: $NEOFIN_SECRET_KEY (preferable, too)")
    group.add_argument(
        "--timeout",
        type=_number(float, 0.1),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per request (default {DEFAULT_TIMEOUT:g})",
    )
    group.add_argument(
        "--max-retries",
        type=_number(int, 0),
        metavar="N",
        help=f"retries of a failed request (default {DEFAULT_MAX_RETRIES})",
    )
    return options


def build_parser(
    run: Mapping[str, Callable[[argparse.Namespace], object]],
    argv: Sequence[str] | None = None,
) -> argparse.ArgumentParser:
    """The parser; `run[command]` becomes the `run` default of each command. The emulator
    command's options come from every provider's emulator, whose imports take a tenth of a
    second: given the `argv` it will parse, the parser has them only for that command."""
    parser = _Parser(
        prog=PROG,
        description="Sync billings and customers to Neofin (or customers to Piriod and "
        "ChargeOver), or try it on the built-in emulators.",
        epilog="Exit codes: 0 all accepted, 1 some item not accepted, 2 usage or configuration.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    target = _target_options()

    upsert = commands.add_parser(
        "upsert",
        parents=[target],
        help="upsert billings or customers from a CSV or JSON Lines file",
        description="Upsert every record of FILE (CSV or JSON Lines, '-' for stdin). Columns "
        "are named like the API fields or mapped with --column/--columns (headers match "
        "ignoring case and accents). Cells are trimmed; an empty cell is an absent field; "
        "recipients may be ';'-separated; booleans true/false/1/0/sim/não; dates day first "
        "(15/03/2027, 15/03/27, 15-03-2027: that day in São Paulo), ISO or Unix seconds. "
        "Excel's 'sep=;' first line is honoured.",
    )
    upsert.add_argument("resource", choices=("billings", "customers"))
    upsert.add_argument("file", metavar="FILE", help="CSV or JSON Lines file, '-' for stdin")
    upsert.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="neofin",
        help="the billing system (default neofin; piriod and chargeover take customers): "
        "its built-in emulator unless --base-url or --target says otherwise; the real API "
        "reads PIRIOD_API_TOKEN/PIRIOD_WORKSPACE or CHARGEOVER_PUBLIC_KEY/"
        "CHARGEOVER_PRIVATE_KEY/CHARGEOVER_BASE_URL",
    )
    upsert.add_argument(
        "--format", choices=("csv", "jsonl"), help="default: from the extension, else the content"
    )
    upsert.add_argument(
        "--encoding",
        default="utf-8",
        help="text encoding of FILE (default utf-8; e.g. cp1252 for many ERP exports); "
        "UTF-16 (Excel's 'Unicode text') is recognised by its BOM",
    )
    columns = upsert.add_argument_group("columns and values")
    columns.add_argument(
        "--column",
        action="append",
        type=_column,
        metavar="SOURCE=FIELD",
        help="read column SOURCE as FIELD (repeatable), e.g. --column 'Valor=amount'; "
        "'SOURCE=' drops it",
    )
    columns.add_argument(
        "--columns",
        metavar="FILE.json",
        help='a mapping file: {"Source header": "field", ...} (null drops a column)',
    )
    columns.add_argument(
        "--ignore-unknown-columns",
        action="store_true",
        help="drop the columns that are not fields (named once in the summary) instead of "
        "refusing the file",
    )
    columns.add_argument(
        "--date-format",
        metavar="PATTERN",
        help="a strftime pattern for dates written otherwise, e.g. %%Y%%m%%d or %%m/%%d/%%Y",
    )
    columns.add_argument(
        "--amount-unit",
        choices=("centavos", "reais"),
        default="centavos",
        help="unit of the amount column (default centavos; reais: 1234.56 or 1.234,56); "
        "fees, fine and discount_before_payment are sent as given",
    )
    upsert.add_argument(
        "--concurrency",
        type=_number(int, 1),
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight (default {DEFAULT_CONCURRENCY})",
    )
    upsert.add_argument(
        "--chunk-size",
        type=_number(int, 1, MAX_BATCH_SIZE),
        metavar="N",
        help=f"items per request (default and maximum: the provider's, Neofin {MAX_BATCH_SIZE}, "
        "ChargeOver 25, Piriod 10 requests at once)",
    )
    upsert.add_argument(
        "--deadline",
        type=_number(float, 0.001),
        metavar="SECONDS",
        help="stop sending after this long; the rest is reported not_sent",
    )
    upsert.add_argument(
        "--journal",
        metavar="FILE",
        help="SQLite journal (or a postgresql:// DSN): a later run with the same journal "
        "sends only the rows that changed, or were not accepted yet (a crash, a stop)",
    )
    upsert.add_argument(
        "--report",
        metavar="FILE.json",
        help="write the totals and every item not accepted (line, identifier, state, reason)",
    )
    upsert.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="send a repeated integration_identifier again (the last one wins) instead of "
        "refusing it (invalid, naming the line of the first)",
    )
    upsert.add_argument(  # the default now; kept so that older scripts keep working
        "--detect-duplicates", action="store_true", help=argparse.SUPPRESS
    )
    upsert.add_argument(
        "--max-connection-failures",
        type=_number(int, 0),
        default=DEFAULT_MAX_CONNECTION_FAILURES,
        metavar="N",
        help="stop after N chunks in a row fail to reach the API (the rest is not_sent; "
        f"--journal resumes it) (default {DEFAULT_MAX_CONNECTION_FAILURES}; 0: never stop)",
    )
    upsert.add_argument(
        "--progress-every",
        type=_number(float, 0.01),
        default=2.0,
        metavar="SECONDS",
        help="interval of the plain progress lines when stderr is not a terminal (default 2)",
    )
    shards = upsert.add_argument_group(
        "several machines (Celery workers: see neofin_async.contrib.celery)"
    )
    shards.add_argument(
        "--shards",
        type=_number(int, 1),
        metavar="N",
        help="cut FILE into N line-aligned shards run by Celery workers (FILE on storage every "
        "worker reads at the same path; the keys come from the workers' environment); waits "
        "and prints the same summary and --report",
    )
    shards.add_argument("--broker", metavar="URL", help="default: $CELERY_BROKER_URL")
    shards.add_argument(
        "--result-backend",
        metavar="URL",
        help="default: $CELERY_RESULT_BACKEND (Redis or a database: it stores the shards' "
        "results for the fold)",
    )
    shards.add_argument("--queue", metavar="NAME", help="the Celery queue (default: celery)")
    shards.add_argument(
        "--tenant",
        metavar="NAME",
        help="whose keys the workers use: NEOFIN_<NAME>_API_KEY, ... (default: the unprefixed "
        "variables)",
    )
    shards.add_argument(
        "--tenant-limit",
        type=_number(int, 1),
        metavar="N",
        help="at most N shards of this account at once across workers (needs a postgresql:// "
        "--journal)",
    )
    faults = upsert.add_argument_group("built-in emulator (to try failures)")
    faults.add_argument(
        "--emulator-fail-rate",
        type=_number(float, 0.0, 1.0),
        metavar="RATE",
        help="share of requests the emulator answers with a 500 (e.g. 0.2)",
    )
    faults.add_argument(
        "--emulator-latency-ms",
        type=_number(float, 0.0),
        metavar="MS",
        help="latency the emulator adds to every request",
    )
    faults.add_argument(
        "--emulator-seed", type=int, metavar="S", help="seed of the emulator's fault draws"
    )
    upsert.set_defaults(run=run["upsert"])

    get = commands.add_parser("get", parents=[target], help="print one billing or customer as JSON")
    get.add_argument("resource", choices=("billing", "customer"))
    get.add_argument("id", metavar="ID", help="its integration_identifier")
    get.add_argument(
        "--by-number", action="store_true", help="ID is Neofin's billing_number (billings)"
    )
    get.add_argument("--by-document", action="store_true", help="ID is a CPF or CNPJ (customers)")
    get.set_defaults(run=run["get"])

    list_ = commands.add_parser("list", parents=[target], help="print billings as JSON")
    list_.add_argument("resource", choices=("billings",))
    list_.add_argument("--status", help="only billings in this status (e.g. pending, paid)")
    list_.add_argument("--limit", type=_number(int, 0), metavar="N", help="at most N billings")
    list_.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    list_.set_defaults(run=run["list"])

    sample = commands.add_parser(
        "sample",
        help="write realistic fictitious billings or customers to try the tool",
        description="Neofin: valid CPFs and CNPJs, real cities with their UF, CEP range and DDD, "
        "E.164 phones, e-mails @example.com, due dates in the future, amounts in centavos.",
    )
    sample.add_argument("resource", choices=("billings", "customers"))
    sample.add_argument("count", type=_number(int, 0), metavar="N")
    sample.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="neofin",
        help="whose fields (default neofin; piriod: Chilean and Mexican customers with valid "
        "RUTs and RFCs; chargeover: mostly US customers)",
    )
    sample.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    sample.add_argument(
        "--format", choices=("csv", "jsonl"), help="default: from -o's extension, else csv"
    )
    sample.add_argument("--seed", type=int, metavar="S", help="the same seed, the same data")
    sample.set_defaults(run=run["sample"])

    emulator = commands.add_parser(
        "emulator",
        help="serve a billing API emulator over HTTP (uvicorn; --provider, default neofin)",
        description="Serve a local, stateful emulator of Neofin (or --provider piriod, "
        "chargeover) until Ctrl-C; prints its base URL and test keys. Nothing is sent anywhere.",
    )
    if argv is None or _command_in(argv) in ("emulator", None):
        add_emulator_arguments(emulator)
    emulator.set_defaults(run=run["emulator"])
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` names: its first word that is not an option (the top level takes
    none with a value), or None."""
    return next((word for word in argv if not word.startswith("-")), None)
