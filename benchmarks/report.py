"""Tables (markdown, printed and pasted into README.md), target checks, and the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def _by_c(values: dict[Any, Any], c: int) -> Any:
    """A per-concurrency value whether its keys are ints (fresh) or strings (from JSON)."""
    return values[c] if c in values else values[str(c)]


def _concurrencies(values: dict[str, dict[Any, Any]]) -> list[int]:
    return sorted({int(c) for by_c in values.values() for c in by_c})


def throughput_table(result: dict[str, Any]) -> str:
    """Median items/s (and the spread of the rounds, (max - min) / median), CPU per item,
    then the ratios of the medians."""
    rates, spread = result["items_per_second"], result.get("spread", {})
    concurrencies = _concurrencies(rates)
    rows = [
        [name, *(_with_spread(by_c, spread.get(name), c) for c in concurrencies)]
        for name, by_c in rates.items()
    ]
    rows += [
        [f"µs CPU/item, {name}", *(_by_c(by_c, c) for c in concurrencies)]
        for name, by_c in result.get("cpu_us_per_item", {}).items()
    ]
    rows += [
        [f"ratio {name}", *(_by_c(r, c) for c in concurrencies)]
        for name, r in result["ratios"].items()
    ]
    return table(["items/s (median, ±spread)", *(f"c={c}" for c in concurrencies)], rows)


def _with_spread(by_c: dict[Any, float], spread: dict[Any, float] | None, c: int) -> str:
    rate = _cell(_by_c(by_c, c))
    return rate if spread is None else f"{rate} ±{_by_c(spread, c) * 100:.0f}%"


def latency_table(result: dict[str, Any]) -> str:
    efficiency, spread = result["efficiency"], result.get("spread", {})
    concurrencies = _concurrencies(efficiency)
    rows = [
        [
            name,
            *(
                f"{_by_c(by_c, c):.2f}"
                + (f" ±{_by_c(spread[name], c) * 100:.0f}%" if name in spread else "")
                for c in concurrencies
            ),
        ]
        for name, by_c in efficiency.items()
    ]
    rows += [
        [f"µs CPU/item, {name}", *(_by_c(by_c, c) for c in concurrencies)]
        for name, by_c in result.get("cpu_us_per_item", {}).items()
    ]
    header = [f"fraction of c*50/{result['latency']:g}", *(f"c={c}" for c in concurrencies)]
    return table(header, rows)


def journal_table(result: dict[str, Any]) -> str:
    rows = []
    for label, key in (
        ("night one, no journal", "without_journal"),
        ("night one, journal", "first_night"),
        (f"night two, 1 in {result['changed_every']} changed", "second_night"),
        ("night one, Sourced items", "first_night_sourced"),
        (f"night two, Sourced, 1 in {result['changed_every']} changed", "second_night_sourced"),
    ):
        if key not in result:
            continue
        run = result[key]
        rows.append(
            [
                label,
                run["items_per_second"],
                run["seconds"],
                run["requests"],
                run["sent"],
                run["unchanged"],
                run["cpu_us_per_item"],
            ]
        )
    header = ["run", "items/s", "s", "requests", "sent", "unchanged", "µs CPU/item"]
    return table(header, rows)


def memory_table(result: dict[str, Any]) -> str:
    small, large = result["items"]
    rows = [
        [
            name,
            runs[small]["peak_rss_mb"],
            runs[large]["peak_rss_mb"],
            result["growth"][name],
            runs[large]["seconds"],
        ]
        for name, runs in result["runs"].items()
    ]
    header = ["peak RSS (MB)", f"{small:,} items", f"{large:,} items", "growth", f"s for {large:,}"]
    return table(header, rows)


def faults_table(result: dict[str, Any]) -> str:
    rows = []
    for run in result["runs"]:
        faulty = run["faulty"]
        counts = faulty["counts"]
        rows.append(
            [
                f"{run['latency'] * 1000:g} ms",
                run["fault_free"]["items_per_second"],
                faulty["items_per_second"],
                run["ratio"],
                run["steady_ratio"],
                run["model_ratio"],
                f"{counts['accepted']} + {counts['failed']} failed = {counts['total']}",
                faulty["server"]["distinct_accepted"],
                "yes" if faulty["accounted"] and run["fault_free"]["accounted"] else "NO",
            ]
        )
    header = [
        "latency",
        "fault-free items/s",
        "faulty items/s",
        "ratio",
        "steady ratio",
        "model",
        "ours: accepted + failed = total",
        "server accepted",
        "all accounted",
    ]
    return table(header, rows)


def cpu_table(result: dict[str, Any]) -> str:
    rows = [[k, v] for k, v in result["microseconds_per_item"].items()]
    rows += [[f"{k}, distinct documents", v] for k, v in result.get("distinct", {}).items()]
    return table(["per item", "µs"], rows)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 13 with the measured value and whether it holds."""
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float, limit: float, higher: bool = True) -> None:
        holds = value >= limit if higher else value <= limit
        checks.append({"target": name, "measured": round(value, 3), "holds": holds})

    if "throughput" in results:
        sink = results["throughput"]["sink"]["ratios"]
        check("sink c=16: ours httpx / hand httpx >= 0.9", _by_c(sink["ours/hand, httpx"], 16), 0.9)
        check(
            "sink c=16: ours aiohttp / hand aiohttp >= 0.5",
            _by_c(sink["ours/hand, aiohttp"], 16),
            0.5,
        )
        check(
            "sink c=16: ours aiohttp / hand aiohttp + BillingInput >= 1.0",
            _by_c(sink["ours/hand + BillingInput, aiohttp"], 16),
            1.0,
        )
        efficiency = results["throughput"]["latency_bound"]["efficiency"]
        check(
            "50 ms latency, c=64: ours aiohttp >= 0.7 of theory",
            _by_c(efficiency["ours aiohttp"], 64),
            0.7,
        )
        check(
            "50 ms latency, c=64: ours httpx >= 0.35 of theory",
            _by_c(efficiency["ours httpx"], 64),
            0.35,
        )
    if "cpu" in results and "distinct" in results["cpu"]:
        check(
            "validation <= 6 µs/billing, distinct documents",
            results["cpu"]["distinct"]["BillingInput.model_validate"],
            6.0,
            False,
        )
    if "journal" in results:
        journal = results["journal"]
        check("journal: night one items/s >= 0.9x without", journal["journal_cost"], 0.9)
        check(
            "journal: night two (1% changed) wall < 15% of night one",
            journal["rerun_wall_fraction"],
            0.15,
            False,
        )
        if "sourced_rerun_wall_fraction" in journal:
            check(
                "journal, Sourced items: night two wall < 15% of night one",
                journal["sourced_rerun_wall_fraction"],
                0.15,
                False,
            )
    if "memory" in results:
        memory = results["memory"]
        large = memory["items"][1]
        check("memory: ours peak at large <= 1.2x at small", memory["growth"]["ours"], 1.2, False)
        check(
            f"memory: ours peak at {large:,} < 150 MB",
            _by_c(memory["runs"]["ours"], large)["peak_rss_mb"],
            150,
            False,
        )
    if "faults" in results:
        for run in results["faults"]["runs"]:
            latency = f"{run['latency'] * 1000:g} ms"
            accounted = run["faulty"]["accounted"] and run["fault_free"]["accounted"]
            check(f"faults at {latency}: every item accounted for", float(accounted), 1)
    return checks


