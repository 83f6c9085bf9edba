"""Seed the demo tenants through the application handlers, once.

A tenant that someone else configured is left alone. A tenant the demo configured itself is
run through again: every command carries the id it had the first time, so the handlers return
their earlier outcomes and append nothing, and a seed that stopped half-way is completed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from application.aggregate_ids import event_id
from application.commands import (
    AddMunicipality,
    CommandContext,
    ConfigureSwv,
    OpenTenant,
)
from application.handlers import platform, swv
from application.local_dates import local_date
from application.ports import Clock, EventStore
from demo.dates import DemoCalendar
from demo.desk import ADMIN, OPERATOR, DemoDesk, Highlight
from demo.others import seed_vo_ruw, seed_zout
from demo.passenderwijs import seed_passenderwijs
from demo.tenants import DEMO_TENANTS, PASSENDERWIJS, VO_RUW, ZOUT, DemoTenant
from domain.errors import DuplicateConfigurationError
from domain.ids import TenantId
from domain.swv import Swv, swv_stream_id
from domain.tenancy import PLATFORM_TENANT

_CONFIGURE = "config/configure"

_CASES: Mapping[TenantId, Callable[[DemoDesk], Awaitable[None]]] = {
    PASSENDERWIJS: seed_passenderwijs,
    VO_RUW: seed_vo_ruw,
    ZOUT: seed_zout,
}


class SeedStatus(StrEnum):
    SEEDED = "SEEDED"  # the tenant was new: configured and filled
    ALREADY_SEEDED = "ALREADY_SEEDED"  # seeded before; nothing was added
    COMPLETED = "COMPLETED"  # an earlier, interrupted seed was completed
    LEFT_ALONE = "LEFT_ALONE"  # configured by someone else: not touched


@dataclass(frozen=True, slots=True)
class TenantSummary:
    tenant_id: TenantId
    name: str
    status: SeedStatus
    events_added: int
    events_total: int
    municipalities: int = 0
    schools: int = 0
    arrangement_types: int = 0
    pupils: int = 0
    support_requests: int = 0
    tlvs: int = 0
    arrangements: int = 0
    objections: int = 0
    highlights: tuple[Highlight, ...] = ()

    def ids_of(self, label: str) -> tuple[UUID, ...]:
        return tuple(h.aggregate_id for h in self.highlights if h.label == label)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    tenants: tuple[TenantSummary, ...]

    @property
    def events_added(self) -> int:
        return sum(t.events_added for t in self.tenants)

    def tenant(self, tenant_id: str) -> TenantSummary:
        for summary in self.tenants:
            if summary.tenant_id == tenant_id:
                return summary
        raise KeyError(tenant_id)


async def seed_demo(
    store: EventStore,
    clock: Clock,
    *,
    today: date | None = None,
    tenant_ids: Mapping[str, TenantId] | None = None,
) -> DemoSummary:
    """Seed Passenderwijs (PO2604), SWV VO RUW (VO2604) and SWV ZOUT (PO2603).

    Business dates count back from ``today``: by default the day of the clock, or for a tenant
    seeded before, the day it was first seeded. ``tenant_ids`` seeds a demo tenant under
    another code of the same sector (e.g. ``{"PO2604": "PO9001"}``), for tests that share one
    database.
    """
    summaries = []
    for tenant in DEMO_TENANTS:
        tenant_id = (tenant_ids or {}).get(tenant.code, tenant.code)
        if tenant_id[:2] != tenant.code[:2]:
            raise ValueError(f"{tenant.code} can only be seeded under a {tenant.code[:2]} code.")
        summaries.append(await _seed_tenant(store, clock, tenant, tenant_id, today))
    return DemoSummary(tuple(summaries))


async def _seed_tenant(
    store: EventStore, clock: Clock, tenant: DemoTenant, tenant_id: TenantId, today: date | None
) -> TenantSummary:
    await _open(store, clock, tenant, tenant_id)
    before = (await store.head(tenant_id)).last_position
    configuration = await store.read_stream(tenant_id, swv_stream_id(tenant_id), to_version=1)
    anchor = today or local_date(clock.now())
    if configuration:
        first = configuration[0]
        ours = CommandContext(tenant_id, ADMIN, DemoDesk.command_id_for(tenant_id, _CONFIGURE))
        if first.event_id != event_id(ours, first.stream_id, 0):
            return TenantSummary(tenant_id, tenant.name, SeedStatus.LEFT_ALONE, 0, before)
        if today is None and isinstance(first.event, Swv.Configured):
            anchor = local_date(first.event.changed_at)
    desk = DemoDesk(store, clock, tenant_id, DemoCalendar(anchor))
    await _configure(desk, tenant)
    await _CASES[tenant.code](desk)
    after = (await store.head(tenant_id)).last_position
    if not configuration:
        status = SeedStatus.SEEDED
    else:
        status = SeedStatus.COMPLETED if after > before else SeedStatus.ALREADY_SEEDED
    tally = desk.tally
    return TenantSummary(
        tenant_id,
        tenant.name,
        status,
        events_added=after - before,
        events_total=after,
        municipalities=len(tenant.municipalities),
        schools=len(tenant.schools),
        arrangement_types=len(tenant.catalogue),
        pupils=tally.pupils,
        support_requests=tally.support_requests,
        tlvs=tally.tlvs,
        arrangements=tally.arrangements,
        objections=tally.objections,
        highlights=tuple(tally.highlights),
    )


async def _open(store: EventStore, clock: Clock, tenant: DemoTenant, tenant_id: TenantId) -> None:
    """Open the tenant as the platform operator would; one it opened before stays as it is."""
    ctx = CommandContext(
        PLATFORM_TENANT, OPERATOR, DemoDesk.command_id_for(tenant_id, "platform/open")
    )
    with contextlib.suppress(DuplicateConfigurationError):
        await platform.open_tenant(
            OpenTenant(code=tenant_id, name=tenant.name), ctx, store=store, clock=clock
        )


async def _configure(desk: DemoDesk, tenant: DemoTenant) -> None:
    await desk.run(
        swv.configure_swv,
        ConfigureSwv(
            name=tenant.name,
            committee_name=tenant.committee_name,
            policy_version=tenant.policy_version,
            policy_effective_from=tenant.policy_effective_from(desk.calendar.today),
            lapse_unredeemed_tlvs=tenant.lapse_unredeemed_tlvs,
        ),
        name=_CONFIGURE,
        actor=ADMIN,
    )
    for code, name in tenant.municipalities:
        await desk.run(
            swv.add_municipality,
            AddMunicipality(code=code, name=name),
            name=f"config/municipality/{code}",
            actor=ADMIN,
        )
    for school in tenant.schools:
        await desk.run(
            swv.add_school,
            school,
            name=f"config/school/{school.brin}{school.vestiging}",
            actor=ADMIN,
        )
    for entry in tenant.catalogue:
        await desk.run(
            swv.add_arrangement_type, entry, name=f"config/catalogue/{entry.code}", actor=ADMIN
        )
