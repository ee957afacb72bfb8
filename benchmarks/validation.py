"""Validation cost per billing, with repeated and with distinct customer documents, against the
validator of an earlier commit measured in the same run (and python-stdnum's check alone).

    python -m benchmarks.validation [--quick] [--baseline REF]

The baseline is the `neofin_async` package of git ref REF (default: the commit before the fast
document check), unpacked under another name in a temporary directory; without git it is
skipped. Every contender validates the same prebuilt dicts (benchmarks/data.py's 16-field
billings) with `validate_item`, as the bulk engine does; best of several rounds, interleaved.
Times are the process's CPU time (`time.process_time`), which other load on the machine
disturbs less than wall time does; the ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import importlib
import io
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from stdnum.br import cnpj as stdnum_cnpj
from stdnum.br import cpf as stdnum_cpf

import neofin_async as nf
from neofin_async._brazil import normalize_document
from neofin_async.models import resolve_extra_fields, validate_item

from .data import billing, cnpj, cpf

BASELINE_REF = "009df61"
"""main before issue 13's item 5: python-stdnum behind an lru_cache, Python field validators."""
ROOT = Path(__file__).resolve().parent.parent


def baseline_package(ref: str, directory: Path) -> ModuleType | None:
    """`neofin_async` as of `ref`, imported as `_baseline_<ref>`; None without git or the ref."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "neofin_async"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    name = f"_baseline_{ref}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    (directory / "neofin_async").rename(directory / name)
    sys.path.insert(0, str(directory))
    return importlib.import_module(name)


def _empty_caches(package: ModuleType | None) -> None:
    """Forget the baseline's cached document checks, so "distinct" stays distinct each round."""
    check = getattr(getattr(package, "_brazil", None), "_has_valid_check_digits", None)
    if check is not None:
        check.cache_clear()


def distinct_billings(count: int) -> list[dict[str, Any]]:
    """`count` billings whose documents all differ (a third CNPJs), as in a real export."""
    rng = random.Random(13)
    seen: set[str] = set()
    items = []
    for i in range(count):
        document = cnpj(rng) if i % 3 == 0 else cpf(rng)
        while document in seen or document.count(document[0]) == len(document):
            document = cnpj(rng) if i % 3 == 0 else cpf(rng)
        seen.add(document)
        items.append({**billing(i), "customer_document": document})
    return items


def _best(
    functions: dict[str, Callable[[], object]],
    rounds: int,
    per_call: int,
    setup: Callable[[], object] = lambda: None,
) -> dict[str, float]:
    """Microseconds per item of each function, best of `rounds`, the functions interleaved;
    `setup` runs, untimed, before each (to empty a cache)."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, function in functions.items():
            setup()
            started = time.process_time()
            function()
            best[name] = min(best[name], time.process_time() - started)
    return {name: seconds / per_call * 1e6 for name, seconds in best.items()}


def run(quick: bool, ref: str = BASELINE_REF) -> dict[str, Any]:
    count = 5_000 if quick else 20_000
    rounds = 5 if quick else 9
    inputs = {
        "repeated documents (997 customers)": [billing(i) for i in range(count)],
        "distinct documents": distinct_billings(count),
    }
    extras = resolve_extra_fields({"erp_code"})
    with_extra = [{**item, "erp_code": i} for i, item in enumerate(inputs["distinct documents"])]
    with tempfile.TemporaryDirectory() as directory:
        old = baseline_package(ref, Path(directory))
        results: dict[str, Any] = {"items": count, "rounds": rounds, "baseline": ref}
        for case, items in inputs.items():
            functions: dict[str, Callable[[], object]] = {
                "ours": lambda items=items: [
                    validate_item(nf.BillingInput, item, i) for i, item in enumerate(items)
                ]
            }
            if old is not None:
                functions["baseline"] = lambda items=items, check=old.models.validate_item: [
                    check(old.BillingInput, item, i) for i, item in enumerate(items)
                ]
            results[case] = _best(functions, rounds, count, setup=lambda: _empty_caches(old))
        results["distinct documents, one pass-through field"] = _best(
            {
                "ours": lambda: [
                    validate_item(nf.BillingInput, item, i, extra_fields=extras)
                    for i, item in enumerate(with_extra)
                ]
            },
            rounds,
            count,
        )
    documents = [item["customer_document"] for item in inputs["distinct documents"]]
    results["document check alone"] = _best(
        {
            "ours": lambda: [normalize_document(d) for d in documents],
            "python-stdnum": lambda: [
                (stdnum_cpf if len(d) == 11 else stdnum_cnpj).is_valid(d) for d in documents
            ],
        },
        rounds,
        count,
    )
    return results


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{results['items']:,} billings, best of {results['rounds']} rounds; "
        f"baseline = git {results['baseline']}",
        f"{'case':<44} {'ours us':>8} {'other us':>9} {'ratio':>6}",
    ]
    for case, numbers in results.items():
        if not isinstance(numbers, dict):
            continue
        ours = numbers["ours"]
        other = numbers.get("baseline", numbers.get("python-stdnum"))
        if other is None:
            lines.append(f"{case:<44} {ours:>8.2f} {'-':>9} {'-':>6}")
        else:
            lines.append(f"{case:<44} {ours:>8.2f} {other:>9.2f} {other / ours:>5.2f}x")
    lines.append("ratio = other / ours (how many times faster ours is); other = the baseline,")
    lines.append("or python-stdnum's is_valid for the document check alone")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.validation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 billings instead of 20,000")
    parser.add_argument("--baseline", default=BASELINE_REF, help="git ref to compare against")
    args = parser.parse_args()
    print(table(run(args.quick, args.baseline)))


if __name__ == "__main__":
    main()
