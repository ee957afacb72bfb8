"""How much it costs the CLI to read one CSV row, before and after; and `sample`'s memory.

    python -m benchmarks.cli_read [--rows 100000] [--rounds 5] [--baseline REV]
    python -m benchmarks.cli_read --sample-rss 1000000
    python -m benchmarks.cli_read --rerun 1000000

Reading: microseconds per row of the CLI's reader on a 24-column export (the `sample` data),
best of `--rounds` rounds in rotating order, all in this process: the reader of git revision
`--baseline` (loaded from git); today's reader giving dicts; giving `Sourced` records, key and
digest only (a journal re-run skipping an unchanged row); `Sourced` then `load()` (what the
command does, with a journal and without); the same rows as a Brazilian ERP writes them
(cp1252, `;`, `sep=;`, day-first dates, reais, Portuguese headers mapped with `--columns`);
and `csv.reader` alone as the floor. `--sample-rss N`: peak RSS of
`neofin-async sample billings N -o /dev/null` at the baseline revision and today, each in a
fresh process. `--rerun N`: the nightly job through the real command against the sink
(benchmarks/sink.py): N rows without a journal, the same with a journal (its cost), then a
re-run with the same journal where 1% of the rows changed (requests and wall time against
the first run; the median of `--rounds` re-runs). Nothing here asserts; numbers move with
the machine's load, ratios less.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from neofin_async.cli import _sample
from neofin_async.exports import ReadOptions, Records, fields_of, write_records

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "009df61"
"""The last commit before the reader was rewritten (issue 13 item 6: 7.2 us per row)."""
ERP_COLUMNS = {
    "Código": "integration_identifier",
    "Cód. Cliente": "customer_integration_identifier",
    "CPF/CNPJ": "customer_document",
    "Razão Social": "customer_name",
    "Nome Fantasia": "customer_trade_name",
    "E-mail": "customer_mail",
    "Telefone": "customer_phone",
    "Logradouro": "address_street",
    "Número": "address_number",
    "Complemento": "address_complement",
    "Bairro": "address_neighborhood",
    "Cidade": "address_city",
    "UF": "address_state",
    "CEP": "address_zip_code",
    "Valor": "amount",
    "Vencimento": "due_date",
    "Parcelamento": "installment_type",
    "Parcelas": "installments",
    "Forma de Pagamento": "type",
    "Descrição": "description",
    "NF-e": "nfe_number",
    "Destinatários": "recipients",
    "Enviar E-mail": "by_mail",
    "Enviar WhatsApp": "by_whatsapp",
}


def baseline_reader(revision: str) -> ModuleType | None:
    """The `_files` module of `revision`, from git, importable beside today's."""
    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:neofin_async/cli/_files.py"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    name = f"neofin_async.cli._files_{revision}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "neofin_async.cli"
    exec(compile(source, f"{revision}:_files.py", "exec"), module.__dict__)
    return module


def write_exports(directory: Path, rows: int) -> tuple[Path, Path]:
    """The same billings as an API-header UTF-8 CSV and as an ERP export."""
    plain, erp = directory / "billings.csv", directory / "erp.csv"
    records = list(_sample.billings(rows, seed=1))
    with open(plain, "w", encoding="utf-8", newline="") as file:
        write_records(records, _sample.BILLING_COLUMNS, file, "csv")
    with open(erp, "w", encoding="cp1252", newline="") as file:
        file.write("sep=;\r\n")
        writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
        writer.writerow([*ERP_COLUMNS, "Observação"])
        for record in records:
            writer.writerow(
                [_erp_cell(name, record.get(name)) for name in ERP_COLUMNS.values()] + [""]
            )
    return plain, erp


def _erp_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "amount":
        return f"{value // 100:,}".replace(",", ".") + f",{value % 100:02d}"
    if name == "due_date":
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    if isinstance(value, bool):
        return "Sim" if value else "Não"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def contenders(
    plain: Path, erp: Path, baseline: ModuleType | None, revision: str
) -> dict[str, Callable[[], Iterable[Any]]]:
    billings = fields_of("billings")
    erp_options = ReadOptions(
        path=str(erp),
        encoding="cp1252",
        amount_unit="reais",
        columns={**ERP_COLUMNS, "Observação": None},
    )

    def csv_reader() -> Iterable[Any]:
        with open(plain, encoding="utf-8", newline="") as file:
            rows = csv.reader(file)
            next(rows)  # the header
            yield from rows

    def load_all(digests: bool) -> Callable[[], Iterable[Any]]:
        def loaded() -> Iterable[Any]:
            for record in Records(ReadOptions(path=str(plain)), billings).sourced(digests=digests):
                yield record.load()

        return loaded

    chosen: dict[str, Callable[[], Iterable[Any]]] = {"csv.reader alone (floor)": csv_reader}
    if baseline is not None:
        chosen[f"before ({revision})"] = lambda: baseline.Records(str(plain))
    chosen["after: dicts"] = lambda: Records(ReadOptions(path=str(plain)), billings)
    chosen["after: Sourced, key + digest"] = lambda: Records(
        ReadOptions(path=str(plain)), billings
    ).sourced()
    chosen["after: Sourced + load() (journal)"] = load_all(True)
    chosen["after: Sourced + load() (no journal)"] = load_all(False)
    chosen["after: ERP export, --columns"] = lambda: Records(erp_options, billings)
    return chosen


