"""A nightly job: send the ERP's open receivables to Neofin, confirm them, print a report.

    pip install -e .                    # from a clone; or: pip install neofin-async
    python examples/erp_sync.py         # against the in-process emulator: no keys needed

    export NEOFIN_API_KEY=... NEOFIN_SECRET_KEY=...     # then it runs against Neofin's
    python examples/erp_sync.py                         # sandbox (NEOFIN_ENVIRONMENT), or
    python examples/erp_sync.py --target production     # say so explicitly

The first run creates the ERP database (`--db`, default `erp.sqlite`) with `--rows` sample
receivables: fictitious customers with valid CPFs and CNPJs. Each run then

1. streams the open receivables out of SQLite a few hundred rows at a time (never the whole
   table in memory), mapping each row to a Neofin billing;
2. sends them with `bulk_upsert` and a journal: if the job is killed, running it again the
   same night resends only what was not accepted yet. The journal is deleted once a run
   has every row accepted and confirmed;
3. `confirm`s the accepted billings: Neofin answers 202 (queued), so the job reads them
   back until they exist;
4. prints a report (and writes it as JSON with `--report FILE`).

Exit status: 0 when every open receivable is accepted and confirmed, 1 otherwise, 2 for a
configuration error such as missing keys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import anyio

import neofin_async as nf

SCHEMA = """
CREATE TABLE receivables (
    id INTEGER PRIMARY KEY,
    invoice TEXT NOT NULL UNIQUE,           -- the ERP's invoice number
    customer_tax_id TEXT NOT NULL,          -- CPF or CNPJ, punctuated as the ERP keeps it
    customer_name TEXT NOT NULL,
    customer_email TEXT,
    customer_phone TEXT,
    street TEXT, number TEXT, district TEXT, city TEXT, state TEXT, zip TEXT,
    total TEXT NOT NULL,                    -- reais, as decimal text: '1234.56'
    due_on TEXT NOT NULL,                   -- ISO date
    installments INTEGER NOT NULL DEFAULT 1,
    method TEXT NOT NULL,                   -- bolepix, boleto or pix
    status TEXT NOT NULL DEFAULT 'open'     -- open, paid or cancelled
)
"""
OPEN_RECEIVABLES = "SELECT * FROM receivables WHERE status = 'open' ORDER BY id"
READ_BATCH = 200


# -- the ERP side ----------------------------------------------------------------------------


def to_billing(row: sqlite3.Row) -> dict[str, Any] | nf.InvalidItemError:
    """An ERP row as a Neofin billing; the library validates and normalises every field."""
    try:
        amount = nf.centavos(row["total"])
    except ValueError as exc:  # refused like any invalid item: reported, never sent
        return nf.InvalidItemError(row["id"], {"amount": [str(exc)]}, row["invoice"])
    return {
        "integration_identifier": row["invoice"],
        "customer_document": row["customer_tax_id"],
        "customer_name": row["customer_name"],
        "customer_mail": row["customer_email"],
        "customer_phone": row["customer_phone"],
        "address_street": row["street"],
        "address_number": row["number"],
        "address_neighborhood": row["district"],
        "address_city": row["city"],
        "address_state": row["state"],
        "address_zip_code": row["zip"],
        "amount": amount,
        "due_date": row["due_on"],
        "installments": row["installments"],
        "installment_type": "monthly",
        "type": row["method"],
        "description": f"Nota {row['invoice']}",
    }


async def open_billings(db_path: Path) -> AsyncIterator[dict[str, Any] | nf.InvalidItemError]:
    """The open receivables as billings, fetched `READ_BATCH` rows at a time in a worker
    thread, so the event loop keeps sending while SQLite reads."""
    db = sqlite3.connect(db_path, check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        cursor = db.execute(OPEN_RECEIVABLES)
        while rows := await anyio.to_thread.run_sync(cursor.fetchmany, READ_BATCH):
            for row in rows:
                yield to_billing(row)
    finally:
        db.close()


def open_invoices(db_path: Path) -> list[str]:
    """The invoice numbers of the open receivables, to confirm those accepted."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return [invoice for (invoice,) in db.execute(OPEN_RECEIVABLES.replace("*", "invoice"))]


# -- sample data -----------------------------------------------------------------------------

