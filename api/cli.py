"""The ``passend`` command: serve the API, run benchmarks."""

from __future__ import annotations

import asyncio
import importlib.metadata
import signal
from pathlib import Path
from typing import Annotated

import asyncpg
import msgspec
import typer

from api import audit_cli, witness_cli
from api.absence_cli import absence_cli
from api.app import create_app
from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.import_cli import import_command
from api.keys_cli import keys_cli
from api.logs import configure_logging
from api.partners_cli import deliveries_cli
from api.retention_cli import retention_cli
from api.serving import (
    LOG_READERS_YOUNG_GENERATION,
    WorkerPoolsDoNotFitError,
    connections_beside_workers,
    default_workers,
    serve_workers,
    sized_http_worker_pool,
    tune_garbage_collection,
)
from api.settings import Settings
from api.startup import database_answers_or_exit, run_service, with_heartbeat
from api.tenant_cli import tenant_cli
from demo import DemoSummary, seed_demo
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure import embedded_postgres_server
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import application_store
from infrastructure.migrate import apply_migrations
from infrastructure.system import SystemClock
from projections.process import rebuild_projection, run_projections_process
from projections.progress import rebuild_progress_bar
from projections.rebuild import RebuildError, RebuildResult
from projections.registry import PROJECTIONS, projection_named

cli = typer.Typer(
    help="Passend: decisions of samenwerkingsverbanden, as events.", no_args_is_help=True
)
cli.command("import")(import_command)
cli.add_typer(tenant_cli, name="tenant")
projections_cli = typer.Typer(help="Read models: run the projector, rebuild.", no_args_is_help=True)
cli.add_typer(projections_cli, name="projections")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(retention_cli, name="retention")
cli.add_typer(deliveries_cli, name="deliveries")
cli.add_typer(absence_cli, name="absence")
cli.command("export")(audit_cli.export)
cli.command("verify")(audit_cli.verify)
cli.command("witness")(witness_cli.witness)


async def _seed_demo(settings: Settings) -> DemoSummary:
    """Migrate, then seed the demo tenants that are not there yet (a no-op on a rerun)."""
    await _migrate(settings)
    pool = await create_pool(settings.app_dsn(), min_size=1, max_size=2)
    try:
        return await seed_demo(application_store(pool, settings.data_dir), SystemClock())
    finally:
        await pool.close()


def _print_seed(summary: DemoSummary) -> None:
    for tenant in summary.tenants:
        typer.echo(
            f"  {tenant.tenant_id} {tenant.name}: {tenant.status}, {tenant.pupils} pupils, "
            f"{tenant.support_requests} requests, {tenant.tlvs} TLVs, "
            f"{tenant.arrangements} arrangements ({tenant.events_total} events)"
        )


def _embedded_settings(settings: Settings, *, workers: int = 1) -> tuple[Settings, Path]:
    embedded_dir = settings.data_dir / "postgres"
    typer.echo(f"Starting embedded PostgreSQL in {embedded_dir} …")
    try:
        server = embedded_postgres_server.start(
            embedded_dir, max_connections=embedded_max_connections(settings, workers)
        )
    except embedded_postgres_server.EmbeddedServerRunningError as error:
        typer.echo(f"Not starting: {error}", err=True)
        raise typer.Exit(1) from None
    return msgspec.structs.replace(
        settings, database_url=server.admin_dsn(), database_app_url=server.app_dsn()
    ), embedded_dir


