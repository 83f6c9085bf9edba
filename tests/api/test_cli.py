"""The ``passend`` command line: what a user types reaches the right place."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import cli


@pytest.mark.parametrize(
    ("benchmark", "module"),
    [
        ("store", "bench.store.main"),
        ("projections", "bench.projections"),
        ("load", "bench.load.main"),
        ("import", "bench.imports"),
    ],
)
def test_benchmark_options_pass_through_to_the_installed_benchmark_module(
    benchmark: str, module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[list[str]] = []

    def main(argv: list[str]) -> int:
        received.append(argv)
        return 3

    monkeypatch.setattr(f"{module}.main", main)
    options = ["--runs", "5", "--quick", "--help"]
    result = CliRunner().invoke(cli, ["bench", benchmark, *options])
    assert received == [options]
    assert result.exit_code == 3  # the benchmark's own exit code