CITIES = (
    ("São Paulo", "SP", "01310-100", 11),
    ("Campinas", "SP", "13015-001", 19),
    ("Rio de Janeiro", "RJ", "20040-002", 21),
    ("Belo Horizonte", "MG", "30130-010", 31),
    ("Curitiba", "PR", "80010-000", 41),
    ("Porto Alegre", "RS", "90010-150", 51),
    ("Salvador", "BA", "40020-000", 71),
    ("Recife", "PE", "50030-230", 81),
    ("Fortaleza", "CE", "60060-440", 85),
    ("Goiânia", "GO", "74003-010", 62),
)
NAMES = ("Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Heitor", "Isabel")
SURNAMES = ("Silva", "Souza", "Oliveira", "Santos", "Pereira", "Costa", "Almeida", "Ribeiro")
TRADES = ("Padaria", "Mercado", "Farmácia", "Oficina", "Papelaria", "Distribuidora")


def check_digits(digits: list[int], weights: list[int]) -> int:
    remainder = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf(rng: random.Random) -> str:
    d = [rng.randrange(10) for _ in range(9)]
    d.append(check_digits(d, list(range(10, 1, -1))))
    d.append(check_digits(d, list(range(11, 1, -1))))
    s = "".join(map(str, d))
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"


def cnpj(rng: random.Random) -> str:
    d = [rng.randrange(10) for _ in range(8)] + [0, 0, 0, 1]
    d.append(check_digits(d, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    d.append(check_digits(d, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    s = "".join(map(str, d))
    return f"{s[:2]}.{s[2:5]}.{s[5:8]}/{s[8:12]}-{s[12:]}"


def sample_customer(rng: random.Random, n: int) -> dict[str, Any]:
    city, state, zip_code, ddd = rng.choice(CITIES)
    first, last = rng.choice(NAMES), rng.choice(SURNAMES)
    company = rng.random() < 0.4
    return {
        "customer_tax_id": cnpj(rng) if company else cpf(rng),
        "customer_name": f"{rng.choice(TRADES)} {last} Ltda" if company else f"{first} {last}",
        "customer_email": f"financeiro{n}@example.com",
        "customer_phone": f"({ddd}) 9{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        "street": "Rua das Flores",
        "number": str(rng.randint(1, 2000)),
        "district": "Centro",
        "city": city,
        "state": state,
        "zip": zip_code,
    }


def sample_rows(count: int, seed: int = 2024) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    customers = [sample_customer(rng, n) for n in range(max(1, count // 3))]
    today = date.today()
    for n in range(1, count + 1):
        yield {
            **rng.choice(customers),
            "invoice": f"NF-{n:06d}",
            "total": f"{rng.randint(50, 9_000)}.{rng.randint(0, 99):02d}",
            "due_on": (today + timedelta(days=rng.randint(5, 90))).isoformat(),
            "installments": rng.choice((1, 1, 1, 2, 3)),
            "method": rng.choice(("bolepix", "bolepix", "boleto", "pix")),
        }


def create_database(path: Path, rows: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(SCHEMA)
        columns = list(next(sample_rows(1)))
        insert = (
            f"INSERT INTO receivables ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})"
        )
        db.executemany(insert, sample_rows(rows))


# -- the job ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def neofin_client(target: str) -> AsyncIterator[nf.NeofinClient]:
    if target == "emulator":
        from neofin_async.emulator import Emulator

        # Queued upserts take half a second to exist, like Neofin's queue only faster.
        emulator = Emulator(processing_delay=0.5)
        async with emulator.client() as client:
            yield client
    else:
        async with nf.NeofinClient(environment=target) as client:
            yield client


def print_progress(total: int) -> Callable[[nf.Progress], None]:
    """An `on_progress` callback printing a line at every fifth of the run: a job's log."""
    step, printed = max(total // 5, 1), 0

    def on_progress(progress: nf.Progress) -> None:
        nonlocal printed
        if progress.done // step > printed or progress.done == total:
            printed = progress.done // step
            c = progress.counts
            print(
                f"  {progress.done:>6}/{total} sent: {c.accepted} accepted, "
                f"{c.total - c.accepted} not ({progress.requests} requests)"
            )

    return on_progress


async def sync(
    args: argparse.Namespace, db_path: Path, journal: Path, invoices: list[str]
) -> tuple[str, nf.BulkResult, nf.ConfirmResult]:
    """Upsert every open receivable, then confirm the accepted ones. Returns where to."""
    async with neofin_client(args.target) as client:
        emulated = args.target == "emulator"
        where = "the in-process emulator: nothing goes to Neofin" if emulated else client.base_url
        print(f"syncing {len(invoices)} open receivables from {db_path} to {where}")
        result = await client.billings.bulk_upsert(
            open_billings(db_path),
            concurrency=args.concurrency,
            journal=journal,
            on_progress=print_progress(len(invoices)),
            on_retry=lambda r: print(f"  chunk {r.chunk}: retry {r.attempt} in {r.wait:.1f}s"),
        )
        refused = {error.integration_identifier for error in result.errors}
        accepted = [invoice for invoice in invoices if invoice not in refused]
        confirmed = await client.billings.confirm(
            accepted, timeout=args.confirm_timeout, interval=args.confirm_interval
        )
        return client.base_url, result, confirmed


def print_report(result: nf.BulkResult, confirmed: nf.ConfirmResult) -> None:
    counts = result.counts
    print(
        f"\n{result.total} receivables: {counts.accepted} accepted"
        f" ({result.unchanged} unchanged since an earlier run), {counts.rejected} rejected,"
        f" {counts.invalid} invalid, {counts.failed} failed, {counts.not_sent} not sent"
        f"\n{result.requests} requests, {result.retries} retries, {result.elapsed:.2f} s"
        f"\n{len(confirmed.available)} confirmed at Neofin, {len(confirmed.missing)} not yet"
        f" ({confirmed.rounds} rounds)"
    )
    if result.stopped_by:
        print(f"stopped early: {result.stopped_by}")
    for error in sorted(result.errors, key=lambda e: e.index)[:20]:
        print(
            f"  row {error.index + 1} {error.integration_identifier}: {error.status}: "
            f"{error.message}"
        )
    if len(result.errors) > 20:
        print(f"  ... and {len(result.errors) - 20} more (see --report)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="erp.sqlite", help="the ERP database (created if absent)")
    parser.add_argument("--rows", type=int, default=300, help="sample rows of a new database")
    parser.add_argument(
        "--target",
        choices=("emulator", "sandbox", "production"),
        help="default: sandbox (or NEOFIN_ENVIRONMENT) when NEOFIN_API_KEY is set, else emulator",
    )
    parser.add_argument("--journal", help="default: <db>.<today>.journal next to the database")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--report", help="write the report as JSON to this file")
    parser.add_argument("--confirm-timeout", type=float, default=300.0, metavar="SECONDS")
    parser.add_argument("--confirm-interval", type=float, metavar="SECONDS")
    args = parser.parse_args(argv)
    if args.target is None:
        keys = os.environ.get("NEOFIN_API_KEY")
        args.target = os.environ.get("NEOFIN_ENVIRONMENT", "sandbox") if keys else "emulator"
    if args.confirm_interval is None:  # the emulator is quick; Neofin's queue takes seconds
        args.confirm_interval = 0.2 if args.target == "emulator" else 5.0

    db_path = Path(args.db)
    if not db_path.exists():
        create_database(db_path, args.rows)
        print(f"created {db_path} with {args.rows} sample receivables")
    journal = Path(args.journal or db_path.with_suffix(f".{date.today()}.journal"))
    if args.target == "emulator":
        # The in-process emulator forgets everything when the job ends: a journal of an
        # earlier run would skip billings this one has never seen.
        journal.unlink(missing_ok=True)
    try:
        base_url, result, confirmed = asyncio.run(
            sync(args, db_path, journal, open_invoices(db_path))
        )
    except nf.ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print_report(result, confirmed)
    if args.report:
        report = {
            "target": args.target,
            "base_url": base_url,
            **result.to_dict(),
            "confirmed": len(confirmed.available),
            "unconfirmed": confirmed.missing,
        }
        Path(args.report).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    done = result.ok and confirmed.ok
    if done or args.target == "emulator":
        journal.unlink(missing_ok=True)
    else:
        print(f"journal kept: run again to resend only what is missing ({journal})")
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
