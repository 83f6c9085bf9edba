"""``passend bench``: the benchmarks, each parsing its own options (``--help`` lists them).

Installed with the ``bench`` extra (``pip install 'passend[bench]'``); ``passend`` finds this
group through the ``passend.commands`` entry point, so the core never imports it.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

bench = typer.Typer(help="Benchmarks (not part of the test suite).", no_args_is_help=True)

# The benchmarks parse their own options (--runs, --quick, …): pass everything through.
_PASS_THROUGH: dict[str, Any] = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "help_option_names": [],
}


def _run(module: str, args: list[str]) -> None:
    try:
        main = importlib.import_module(module).main
    except ModuleNotFoundError as missing:
        typer.echo(
            f"this benchmark needs {missing.name}: install passend with the bench extra"
            " (pip install 'passend[bench]', or uv sync --group bench)",
            err=True,
        )
        raise typer.Exit(2) from None
    raise typer.Exit(main(args))


@bench.command("store", context_settings=_PASS_THROUGH)
def bench_store(context: typer.Context) -> None:
    """Event store throughput against eventsourcing and bare asyncpg (--help for options)."""
    _run("bench.store.main", context.args)


@bench.command("projections", context_settings=_PASS_THROUGH)
def bench_projections(context: typer.Context) -> None:
    """Commit-to-visible lag and rebuild rate of the projection runner (--help for options)."""
    _run("bench.projections", context.args)


@bench.command("load", context_settings=_PASS_THROUGH)
def bench_load(context: typer.Context) -> None:
    """The service at national scale under open-loop load (--help for options)."""
    _run("bench.load.main", context.args)


@bench.command("rebuild", context_settings=_PASS_THROUGH)
def bench_rebuild(context: typer.Context) -> None:
    """Every read model of every tenant rebuilt, against reading the log (--help for options)."""
    _run("bench.rebuild", context.args)


@bench.command("import", context_settings=_PASS_THROUGH)
def bench_import(context: typer.Context) -> None:
    """The bulk import against bare COPY and the store's batch appends (--help for options)."""
    _run("bench.imports", context.args)


@bench.command("partners", context_settings=_PASS_THROUGH)
def bench_partners(context: typer.Context) -> None:
    """Webhook latency, pull feed rate and idle SSE memory of partner feeds (--help)."""
    _run("bench.partners", context.args)


@bench.command("audit", context_settings=_PASS_THROUGH)
def bench_audit(context: typer.Context) -> None:
    """Transparency log on a large tenant: proofs, checkpoints, verify, upkeep (--help)."""
    _run("bench.audit", context.args)
