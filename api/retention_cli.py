"""``passend retention``: shred what the terms say must go, set a tenant's terms; and the daily run.

``serve`` runs retention for every tenant once a day (at 02:00 Amsterdam time) in the process
that runs the background work (``api.background``); ``passend retention run`` does the same at
once, or only lists it with ``--dry-run``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo

import asyncpg
import typer

from api.settings import Settings
from application.access import Caller, Role
from application.commands import CommandContext
from application.ports import Clock, EventStore
from application.retention import RetentionReport, change_retention, run_retention
from domain.ids import TenantId
from infrastructure.database import Pool, create_pool
from infrastructure.event_store import PostgresEventStore, application_store
from infrastructure.migrate import apply_migrations
from infrastructure.system import SystemClock

log = logging.getLogger("passend.retention")
retention_cli = typer.Typer(
    help="Retention: shred personal data whose term has passed; set a tenant's terms.",
    no_args_is_help=True,
)
_T = TypeVar("_T")
_LOCAL = ZoneInfo("Europe/Amsterdam")
_DAILY_AT = time(2, 0)
OPERATOR = "operator:cli"


async def every_tenant(pool: Pool) -> list[TenantId]:
    async with pool.acquire() as conn:
        return [TenantId(r[0]) for r in await conn.fetch("SELECT tenant_id FROM passend_tenants()")]


async def run_for_tenants(
    store: EventStore, tenants: list[TenantId], clock: Clock, *, dry_run: bool
) -> list[RetentionReport]:
    """Retention for each tenant in turn; one tenant failing does not stop the others."""
    reports = []
    for tenant in tenants:
        try:
            reports.append(await run_retention(store, tenant, clock, dry_run=dry_run))
        except Exception:
            log.exception("retention failed for tenant %s", tenant)
    return reports


def seconds_until_next_run(now: datetime) -> float:
    local = now.astimezone(_LOCAL)
    next_run = datetime.combine(local.date(), _DAILY_AT, tzinfo=_LOCAL)
    if next_run <= local:
        next_run = datetime.combine(local.date() + timedelta(days=1), _DAILY_AT, tzinfo=_LOCAL)
    # in UTC: between two times of one zone Python subtracts wall clocks, and the night the
    # clocks go back is then an hour short (the job ran at 01:00 and again at 02:00)
    return (next_run.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


Sleep = Callable[[float], Awaitable[object]]


async def every_night(
    name: str, work: Callable[[], Awaitable[None]], clock: Clock, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Run ``work`` every night at 02:00 (Amsterdam), until cancelled.

    A night that fails (the database away at 02:00, say) is logged and the next night runs
    as usual: the failure must not end the loop, or nothing would run again until a restart.
    """
    due = clock.now()
    while True:
        # From the time it was due, not the clock's: a sleep measured on the monotonic clock
        # may end a little before 02:00 by the wall clock, and the next run would be 02:00 again.
        now = max(clock.now(), due)
        wait = seconds_until_next_run(now)
        due = now + timedelta(seconds=wait)
        await sleep(wait)
        try:
            await work()
        except Exception:
            log.exception("the nightly %s failed; it runs again next night", name)


async def daily_retention(
    store: PostgresEventStore, clock: Clock, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Run retention for every tenant every night, until cancelled."""

    async def night() -> None:
        tenants = await every_tenant(store.pool)
        for report in await run_for_tenants(store, tenants, clock, dry_run=False):
            for line in report.lines():
                log.info("%s", line)

    await every_night("retention", night, clock, sleep=sleep)


def _with_store(work: Callable[[PostgresEventStore, Pool], Awaitable[_T]]) -> _T:
    settings = Settings.from_env()
    if settings.database_url is None:
        raise typer.BadParameter("set DATABASE_URL to the database the API uses")

    async def run() -> _T:
        admin = await asyncpg.connect(settings.database_url)
        try:
            await apply_migrations(admin)
        finally:
            await admin.close()
        pool = await create_pool(settings.app_dsn(), min_size=1, max_size=3)
        store = application_store(pool, settings.data_dir)
        try:
            return await work(store, pool)
        finally:
            await store.close()
            await pool.close()

    return asyncio.run(run())


@retention_cli.command("run")
def run(
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant (SWV code); every tenant if not given.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be shredded; change nothing.")
    ] = False,
) -> None:
    """Shred every subject whose retention term has passed; one event per subject."""

    async def work(store: PostgresEventStore, pool: Pool) -> list[RetentionReport]:
        tenants = [TenantId(tenant)] if tenant else await every_tenant(pool)
        return await run_for_tenants(store, tenants, SystemClock(), dry_run=dry_run)

    reports = _with_store(work)
    for report in reports:
        for line in report.lines():
            typer.echo(line)
        if dry_run:
            for due in report.due:
                typer.echo(
                    f"    {due.subject.kind.value} {due.subject.subject_id}"
                    f" (pupil {due.subject.pupil_id}) due {due.due_on}"
                )


def _configure(tenant: str, action_name: str, action: Callable[..., None]) -> None:
    async def work(store: PostgresEventStore, _pool: Pool) -> None:
        caller = Caller(OPERATOR, roles=frozenset({Role.SWV_ADMIN}))
        ctx = CommandContext(TenantId(tenant), caller, uuid4())
        outcome = await change_retention(store, ctx, SystemClock(), action)
        typer.echo(f"{tenant}: {action_name} (retention version {outcome.stream_version})")

    _with_store(work)


@retention_cli.command("terms")
def terms(
    tenant: Annotated[str, typer.Option(help="The tenant (SWV code).")],
    dossier_years: Annotated[int, typer.Option(help="Years a dossier is kept, 1 to 3.")],
) -> None:
    """Set how long the tenant keeps dossiers after their case closed (at most 3 years)."""
    now = SystemClock().now()
    _configure(
        tenant,
        f"dossiers kept {dossier_years} years",
        lambda r: r.set_terms(dossier_years=dossier_years, by=OPERATOR, at=now),
    )


@retention_cli.command("selection-list")
def selection_list(
    tenant: Annotated[str, typer.Option(help="The tenant (SWV code).")],
    name: Annotated[str, typer.Option(help="The adopted selection list.")],
    adopted_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD.")],
    decision_years: Annotated[int, typer.Option(help="Years decisions are kept, 7 to 20.")] = 7,
) -> None:
    """Record the selection list the tenant adopted: decisions leave legal hold."""
    now = SystemClock().now()
    day: date = adopted_on.date()
    _configure(
        tenant,
        f"selection list {name!r} adopted",
        lambda r: r.adopt_selection_list(
            list_name=name, adopted_on=day, decision_years=decision_years, by=OPERATOR, at=now
        ),
    )
