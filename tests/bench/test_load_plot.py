"""The load sweep's plot draws several runs (2M beside 10M) into one PNG."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.load.main import parse_args
from bench.load.plot import median_of, plot


def _result(events: int, p99s: Sequence[float]) -> dict[str, Any]:
    return {
        "params": {"events": events},
        "steps": [
            {
                "rate": 50 * (index + 1),
                "mix": {"read:case": {"p99_ms": p99}, "command:register": {"p99_ms": p99 * 2}},
                "reference": {"reference:me": {"p99_ms": 1.0}},
            }
            for index, p99 in enumerate(p99s)
        ],
    }


def test_two_history_sizes_are_drawn_into_one_png(tmp_path: Path) -> None:
    png = tmp_path / "curve.png"
    plot([_result(2_000_000, [10, 20, 90]), _result(10_000_000, [12, 25, 120])], png)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_earlier_runs_are_named_for_the_plot(tmp_path: Path) -> None:
    earlier = tmp_path / "2m.json"
    earlier.write_text(json.dumps(_result(2_000_000, [10])))
    args = parse_args(["--plot", str(tmp_path / "x.png"), "--plot-with", str(earlier)])
    assert args.plot_with == [earlier]


def test_the_median_of_three_sweeps_takes_each_rates_middle_p99(tmp_path: Path) -> None:
    runs = [_result(2_000_000, p99s) for p99s in ([10, 90], [30, 20], [20, 50])]

    median = median_of(runs)

    assert [s["mix"]["read:case"]["p99_ms"] for s in median["steps"]] == [20, 50]
    assert [s["mix"]["command:register"]["p99_ms"] for s in median["steps"]] == [40, 100]
    assert median["label"] == "2M events, median of 3"
    plot([median], tmp_path / "median.png")
    assert (tmp_path / "median.png").exists()
