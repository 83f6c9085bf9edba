"""The ``passend`` command line: what a user types reaches the right place."""

from __future__ import annotations

import subprocess
import sys

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


_ONE_COMMAND_OR_PAGE = (
    "fpdf",  # the beschikking's PDF
    "numpy",  # through fpdf
    "jinja2",  # the server-rendered pages
    "uvicorn",  # passend serve, passend witness
    "litestar.plugins.opentelemetry",  # traces, when asked for
    "opentelemetry.instrumentation.asyncpg",
)


def test_the_command_line_starts_without_the_libraries_of_one_command_or_page() -> None:
    # A fresh interpreter: this one has imported them all by now.
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, api.cli; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert set(_ONE_COMMAND_OR_PAGE) & set(imported) == set()
