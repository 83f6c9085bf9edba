"""Handlers for the platform operator's actions, each an event in the platform log.

The operator opens a tenant's log, suspends or reinstates it and rotates its key-encryption
key; the tenant's own streams are configured by its ``swv-admin``. Every action is recorded in
the tenant's ``Tenancy`` stream of the platform log, which the tenant's auditor reads
(``GET …/platform-log``).
"""

from collections import defaultdict
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import replace
from typing import Protocol
from uuid import UUID, uuid5

from application.access import OPERATES_PLATFORM, Caller
from application.acts import Act
from application.commands import (
    CommandContext,
    CommandOutcome,
    OpenTenant,
    ReinstateTenant,
    RotateTenantKeys,
    SuspendTenant,
)
from application.errors import TenantSuspendedError, UnknownTenantError
from application.handling import change, load, rebuild, save
from application.ports import Clock, EventStore, RecordedEvent
from domain.errors import DuplicateConfigurationError
from domain.ids import TenantId
from domain.tenancy import (
    PLATFORM_TENANT,
    KeyRotation,
    Tenancy,
    TenancyStateError,
    tenancy_stream_id,
)

_ROTATION_COMPLETIONS = UUID("0c8f5a3e-51d2-4e47-9a0b-6f1c2d3e4b5a")

KEY_ROTATION_RESUMER = Caller.system_principal("key-rotation-resumer", platform=True)
"""Passend completing a rotation a stopped process left re-wrapping (as it starts, and
every minute in the process that runs the background work).

``system:key-rotation-resumer`` on the completion; the operator who started it stays on the start.
"""


class RewrapCounts(Protocol):
    """What re-wrapping a tenant's data keys did, in numbers of keys."""

    @property
    def rewrapped(self) -> int: ...
    @property
    def already_current(self) -> int: ...
    @property
    def shredded_meanwhile(self) -> int: ...
    @property
    def unreadable(self) -> int: ...


class TenantKeys(Protocol):
    """A tenant's key-encryption keys, as a rotation uses them (infrastructure.data_keys)."""

    async def new_kek(self, tenant_id: TenantId) -> str:
        """Make a new KEK the tenant's current one; its id."""
        ...

    async def rewrap(self, tenant_id: TenantId) -> RewrapCounts | None:
        """Wrap every data key of the tenant under its current KEK (resumable).

        None, doing nothing, while another process is re-wrapping the same tenant's keys.
        """
        ...


def _in_platform_log(ctx: CommandContext) -> CommandContext:
    return replace(ctx, tenant_id=PLATFORM_TENANT)


