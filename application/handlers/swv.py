"""Handlers that configure a tenant: the SWV, its municipalities, schools, catalogue, policy."""

from datetime import datetime

from application.access import CONFIGURES_TENANT
from application.commands import (
    AddArrangementType,
    AddMunicipality,
    AddSchool,
    AdoptPolicy,
    CommandContext,
    CommandOutcome,
    ConfigureSwv,
    RenameCommittee,
    WithdrawArrangementType,
)
from application.handling import change, create
from application.ports import Clock, EventStore
from domain.errors import DuplicateConfigurationError
from domain.swv import ArrangementType, School, Swv, SwvPolicy, swv_stream_id


def _configured(cmd: ConfigureSwv, ctx: CommandContext, now: datetime) -> Swv:
    policy = SwvPolicy(
        cmd.policy_version,
        cmd.policy_effective_from,
        cmd.lapse_unredeemed_tlvs,
        cmd.tlv_redemption_months,
        cmd.lbt_affiliated,
        cmd.pause_count,
    )
    return Swv.configure(
        code=ctx.tenant_id,
        name=cmd.name,
        committee_name=cmd.committee_name,
        policy=policy,
        by=ctx.actor,
        at=now,
    )


async def configure_swv(
    cmd: ConfigureSwv, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    CONFIGURES_TENANT.check_role(ctx.caller)
    stream_id = swv_stream_id(ctx.tenant_id)

    async def not_configured_yet() -> None:
        if await store.read_stream(ctx.tenant_id, stream_id):
            raise DuplicateConfigurationError(
                f"SWV {ctx.tenant_id} is configured already: change its schools, catalogue, "
                "committee or policy instead."
            )

    return await create(
        store, ctx, stream_id, lambda: _configured(cmd, ctx, now), allowed=not_configured_yet
    )


async def add_municipality(
    cmd: AddMunicipality, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.add_municipality(cmd.code, cmd.name, by=ctx.actor, at=now),
        rule=CONFIGURES_TENANT,
    )


async def add_school(
    cmd: AddSchool, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    school = School(
        cmd.brin, cmd.vestiging, cmd.name, cmd.board, cmd.school_type, cmd.municipality_code
    )
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.add_school(school, by=ctx.actor, at=now),
        rule=CONFIGURES_TENANT,
    )


async def add_arrangement_type(
    cmd: AddArrangementType, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    entry = ArrangementType(cmd.code, cmd.name, cmd.unit, cmd.default_duration_months)
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.add_arrangement_type(entry, by=ctx.actor, at=now),
        rule=CONFIGURES_TENANT,
    )


async def withdraw_arrangement_type(
    cmd: WithdrawArrangementType, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.withdraw_arrangement_type(cmd.code, by=ctx.actor, at=now),
        rule=CONFIGURES_TENANT,
    )


async def rename_committee(
    cmd: RenameCommittee, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.rename_committee(cmd.committee_name, by=ctx.actor, at=now),
        rule=CONFIGURES_TENANT,
    )


async def adopt_policy(
    cmd: AdoptPolicy, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    policy = SwvPolicy(
        cmd.policy_version,
        cmd.effective_from,
        cmd.lapse_unredeemed_tlvs,
        cmd.tlv_redemption_months,
        cmd.lbt_affiliated,
        cmd.pause_count,
    )
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.adopt_policy(policy, by=ctx.actor, at=now),
        rule=CONFIGURES_TENANT,
    )
