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


def throughput_table(result: dict[str, Any]) -> str:
    rates = result["items_per_second"]
    concurrencies = sorted({int(c) for by_c in rates.values() for c in by_c})
    rows = [[name, *(by_c[c] for c in concurrencies)] for name, by_c in rates.items()]
    rows += [
        [f"ratio {name}", *(r[c] for c in concurrencies)] for name, r in result["ratios"].items()
    ]
    return table(["items/s", *(f"c={c}" for c in concurrencies)], rows)


def latency_table(result: dict[str, Any]) -> str:
    efficiency = result["efficiency"]
    concurrencies = sorted({int(c) for by_c in efficiency.values() for c in by_c})
    rows = [[name, *(by_c[c] for c in concurrencies)] for name, by_c in efficiency.items()]
    header = [f"fraction of c*50/{result['latency']:g}", *(f"c={c}" for c in concurrencies)]
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
    return table(["per item", "µs"], [[k, v] for k, v in result["microseconds_per_item"].items()])


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 5 with the measured value and whether it holds."""
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float, limit: float, higher: bool = True) -> None:
        holds = value >= limit if higher else value <= limit
        checks.append({"target": name, "measured": round(value, 3), "holds": holds})

    if "throughput" in results:
        sink = results["throughput"]["sink"]["ratios"]
        for c, ratio in sink["ours/hand, httpx"].items():
            check(f"sink, httpx: ours/hand >= 0.9 at c={c}", ratio, 0.9)
        check("sink, aiohttp: ours/hand >= 0.8 at c=16", sink["ours/hand, aiohttp"][16], 0.8)
        check(
            "sink: ours aiohttp / hand httpx >= 3 at c=16", sink["ours aiohttp/hand httpx"][16], 3
        )
        efficiency = results["throughput"]["latency_bound"]["efficiency"]
        for name in ("ours httpx", "ours aiohttp"):
            for c in (16, 64):
                check(f"50 ms latency, {name}: >= 0.9 of theory at c={c}", efficiency[name][c], 0.9)
    if "memory" in results:
        memory = results["memory"]
        large = memory["items"][1]
        check("memory: ours peak at large <= 1.2x at small", memory["growth"]["ours"], 1.2, False)
        check(
            f"memory: ours peak at {large:,} < 150 MB",
            memory["runs"]["ours"][large]["peak_rss_mb"],
            150,
            False,
        )
    if "faults" in results:
        for run in results["faults"]["runs"]:
            latency = f"{run['latency'] * 1000:g} ms"
            accounted = run["faulty"]["accounted"] and run["fault_free"]["accounted"]
            check(f"faults at {latency}: every item accounted for", float(accounted), 1)
            check(
                f"faults at {latency}: steady throughput >= 0.7x fault-free",
                run["steady_ratio"],
                0.7,
            )
            check(f"faults at {latency}: whole-run throughput >= 0.7x", run["ratio"], 0.7)
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
            style = ":" if "models" in name else "-" if name.startswith("ours") else "--"
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
