"""Handlers for the platform operator's actions, each an event in the platform log.

The operator opens a tenant's log and suspends or reinstates it; the tenant's own streams are
configured by its ``swv-admin``. Every action is recorded in the tenant's ``Tenancy`` stream of
the platform log, which the tenant's auditor reads (``GET …/platform-log``).
"""

from dataclasses import replace

from application.access import OPERATES_PLATFORM
from application.acts import Act
from application.commands import (
    CommandContext,
    CommandOutcome,
    OpenTenant,
    ReinstateTenant,
    SuspendTenant,
)
from application.errors import TenantSuspendedError, UnknownTenantError
from application.handling import change, load, rebuild, save
from application.ports import Clock, EventStore, RecordedEvent
from domain.errors import DuplicateConfigurationError
from domain.ids import TenantId
from domain.tenancy import PLATFORM_TENANT, Tenancy, tenancy_stream_id


def _in_platform_log(ctx: CommandContext) -> CommandContext:
    return replace(ctx, tenant_id=PLATFORM_TENANT)


async def open_tenant(
    cmd: OpenTenant, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Open a tenant's log and record the opening; 409 if it was opened before."""
    OPERATES_PLATFORM.check_role(ctx.caller)
    ctx = _in_platform_log(ctx)
    tenancy = Tenancy.open(code=cmd.code, name=cmd.name, by=ctx.actor, at=clock.now())
    await store.register_tenant(PLATFORM_TENANT)
    loaded = await load(store, PLATFORM_TENANT, tenancy.id)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    if loaded.events:
        raise DuplicateConfigurationError(f"Tenant {cmd.code} is open already.")
    await store.register_tenant(TenantId(cmd.code))
    return await save(store, ctx, tenancy, expected_version=0)


async def suspend_tenant(
    cmd: SuspendTenant, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Stop every change in the tenant; its people keep reading their data."""
    act = Act.of(ctx, clock)
    return await change(
        store,
        _in_platform_log(ctx),
        Tenancy,
        tenancy_stream_id(cmd.code),
        lambda tenancy: tenancy.suspend(reason=cmd.reason, **act.stamp),
        rule=OPERATES_PLATFORM,
    )


async def reinstate_tenant(
    cmd: ReinstateTenant, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        _in_platform_log(ctx),
        Tenancy,
        tenancy_stream_id(cmd.code),
        lambda tenancy: tenancy.reinstate(reason=cmd.reason, **act.stamp),
        rule=OPERATES_PLATFORM,
    )


async def platform_log(store: EventStore, tenant_id: TenantId) -> list[RecordedEvent]:
    """What the operator did to ``tenant_id``; empty for a tenant opened before the log."""
    try:
        return await store.read_stream(PLATFORM_TENANT, tenancy_stream_id(tenant_id))
    except UnknownTenantError:
        return []


async def ensure_tenant_active(store: EventStore, tenant_id: TenantId) -> None:
    """Refuse a change in a tenant the operator suspended."""
    tenancy = rebuild(await platform_log(store, tenant_id))
    if isinstance(tenancy, Tenancy) and tenancy.suspended:
        raise TenantSuspendedError(tenant_id)
