"""``passend keys``: rotate a tenant's key-encryption key and re-wrap its data keys, online."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.settings import Settings
from application.handlers.platform import ensure_tenant_not_erased
from domain.ids import TenantId
from domain.tenancy import TenancyStateError
from infrastructure.data_keys import DataKeys, RewrapProgress, RewrapResult
from infrastructure.database import Connection, Pool, create_pool
from infrastructure.event_store import application_store
from infrastructure.key_provider import default_key_provider
from infrastructure.migrate import apply_migrations

keys_cli = typer.Typer(
    help="Key-encryption keys: rotate, re-wrap, count (the API may keep running).",
    no_args_is_help=True,
)

_T = TypeVar("_T")
TenantOption = Annotated[str, typer.Option(help="The tenant (SWV code).")]


def _settings() -> Settings:
    settings = Settings.from_env()
    if settings.database_url is None:
        raise typer.BadParameter("set DATABASE_URL to the database the API uses")
    return settings


def _with_pool(
    work: Callable[[Pool, DataKeys], Awaitable[_T]], *, making_keks_of: TenantId | None = None
) -> _T:
    """``work`` on the API's database; first, a tenant it may make a KEK of must not be erased.

    The platform log says so, as for the API's rotations (TenancyStateError).
    """
    settings = _settings()

    async def run() -> _T:
        admin = await asyncpg.connect(settings.database_url)
        try:
            await apply_migrations(admin)
        finally:
            await admin.close()
        pool = await create_pool(settings.app_dsn(), min_size=1, max_size=2)
        try:
            if making_keks_of is not None:
                store = application_store(pool, settings.data_dir)
                try:
                    await ensure_tenant_not_erased(store, making_keks_of)
                finally:
                    await store.close()
            return await work(pool, DataKeys(default_key_provider(settings.data_dir)))
        finally:
            await pool.close()

    return asyncio.run(run())


def _rewrap_with_bar(
    tenant: str, step: Callable[[Connection, DataKeys, RewrapProgress], Awaitable[RewrapResult]]
) -> RewrapResult:
    """Both make a KEK if the tenant has none: refused for an erased tenant."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, TimeElapsedColumn()) as bar:
            task = bar.add_task(f"re-wrapping {tenant}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            async def on_a_connection(pool: Pool, keys: DataKeys) -> RewrapResult:
                async with pool.acquire() as conn:
                    return await step(conn, keys, progress)

            return _with_pool(on_a_connection, making_keks_of=TenantId(tenant))
    except TenancyStateError as error:
        typer.echo(f"Nothing done: {error}", err=True)
        raise typer.Exit(1) from None


def _report(result: RewrapResult) -> None:
    typer.echo(
        f"{result.tenant_id}: every data key is under KEK {result.kek_id} "
        f"({result.rewrapped} re-wrapped, {result.already_current} already were, "
        f"{result.shredded_meanwhile} shredded meanwhile)"
    )
    if result.unreadable:
        typer.echo(
            f"{result.unreadable} data keys are under a KEK the provider no longer has: "
            "their personal data stays unreadable",
            err=True,
        )
        raise typer.Exit(1)


@keys_cli.command("rotate")
def rotate(tenant: TenantOption) -> None:
    """Make a new KEK current for the tenant and re-wrap every data key under it.

    Interrupted? ``passend keys rewrap --tenant`` finishes the job.
    """
    tenant_id = TenantId(tenant)
    _report(_rewrap_with_bar(tenant, lambda conn, keys, p: keys.rotate(conn, tenant_id, p)))


@keys_cli.command("rewrap")
def rewrap(tenant: TenantOption) -> None:
    """Re-wrap every data key not yet under the tenant's current KEK (also bare, older keys)."""
    tenant_id = TenantId(tenant)
    _report(_rewrap_with_bar(tenant, lambda conn, keys, p: keys.rewrap(conn, tenant_id, p)))


@keys_cli.command("status")
def status(tenant: TenantOption) -> None:
    """How many of the tenant's data keys are under which KEK, bare, or shredded."""
    census = _with_pool(lambda pool, _keys: DataKeys.census(pool, TenantId(tenant)))
    for name, count in sorted(census.items()):
        typer.echo(f"{name}\t{count}")