def embedded_max_connections(settings: Settings, workers: int) -> int:
    """The embedded server's ``max_connections``: room for ``workers`` full pools and the rest."""
    wanted = (workers if workers > 1 else 0) * settings.pool_max_size
    wanted += connections_beside_workers(settings)
    return max(
        embedded_postgres_server.DEFAULT_MAX_CONNECTIONS,
        wanted + embedded_postgres_server.SUPERUSER_RESERVED_CONNECTIONS,
    )


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Add the demo tenants (PO2604, VO2604, PO2603) with realistic cases, if missing."""
    settings = Settings.from_env()
    embedded_dir: Path | None = None
    if settings.database_url is None:
        settings, embedded_dir = _embedded_settings(settings)
    try:
        _print_seed(asyncio.run(_seed_demo(settings)))
    finally:
        if embedded_dir is not None:
            embedded_postgres_server.stop(embedded_dir)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Seed the demo tenants first (only what is missing).")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: one per core; 1 serves in this process)."),
    ] = None,
) -> None:
    """Start the API. Without DATABASE_URL, an embedded PostgreSQL in ./var is used."""
    configure_logging()
    settings = Settings.from_env(host=host, port=port)
    workers = default_workers() if workers is None else workers
    embedded_dir: Path | None = None
    if settings.database_url is None:
        settings, embedded_dir = _embedded_settings(settings, workers=workers)
    else:
        database_answers_or_exit(settings, settings.database_url, "passend serve")
    try:
        pool_size = sized_http_worker_pool(settings, workers) if workers > 1 else None
    except WorkerPoolsDoNotFitError as error:
        typer.echo(f"Not starting: {error}.", err=True)
        if embedded_dir is not None:
            embedded_postgres_server.stop(embedded_dir)
        raise typer.Exit(1) from None
    if demo:
        typer.echo("Demo tenants:")
        _print_seed(asyncio.run(_seed_demo(settings)))
    # uvicorn turns SIGTERM into a graceful shutdown; make sure a plain kill does the same.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        typer.echo(f"API on http://{host}:{port}  (docs: http://{host}:{port}/schema)")
        typer.echo(
            "A token:  uv run passend token --tenant PO2604 --role loket"
            "  → send it as 'Authorization: Bearer <token>'"
        )
        if pool_size is not None:
            # this process becomes the parent of the workers
            serve_workers(settings, workers, pool_size, embedded_dir)
        import uvicorn  # noqa: PLC0415 - a second of start-up for every command; serve only

        app = create_app(settings)
        tune_garbage_collection()
        # Our logging configuration, and our request line instead of uvicorn's access log.
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    except KeyboardInterrupt:
        pass
    finally:
        if embedded_dir is not None:
            typer.echo("Stopping embedded PostgreSQL …")
            embedded_postgres_server.stop(embedded_dir)


@cli.command()
def token(
    tenant: Annotated[
        list[str] | None, typer.Option(help="SWV code the token is for (repeatable).")
    ] = None,
    role: Annotated[
        list[Role] | None, typer.Option(help="Role in those tenants (repeatable).")
    ] = None,
    subject: Annotated[str, typer.Option(help="Who the token is for.")] = "dev-user",
    school: Annotated[
        str | None, typer.Option(help="School (BRIN+vestiging) for 'school'.")
    ] = None,
    municipality: Annotated[
        str | None, typer.Option(help="CBS code (GMxxxx) for 'municipality'.")
    ] = None,
    hours: Annotated[int, typer.Option(help="Hours until the token expires.")] = 8,
    platform_operator: Annotated[
        bool,
        typer.Option(
            "--platform-operator",
            help="A platform operator's token: opens and suspends tenants, no role in any.",
        ),
    ] = False,
) -> None:
    """Mint a development token, signed with the key in the data directory."""
    settings = Settings.from_env()
    if platform_operator == bool(tenant or role):
        raise typer.BadParameter(
            "give --tenant and --role, or --platform-operator alone: an operator's token "
            "names no tenant"
        )
    grant = TenantGrant(roles=tuple(role or ()), school=school, municipality=municipality)
    try:
        minted = mint_token(
            dev_signing_key(settings.data_dir),
            subject=subject,
            tenants=dict.fromkeys(tenant or (), grant),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=hours * 3600,
            platform_operator=platform_operator,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(minted)


def _database_settings() -> Settings:
    settings = Settings.from_env()
    if settings.database_url is None:
        raise typer.BadParameter(
            "set DATABASE_URL (the projections run beside a database that serve also uses)"
        )
    return settings


async def _migrate(settings: Settings) -> None:
    admin = await asyncpg.connect(settings.database_url)
    try:
        await apply_migrations(admin)
    finally:
        await admin.close()


@projections_cli.command("run")
def projections_run() -> None:
    """Keep every read model up to date in this process (scale-out; serve also runs one)."""
    configure_logging()
    settings = _database_settings()
    database_answers_or_exit(settings, settings.database_url or "", "passend projections run")

    async def run() -> None:
        await _migrate(settings)
        await with_heartbeat(
            settings,
            settings.app_dsn(),
            run_projections_process(settings.app_dsn(), PROJECTIONS, EventCodec(AGGREGATE_CLASSES)),
        )

    tune_garbage_collection(young_generation=LOG_READERS_YOUNG_GENERATION)
    run_service(run())


@projections_cli.command("rebuild")
def projections_rebuild(
    name: Annotated[str, typer.Argument(help="The read model, e.g. school_caseload.")],
    tenant: Annotated[str | None, typer.Option(help="Only this tenant (SWV code).")] = None,
) -> None:
    """Rebuild a read model from the log while the old one keeps serving, then switch."""
    settings = _database_settings()
    try:
        projection = projection_named(name)
    except LookupError as error:
        raise typer.BadParameter(str(error)) from None

    async def run() -> RebuildResult:
        await _migrate(settings)
        with rebuild_progress_bar() as progress:
            return await rebuild_projection(
                settings.app_dsn(),
                projection,
                EventCodec(AGGREGATE_CLASSES),
                tenant_id=TenantId(tenant) if tenant else None,
                progress=progress,
            )

    tune_garbage_collection(young_generation=LOG_READERS_YOUNG_GENERATION)
    try:
        result = asyncio.run(run())
    except RebuildError as error:
        typer.echo(f"Not rebuilt: {error}", err=True)
        raise typer.Exit(1) from None
    rate = result.events / result.seconds if result.seconds else 0.0
    typer.echo(
        f"{result.projection}: build {result.build} is active, {result.events} events"
        f" in {result.seconds:.1f} s ({rate:,.0f} ev/s)"
    )


def add_installed_commands(app: typer.Typer) -> None:
    """Command groups installed beside the core (``passend.commands`` entry points: bench)."""
    for entry in importlib.metadata.entry_points(group="passend.commands"):
        app.add_typer(entry.load(), name=entry.name)


add_installed_commands(cli)


def main() -> None:
    cli()
