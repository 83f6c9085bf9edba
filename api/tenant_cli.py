"""``passend tenant offboard``: hand a tenant's data back, then delete it (AVG art. 28(3)(g)).

A platform operator's act, run beside the database with the admin ``DATABASE_URL``. It runs the
same use cases as ``POST /v1/platform/tenants/{code}/suspension``, ``…/export`` and
``…/erasure``, so the platform log records each step, by ``platform-operator:cli``: the tenant
is suspended unless it is already (its log must stand still from the export on), its export is
written, checked and recorded with its SHA-256; deletion (every row, then every KEK of the
tenant in the key provider) needs ``--confirm`` with the tenant's code again.

Run again, it resumes: an export recorded for the log as it stands, whose file is still at
``--export`` (or whose rows are gone already, deleted by a run that stopped before it recorded
the erasure), is not written again; an erased tenant has nothing left to do.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar
from uuid import uuid4

import typer

from api.dependencies import CommandRunner
from api.settings import Settings
from application.access import Caller
from application.commands import CommandContext, EraseTenant, ExportTenant, SuspendTenant
from application.errors import AggregateNotFoundError, KeyUnavailableError, UnknownTenantError
from application.handlers import offboarding, platform
from application.handlers.offboarding import EraseRows, HandedBackLog
from application.handling import load
from domain.errors import DomainError
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from domain.tenancy import PLATFORM_TENANT, Tenancy, tenancy_stream_id
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import default_key_provider
from infrastructure.offboarding import (
    TenantStillBusyError,
    export_writer,
    row_eraser,
    sha256_of_file,
)
from infrastructure.system import SystemClock

tenant_cli = typer.Typer(help="Tenants: offboarding.", no_args_is_help=True)

OPERATOR = Caller.operator("cli")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Offboarded:
    suspended_now: bool
    exported: HandedBackLog | None
    """None: the tenant was erased before this run."""
    exported_now: bool
    export_file: Path | None
    """Where the export is, written or found; None: its rows were gone, the file not looked for."""
    rows_deleted: int | None


async def _as_operator(
    store: PostgresEventStore, handler: Callable[..., Awaitable[R]], command: object
) -> R:
    """Run one command as the HTTP routes run an operator's: in the platform log, its own id."""
    ctx = CommandContext(PLATFORM_TENANT, OPERATOR, uuid4())
    return await CommandRunner(ctx, store, SystemClock(), in_tenant=False)(handler, command)


async def _offboard(
    settings: Settings, code: str, export: Path, *, reason: str, erase_rows: EraseRows | None
) -> Offboarded:
    """Suspend unless suspended, export, and erase if given how; each step in the platform log."""
    deleted: list[int] = []
    pool = await create_pool(settings.app_dsn(), min_size=1, max_size=2)
    keks = default_key_provider(settings.data_dir)
    try:
        store = PostgresEventStore(pool, EventCodec(AGGREGATE_CLASSES), key_provider=keks)
        run = functools.partial(_as_operator, store)
        tenancy = (await load(store, PLATFORM_TENANT, tenancy_stream_id(code))).require(Tenancy)
        if tenancy.erased:
            await store.close()
            return Offboarded(
                suspended_now=False,
                exported=None,
                exported_now=False,
                export_file=None,
                rows_deleted=None,
            )
        if suspend := not tenancy.suspended:
            await run(platform.suspend_tenant, SuspendTenant(code=code, reason=reason))
        recorded, found_at = await _export_of_the_log_as_it_stands(store, tenancy, export)
        written = (
            recorded
            or (
                await run(
                    functools.partial(
                        offboarding.export_tenant, write_export=export_writer(store, export)
                    ),
                    ExportTenant(code=code),
                )
            )[1]
        )
        if erase_rows is not None:
            erase = erase_rows

            async def counted(tenant_id: TenantId) -> int:
                deleted.append(await erase(tenant_id))
                return deleted[-1]

            await run(
                functools.partial(offboarding.erase_tenant, erase_rows=counted, keks=keks),
                EraseTenant(code=code, export_sha256=written.sha256, reason=reason),
            )
        await store.close()
    finally:
        await pool.close()
    return Offboarded(
        suspended_now=suspend,
        exported=written,
        exported_now=recorded is None,
        export_file=export if recorded is None else found_at,
        rows_deleted=deleted[-1] if deleted else None,
    )


