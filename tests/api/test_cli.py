"""The ``passend`` command line: what a user types reaches the right place."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from api.cli import cli


@pytest.mark.parametrize(
    ("benchmark", "script"), [("store", "store_bench.py"), ("projections", "projection_bench.py")]
)
def test_benchmark_options_pass_through_to_the_benchmark_script(
    benchmark: str, script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[list[str]] = []

    def main(argv: list[str]) -> int:
        received.append(argv)
        return 3

    def run_path(path: str) -> dict[str, Callable[[list[str]], int]]:
        assert path.endswith(f"ops/bench/{script}")
        return {"main": main}

    monkeypatch.setattr("runpy.run_path", run_path)
    options = ["--runs", "5", "--quick", "--help"]
    result = CliRunner().invoke(cli, ["bench", benchmark, *options])
    assert received == [options]
    assert result.exit_code == 3  # the script's own exit code