async def open_tenant(
    cmd: OpenTenant, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Open a tenant's log and record the opening; 409 if it was opened before."""
    OPERATES_PLATFORM.check_role(ctx.caller)
    ctx = _in_platform_log(ctx)
    tenancy = Tenancy.open(code=cmd.code, name=cmd.name, **Act.of(ctx, clock).stamp)
    await store.register_tenant(PLATFORM_TENANT)
    loaded = await load(store, PLATFORM_TENANT, tenancy.id)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    if loaded.events:
        raise DuplicateConfigurationError(f"Tenant {cmd.code} is open already.")
    await store.register_tenant(TenantId(cmd.code))
    return await save(store, ctx, tenancy, expected_version=0)


async def _change_tenancy(
    store: EventStore,
    ctx: CommandContext,
    clock: Clock,
    code: str,
    action: Callable[[Tenancy, Act], None],
) -> CommandOutcome:
    """Run ``action`` on the tenant's ``Tenancy`` in the platform log, as the operator's act."""
    act = Act.of(ctx, clock)
    return await change(
        store,
        _in_platform_log(ctx),
        Tenancy,
        tenancy_stream_id(code),
        lambda tenancy: action(tenancy, act),
        rule=OPERATES_PLATFORM,
    )


async def suspend_tenant(
    cmd: SuspendTenant, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Stop every change in the tenant; its people keep reading their data."""
    return await _change_tenancy(
        store, ctx, clock, cmd.code, lambda t, act: t.suspend(reason=cmd.reason, **act.stamp)
    )


async def reinstate_tenant(
    cmd: ReinstateTenant, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await _change_tenancy(
        store, ctx, clock, cmd.code, lambda t, act: t.reinstate(reason=cmd.reason, **act.stamp)
    )


async def start_key_rotation(
    cmd: RotateTenantKeys,
    ctx: CommandContext,
    *,
    store: EventStore,
    clock: Clock,
    keys: TenantKeys,
) -> KeyRotation:
    """Make a new KEK current for the tenant and record it in the platform log.

    A rotation that was started and not completed (the process stopped while re-wrapping) is
    resumed instead: no new KEK, no new event. Re-wrapping follows with ``complete_key_rotation``.
    """
    OPERATES_PLATFORM.check_role(ctx.caller)
    ctx = _in_platform_log(ctx)
    loaded = await load(store, PLATFORM_TENANT, tenancy_stream_id(cmd.code))
    tenancy = loaded.require(Tenancy)
    if loaded.outcome_of(ctx) is not None or tenancy.running_key_rotation is not None:
        return tenancy.key_rotations[-1]
    tenancy.ensure_key_rotatable()  # before the provider makes a KEK
    kek_id = await keys.new_kek(TenantId(tenancy.code))
    tenancy.start_key_rotation(kek_id=kek_id, reason=cmd.reason, **Act.of(ctx, clock).stamp)
    await save(store, ctx, tenancy, expected_version=loaded.version)
    return tenancy.key_rotations[-1]


async def complete_key_rotation(  # noqa: PLR0913 - who completes it, and the ports it uses
    code: str,
    caller: Caller,
    *,
    store: EventStore,
    clock: Clock,
    keys: TenantKeys,
    correlation_id: UUID | None = None,
) -> None:
    """Re-wrap the tenant's data keys under the running rotation's KEK, then record the counts.

    ``caller`` is the operator whose request started or resumed the rotation, or
    ``KEY_ROTATION_RESUMER`` when a process resumes one that no live process re-wraps. Once per
    rotation: the completion's command id derives from the rotation, so a second process
    finishing the same rotation records nothing more.
    """
    stream = tenancy_stream_id(code)
    tenancy = rebuild(await store.read_stream(PLATFORM_TENANT, stream))
    running = tenancy.running_key_rotation if isinstance(tenancy, Tenancy) else None
    if running is None:
        return
    counts = await keys.rewrap(TenantId(code))
    if counts is None:
        return  # a live process is re-wrapping it and records the completion
    once = CommandContext(
        tenant_id=PLATFORM_TENANT,
        caller=caller,
        command_id=uuid5(_ROTATION_COMPLETIONS, f"{code}/{running.number}"),
        correlation_id=correlation_id,
    )
    act = Act.of(once, clock)
    try:
        await change(
            store,
            once,
            Tenancy,
            stream,
            lambda t: t.complete_key_rotation(
                rewrapped=counts.rewrapped,
                already_current=counts.already_current,
                shredded_meanwhile=counts.shredded_meanwhile,
                unreadable=counts.unreadable,
                **act.stamp,
            ),
            rule=OPERATES_PLATFORM,
        )
    except TenancyStateError:
        return  # completed meanwhile by another process


async def tenants_rotating_keys(store: EventStore) -> list[str]:
    """The codes of the tenants whose last key rotation was started and has not completed.

    Read from the whole platform log, which holds a handful of events per tenant.
    """
    streams: defaultdict[UUID, list[RecordedEvent]] = defaultdict(list)
    try:
        async with aclosing(store.read_log_pages(PLATFORM_TENANT)) as pages:
            async for page in pages:
                for recorded in page:
                    streams[recorded.stream_id].append(recorded)
    except UnknownTenantError:
        return []  # no tenant was ever opened
    tenancies = [rebuild(events) for events in streams.values()]
    return [
        tenancy.code
        for tenancy in tenancies
        if isinstance(tenancy, Tenancy) and tenancy.running_key_rotation is not None
    ]


async def platform_log(store: EventStore, tenant_id: TenantId) -> list[RecordedEvent]:
    """What the operator did to ``tenant_id``; empty for a tenant opened before the log."""
    try:
        return await store.read_stream(PLATFORM_TENANT, tenancy_stream_id(tenant_id))
    except UnknownTenantError:
        return []


async def ensure_tenant_not_erased(store: EventStore, tenant_id: TenantId) -> None:
    """Refuse (TenancyStateError) to make or use a KEK of a tenant that left the platform.

    Its KEKs were destroyed with its rows; a rotation or re-wrap outside the API (``passend
    keys``) would make one again. A tenant opened before the platform log is not refused.
    """
    tenancy = rebuild(await platform_log(store, tenant_id))
    if isinstance(tenancy, Tenancy):
        tenancy.ensure_not_erased()


async def ensure_tenant_active(store: EventStore, tenant_id: TenantId) -> None:
    """Refuse a change in a tenant the operator suspended."""
    tenancy = rebuild(await platform_log(store, tenant_id))
    if isinstance(tenancy, Tenancy) and tenancy.suspended:
        raise TenantSuspendedError(tenant_id)
