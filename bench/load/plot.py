"""Latency against offered rate, from one or more ``passend bench load`` results (matplotlib)."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt


def plot(results: Sequence[dict[str, Any]], path: Path, *, title: str | None = None) -> None:
    """p99 of reads, commands and the reference per rate; one line style per history size."""
    figure, axis = plt.subplots(figsize=(8, 5))
    styles = ["-", "--", ":"]
    for index, result in enumerate(results):
        steps = result["steps"]
        rates = [s["rate"] for s in steps]
        events = result["params"]["events"]
        style = styles[index % len(styles)]
        label = result.get("label") or f"{events / 1e6:.2g}M events, run {index + 1}"
        reads = [
            max(c["p99_ms"] for n, c in s["mix"].items() if n.startswith("read")) for s in steps
        ]
        commands = [
            max((c["p99_ms"] for n, c in s["mix"].items() if n.startswith("command")), default=0)
            for s in steps
        ]
        reference = [s["reference"]["reference:me"]["p99_ms"] for s in steps]
        axis.plot(rates, reads, style, marker="o", color="tab:blue", label=f"reads p99, {label}")
        axis.plot(
            rates, commands, style, marker="s", color="tab:red", label=f"commands p99, {label}"
        )
        axis.plot(
            rates, reference, style, marker="^", color="tab:gray", label=f"GET /me p99, {label}"
        )
    axis.axhline(100, color="black", linewidth=0.8, label="100 ms")
    axis.set_yscale("log")
    axis.set_xlabel("offered requests/s (open loop)")
    axis.set_ylabel("latency p99 (ms, log scale)")
    axis.set_title(title or "Passend on 2 cores: latency against rate")
    axis.grid(visible=True, which="both", alpha=0.3)
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def median_of(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One result whose every p99 is the median of ``runs`` (sweeps of the same rates)."""

    def median(step: int, group: str, name: str) -> dict[str, float]:
        return {"p99_ms": statistics.median(r["steps"][step][group][name]["p99_ms"] for r in runs)}

    first = runs[0]
    return {
        "params": first["params"],
        "label": f"{first['params']['events'] / 1e6:.2g}M events, median of {len(runs)}",
        "steps": [
            {
                "rate": step["rate"],
                "mix": {name: median(index, "mix", name) for name in step["mix"]},
                "reference": {name: median(index, "reference", name) for name in step["reference"]},
            }
            for index, step in enumerate(first["steps"])
        ],
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m bench.load.plot OUT.png A.json,B.json,C.json D.json,…``: one line per group."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("groups", nargs="+", help="comma-separated --json files of one history")
    parser.add_argument("--title")
    args = parser.parse_args(argv)
    groups = [[json.loads(Path(f).read_text()) for f in g.split(",")] for g in args.groups]
    plot([median_of(runs) for runs in groups], args.out, title=args.title)


if __name__ == "__main__":
    main()