def targets_table(checks: list[dict[str, Any]]) -> str:
    rows = [[c["target"], c["measured"], "yes" if c["holds"] else "**no**"] for c in checks]
    return table(["target", "measured", "holds"], rows)


def chart(results: dict[str, Any], path: Path) -> str:
    """Throughput vs concurrency, ours vs hand-written, one panel per server."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install 'neofin-async[bench]')"
    servers = [k for k in ("sink", "emulator") if k in results.get("throughput", {})]
    if not servers:
        return "chart skipped: no throughput results"
    figure, axes = plt.subplots(1, len(servers), figsize=(6 * len(servers), 4.5), squeeze=False)
    for axis, server in zip(axes[0], servers, strict=True):
        for name, by_c in results["throughput"][server]["items_per_second"].items():
            concurrencies = sorted(int(c) for c in by_c)
            values = [by_c[c] for c in concurrencies]
            style = (
                ":"
                if "models" in name
                else "-."
                if "BillingInput" in name
                else "-"
                if name.startswith("ours")
                else "--"
            )
            color = "tab:orange" if "aiohttp" in name else "tab:blue"
            axis.plot(concurrencies, values, style, color=color, marker="o", label=name)
        axis.set_xscale("log", base=2)
        axis.set_xticks([1, 4, 16, 64], labels=["1", "4", "16", "64"])
        axis.set_xlabel("concurrency (requests in flight)")
        axis.set_ylabel("items/s (50 per request)")
        axis.set_title(f"bulk upsert over loopback to the {server}")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"chart written to {path}"
