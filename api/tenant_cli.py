"""``passend tenant offboard``: hand a tenant's data back, then delete it (AVG art. 28(3)(g)).

A platform operator's act, run beside the database with the admin ``DATABASE_URL``: the export
is written and checked first; deletion needs ``--confirm`` with the tenant's code again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from api.settings import Settings
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.offboarding import (
    Export,
    TenantStillBusyError,
    delete_tenant,
    export_tenant,
)

tenant_cli = typer.Typer(help="Tenants: offboarding.", no_args_is_help=True)


async def _offboard(
    settings: Settings, tenant_id: TenantId, export: Path, *, delete: bool
) -> tuple[Export, dict[str, int]]:
    pool = await create_pool(settings.app_dsn(), min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool, EventCodec(AGGREGATE_CLASSES))
        exported = await export_tenant(store, tenant_id, export)
        await store.close()
    finally:
        await pool.close()
    if not delete:
        return exported, {}
    admin = await asyncpg.connect(settings.database_url)
    try:
        return exported, await delete_tenant(admin, tenant_id)
    finally:
        await admin.close()


@tenant_cli.command("offboard")
def offboard(
    tenant: Annotated[str, typer.Argument(help="The SWV code of the tenant that leaves.")],
    export: Annotated[Path, typer.Option(help="Where to write the tenant's log (NDJSON).")],
    confirm: Annotated[
        str | None, typer.Option(help="The SWV code again: then the tenant's data is deleted.")
    ] = None,
) -> None:
    """Export a tenant's whole log, then (with --confirm CODE) delete every row it has."""
    settings = Settings.from_env()
    if settings.database_url is None:
        raise typer.BadParameter("set DATABASE_URL (the admin DSN): offboarding deletes rows")
    delete = confirm is not None
    if delete and confirm != tenant:
        raise typer.BadParameter("--confirm must repeat the tenant's code exactly")
    try:
        exported, deleted = asyncio.run(
            _offboard(settings, TenantId(tenant), export, delete=delete)
        )
    except TenantStillBusyError as error:
        typer.echo(f"Nothing deleted: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{tenant}: {exported.events} events up to position {exported.last_position}"
        f" (chain {exported.chain_hash}) written to {exported.path}"
    )
    if delete:
        typer.echo(f"{tenant}: deleted " + ", ".join(f"{t} {n}" for t, n in deleted.items()))
        typer.echo(f"{tenant}: no row of it is left in any table")
    else:
        typer.echo(f"Nothing deleted; check the export, then add --confirm {tenant}")
