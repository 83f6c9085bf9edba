"""``passend absence signals``: record the thuiszitter signals whose day came; and the daily run.

A signal (the Leerplichtwet report, 4 school weeks completely absent, the Thuiszitterspact
months) falls on a day no command happens on: Passend records it on the case itself, as
``system:absence-signals``, so it reaches the attendance office through the partner feeds.
``serve`` does so for every tenant each night at 02:00 (Amsterdam), with retention; the
command does it at once. The open cases to look at come from the ``absence_cases`` read model;
the case itself decides what is due, so a lagging read model delays a signal, never invents one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import asyncpg
import typer

from api.retention_cli import Sleep, _with_store, every_night, every_tenant
from application.errors import ApplicationError
from application.handlers.absence import record_reached_absence_signals
from application.local_dates import local_date
from application.ports import Clock
from domain.errors import DomainError
from domain.ids import TenantId
from infrastructure.database import Pool
from infrastructure.event_store import PostgresEventStore
from infrastructure.system import SystemClock
from projections.absence_cases import cases_with_signals_to_record

log = logging.getLogger("passend.absence")
absence_cli = typer.Typer(help="Thuiszitters: record the signals whose day came.")


async def record_due_signals(
    store: PostgresEventStore, tenants: list[TenantId], clock: Clock
) -> dict[TenantId, int]:
    """For each tenant, on how many cases the signals due by today were recorded.

    One failing case or tenant does not stop the others: a tenant whose cases cannot be read
    is logged and left out of the answer, and the next night tries it again.
    """
    today = local_date(clock.now())
    done: dict[TenantId, int] = {}
    for tenant in tenants:
        try:
            async with store.pool.acquire() as conn:
                cases = await cases_with_signals_to_record(conn, tenant, on=today)
        except asyncpg.UndefinedTableError:
            log.warning("%s: the absence_cases read model is not built yet", tenant)
            continue
        except Exception:
            log.exception("%s: its absence cases could not be read; the others go on", tenant)
            continue
        done[tenant] = 0
        for case_id in cases:
            try:
                await record_reached_absence_signals(tenant, case_id, store=store, clock=clock)
            except (ApplicationError, DomainError, asyncpg.PostgresError) as error:
                log.warning("%s: absence case %s: %s", tenant, case_id, error)
                continue
            done[tenant] += 1
    return done


async def daily_absence_signals(
    store: PostgresEventStore, clock: Clock, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Record the signals due of every tenant every night, until cancelled."""

    async def night() -> None:
        tenants = await every_tenant(store.pool)
        for tenant, cases in (await record_due_signals(store, tenants, clock)).items():
            log.info("%s: signals recorded on %d absence cases", tenant, cases)

    await every_night("absence signals", night, clock, sleep=sleep)


@absence_cli.command("signals")
def signals(
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant (SWV code); every tenant if not given.")
    ] = None,
) -> None:
    """Record on each open absence case the signals whose day is today or has passed."""

    async def work(store: PostgresEventStore, pool: Pool) -> dict[TenantId, int]:
        tenants = [TenantId(tenant)] if tenant else await every_tenant(pool)
        return await record_due_signals(store, tenants, SystemClock())

    for code, cases in _with_store(work).items():
        typer.echo(f"{code}: signals recorded on {cases} absence case(s)")
