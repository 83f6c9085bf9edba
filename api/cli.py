"""The ``passend`` command: serve the API, run benchmarks."""

from __future__ import annotations

import logging
import runpy
import signal
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.settings import Settings
from infrastructure import embedded_postgres_server

cli = typer.Typer(
    help="Passend: decisions of samenwerkingsverbanden, as events.", no_args_is_help=True
)
bench = typer.Typer(help="Benchmarks (not part of the test suite).", no_args_is_help=True)
cli.add_typer(bench, name="bench")

_OPS = Path(__file__).resolve().parent.parent / "ops"


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Start the API. Without DATABASE_URL, an embedded PostgreSQL in ./var is used."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env(host=host, port=port)
    embedded_dir: Path | None = None
    if settings.database_url is None:
        embedded_dir = settings.data_dir / "postgres"
        typer.echo(f"Starting embedded PostgreSQL in {embedded_dir} …")
        server = embedded_postgres_server.start(embedded_dir)
        settings = Settings.from_env(
            host=host, port=port, database_url=server.admin_dsn(), database_app_url=server.app_dsn()
        )
    # uvicorn turns SIGTERM into a graceful shutdown; make sure a plain kill does the same.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        typer.echo(f"API on http://{host}:{port}  (docs: http://{host}:{port}/schema)")
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    except KeyboardInterrupt:
        pass
    finally:
        if embedded_dir is not None:
            typer.echo("Stopping embedded PostgreSQL …")
            embedded_postgres_server.stop(embedded_dir)


@bench.command("store")
def bench_store(
    args: Annotated[list[str] | None, typer.Argument(help="Options for the benchmark.")] = None,
) -> None:
    """Event store throughput against eventsourcing's recorder and bare asyncpg."""
    module = runpy.run_path(str(_OPS / "bench" / "store_bench.py"))
    raise typer.Exit(module["main"](args or []))


def main() -> None:
    cli()