async def _export_of_the_log_as_it_stands(
    store: PostgresEventStore, tenancy: Tenancy, export: Path
) -> tuple[HandedBackLog | None, Path | None]:
    """The recorded export a rerun goes on from and where its file is; ``(None, None)``: export.

    Its rows gone, the recorded export is the only one there can be, and its file is not looked
    for; otherwise it must be of the log's head, and its file at ``export`` as recorded.
    """
    if tenancy.export is None:
        return None, None
    recorded = HandedBackLog(
        tenancy.export.last_position, tenancy.export.chain_hash, tenancy.export.sha256
    )
    try:
        head = await store.head(TenantId(tenancy.code))
    except UnknownTenantError:
        return recorded, None  # deleted by a run that stopped before recording the erasure
    if head.last_position != recorded.last_position:
        return None, None
    if await asyncio.to_thread(_sha256_if_there, export) != recorded.sha256:
        return None, None
    return recorded, export


def _sha256_if_there(path: Path) -> str | None:
    return sha256_of_file(path) if path.is_file() else None


def _where(done: Offboarded) -> str:
    """Where the export is, as the line that ends in its SHA-256 says it."""
    if done.exported_now:
        return f"written to {done.export_file}, sha256"
    if done.export_file is not None:
        return f"exported before, not written again: {done.export_file}, sha256"
    return "exported before, not written again (its rows are gone); recorded sha256"


@tenant_cli.command("offboard")
def offboard(
    tenant: Annotated[str, typer.Argument(help="The SWV code of the tenant that leaves.")],
    export: Annotated[Path, typer.Option(help="Where to write the tenant's log (NDJSON).")],
    reason: Annotated[
        str, typer.Option(help="Why, for the platform log (suspension and erasure).")
    ] = "The tenant leaves the platform.",
    confirm: Annotated[
        str | None, typer.Option(help="The SWV code again: then the tenant's data is deleted.")
    ] = None,
) -> None:
    """Suspend the tenant, export its whole log, then (with --confirm CODE) delete every row."""
    settings = Settings.from_env()
    if settings.database_url is None:
        raise typer.BadParameter("set DATABASE_URL (the admin DSN): offboarding deletes rows")
    if confirm is not None and confirm != tenant:
        raise typer.BadParameter("--confirm must repeat the tenant's code exactly")
    erase_rows = None if confirm is None else row_eraser(settings.database_url)
    try:
        done = asyncio.run(
            _offboard(settings, tenant, export, reason=reason, erase_rows=erase_rows)
        )
    except AggregateNotFoundError:
        typer.echo(f"No tenant {tenant} in the platform log.", err=True)
        raise typer.Exit(1) from None
    except (TenantStillBusyError, DomainError) as error:
        typer.echo(f"Nothing deleted: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyUnavailableError as error:
        typer.echo(f"Nothing deleted: {tenant}'s KEKs cannot be destroyed: {error}", err=True)
        raise typer.Exit(1) from None
    if done.exported is None:
        typer.echo(f"{tenant}: erased already; nothing left to do")
        return
    if done.suspended_now:
        typer.echo(f"{tenant}: suspended (nothing changes in it any more)")
    typer.echo(
        f"{tenant}: its log up to position {done.exported.last_position}"
        f" (chain {done.exported.chain_hash}) {_where(done)} {done.exported.sha256}"
    )
    if done.rows_deleted is None:
        typer.echo(f"Nothing deleted; check the export, then add --confirm {tenant}")
    else:
        typer.echo(f"{tenant}: {done.rows_deleted} rows deleted; none of it is left in any table")
        typer.echo(f"{tenant}: its key-encryption keys are destroyed in the key provider")
