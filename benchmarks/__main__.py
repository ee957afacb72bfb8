"""`python -m benchmarks [--quick] [--only NAME ...]`: run the benchmarks, print the tables,
write results.json and the throughput chart (see benchmarks/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import platform
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

try:
    from . import cpu, faults, journal, memory, report, throughput
except ImportError as exc:  # pragma: no cover
    raise SystemExit(
        f"{exc}: the benchmarks need the aiohttp and emulator extras, and matplotlib for the "
        "chart: pip install -e '.[aiohttp,emulator,bench]'"
    ) from None

HERE = Path(__file__).parent


def _runnable(name: str) -> bool:
    """Whether benchmarks/<name>.py exists with a `run` and a `table`."""
    path = HERE / f"{name}.py"
    source = path.read_text() if path.exists() else ""
    return "def run(" in source and "def table(" in source


OTHERS = tuple(n for n in ("validation", "cli_read", "chargeover", "piriod") if _runnable(n))
"""Benchmarks written for other parts of the project, each a module with `run(quick)` (sync
or async) and `table(result)`: run after ours, when present."""
BENCHMARKS = ("throughput", "memory", "faults", "cpu", "journal", *OTHERS)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = (
        "neofin-async",
        "httpx",
        "httpcore",
        "sniffio",
        "anyio",
        "aiohttp",
        "httpx-aiohttp",
        "pydantic",
        "pydantic-core",
    )
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in packages},
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer items: well under a minute")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    args = parser.parse_args()
    suffix = "-quick" if args.quick else ""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": os.getloadavg(),
    }
    sections: list[tuple[str, str]] = []
    if "cpu" in args.only:
        results["cpu"] = cpu.run(args.quick)
        sections.append(("5. CPU cost per item", report.cpu_table(results["cpu"])))
    if "throughput" in args.only:
        results["throughput"] = asyncio.run(throughput.run(args.quick))
        for server in ("sink", "emulator"):
            result = results["throughput"][server]
            title = f"1. Throughput ceiling, {server} ({result['items']:,} items, median of "
            title += f"{result['rounds']})"
            sections.append((title, report.throughput_table(result)))
        sections.append(
            (
                "2. Latency-bound efficiency (50 ms per request)",
                report.latency_table(results["throughput"]["latency_bound"]),
            )
        )
        sections.append(
            (
                "2b. The same over HTTPS (5 requests per slot): the httpx pool's sizing",
                report.latency_table(results["throughput"]["latency_bound_tls"]),
            )
        )
    if "memory" in args.only:
        results["memory"] = memory.run(args.quick)
        sections.append(("3. Memory", report.memory_table(results["memory"])))
    if "journal" in args.only:
        results["journal"] = asyncio.run(journal.run(args.quick))
        count = results["journal"]["items"]
        sections.append(
            (
                f"6. Nightly re-run through a journal ({count:,} billings, 1% changed)",
                report.journal_table(results["journal"]),
            )
        )
    if "faults" in args.only:
        results["faults"] = asyncio.run(faults.run(args.quick))
        sections.append(
            (
                "4. Faults (10%: 8% 500, 2% 429 Retry-After 1)",
                report.faults_table(results["faults"]),
            )
        )
    for name in OTHERS:
        if name in args.only:
            module = importlib.import_module(f"{__package__}.{name}")
            title = " ".join((module.__doc__ or name).strip().split("\n\n")[0].split())
            try:  # another part's benchmark failing must not lose this run's numbers
                result = module.run(args.quick)
                results[name] = asyncio.run(result) if inspect.iscoroutine(result) else result
                text = module.table(results[name])
            except Exception as exc:
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
                text = f"failed: {results[name]['error']}"
            sections.append((f"{name}: {title}", text))
    results["targets"] = report.targets(results)
    results["load_average_after"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started, 1)
    sections.append(("Targets", report.targets_table(results["targets"])))

    for title, text in sections:
        print(f"\n## {title}\n\n{text}")
    output = HERE / f"results{suffix}.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {output} ({results['seconds']} s)")
    if "throughput" in results:
        print(report.chart(results, HERE / f"throughput{suffix}.png"))


if __name__ == "__main__":
    main()