def measure(make: Callable[[], Iterable[Any]]) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    for _ in make():
        count += 1
    return time.perf_counter() - started, count


def reading(rows: int, rounds: int, revision: str) -> None:
    baseline = baseline_reader(revision)
    if baseline is None:
        print(f"(git revision {revision} unavailable: no baseline row)")
    with tempfile.TemporaryDirectory() as directory:
        plain, erp = write_exports(Path(directory), rows)
        chosen = contenders(plain, erp, baseline, revision)
        best = dict.fromkeys(chosen, float("inf"))
        names = list(chosen)
        for number in range(rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                seconds, count = measure(chosen[name])
                assert count == rows, (name, count)
                best[name] = min(best[name], seconds / count * 1e6)
    reference = best.get(f"before ({revision})")
    print(f"\nReading {rows:,} rows of 24 columns, best of {rounds} rounds (us per row)\n")
    print(f"| {'reader':<38} | us/row | vs before |")
    print(f"|{'-' * 40}|--------|-----------|")
    for name, micros in best.items():
        ratio = f"{reference / micros:.2f}x" if reference else "-"
        print(f"| {name:<38} | {micros:6.2f} | {ratio:>9} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n(load average {load:.2f}; 'vs before': how many times faster than the baseline)")


def sample_rss(count: int, revision: str) -> None:
    """Peak RSS of `sample billings COUNT` at `revision` and today, each in a fresh process."""
    print(f"\n`sample billings {count:,} -o /dev/null`: peak RSS\n")
    with tempfile.TemporaryDirectory() as directory:
        old = Path(directory) / "old"
        old.mkdir()
        archive = subprocess.run(
            ["git", "archive", revision, "neofin_async"], cwd=ROOT, capture_output=True
        )
        trees = {}
        if archive.returncode == 0:
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            trees[f"before ({revision})"] = old
        trees["after"] = ROOT
        for name, tree in trees.items():
            megabytes, seconds = _peak_rss(tree, count)
            print(f"  {name:<18} {megabytes:8.1f} MB  {seconds:6.1f} s")


def _peak_rss(tree: Path, count: int) -> tuple[float, float]:
    command = [sys.executable, "-m", "neofin_async.cli", "sample", "billings", str(count)]
    command += ["-o", os.devnull, "--seed", "1"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=tree, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command} failed with {process.returncode}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def rerun(count: int, rounds: int) -> None:
    """The nightly re-run through the command: requests and wall time, first run vs 1% changed
    (the median of `rounds` re-runs, each from the journal as the first run left it)."""
    from .servers import sink

    with tempfile.TemporaryDirectory() as directory, sink() as target:
        folder = Path(directory)
        export, journal = folder / "export.csv", folder / "sync.sqlite"
        rows = list(_sample.billings(count, seed=1))
        _write(export, rows)
        runs = [("no journal", False), ("journal, first run", True)]
        measured = [
            _command_run(export, target.url, folder, journal if j else None) for _, j in runs
        ]
        for row in rows[::100]:  # 1% of the rows changed in the ERP
            row["amount"] += 1
        _write(export, rows)
        night_one = folder / "night-one.sqlite"
        shutil.copyfile(journal, night_one)
        reruns = []
        for _ in range(rounds):
            shutil.copyfile(night_one, journal)
            reruns.append(_command_run(export, target.url, folder, journal))
        runs.append((f"journal, 1% changed ({rounds}x)", True))
        seconds = sorted(s for _, s in reruns)
        measured.append((reruns[0][0], statistics.median(seconds)))
    print(f"\nThe nightly job, {count:,} rows through `neofin-async upsert` to the sink\n")
    print(f"| {'run':<26} | requests | wall s | rows/s  | vs first run |")
    print(f"|{'-' * 28}|----------|--------|---------|--------------|")
    first = measured[1][1]
    for (name, _), (requests, seconds_) in zip(runs, measured, strict=True):
        print(
            f"| {name:<26} | {requests:>8,} | {seconds_:6.1f} | {count / seconds_:7,.0f} "
            f"| {seconds_ / first:11.2f}x |"
        )
    print(f"\n(re-runs: {', '.join(f'{s:.1f}' for s in seconds)} s; the median is shown)")


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        write_records(rows, _sample.BILLING_COLUMNS, file, "csv")


def _command_run(export: Path, url: str, folder: Path, journal: Path | None) -> tuple[int, float]:
    import json

    report = folder / "report.json"
    command = [sys.executable, "-m", "neofin_async.cli", "upsert", "billings", str(export)]
    command += ["--base-url", url, "--concurrency", "16", "--report", str(report)]
    if journal is not None:
        command += ["--journal", str(journal)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done.stderr[-2000:]}")
    return json.loads(report.read_text())["requests"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE, metavar="REV")
    parser.add_argument("--sample-rss", type=int, metavar="N", help="measure `sample` instead")
    parser.add_argument("--rerun", type=int, metavar="N", help="measure the nightly re-run")
    args = parser.parse_args()
    if args.rerun:
        rerun(args.rerun, args.rounds)
    elif args.sample_rss:
        sample_rss(args.sample_rss, args.baseline)
    else:
        reading(args.rows, args.rounds, args.baseline)


if __name__ == "__main__":
    main()
