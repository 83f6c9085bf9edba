"""Handlers that configure a tenant: the SWV, its municipalities, schools, catalogue, policy."""

from application.access import CONFIGURES_TENANT
from application.acts import Act
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


def _configured(cmd: ConfigureSwv, ctx: CommandContext, act: Act) -> Swv:
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
        **act.stamp,
    )


async def configure_swv(
    cmd: ConfigureSwv, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    CONFIGURES_TENANT.check_role(ctx.caller)
    stream_id = swv_stream_id(ctx.tenant_id)

    async def not_configured_yet() -> None:
        if await store.read_stream(ctx.tenant_id, stream_id):
            raise DuplicateConfigurationError(
                f"SWV {ctx.tenant_id} is configured already: change its schools, catalogue, "
                "committee or policy instead."
            )

    return await create(
        store, ctx, stream_id, lambda: _configured(cmd, ctx, act), allowed=not_configured_yet
    )


async def add_municipality(
    cmd: AddMunicipality, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.add_municipality(cmd.code, cmd.name, **act.stamp),
        rule=CONFIGURES_TENANT,
    )


async def add_school(
    cmd: AddSchool, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    school = School(
        cmd.brin, cmd.vestiging, cmd.name, cmd.board, cmd.school_type, cmd.municipality_code
    )
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.add_school(school, **act.stamp),
        rule=CONFIGURES_TENANT,
    )


async def add_arrangement_type(
    cmd: AddArrangementType, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    entry = ArrangementType(cmd.code, cmd.name, cmd.unit, cmd.default_duration_months)
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.add_arrangement_type(entry, **act.stamp),
        rule=CONFIGURES_TENANT,
    )


async def withdraw_arrangement_type(
    cmd: WithdrawArrangementType, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.withdraw_arrangement_type(cmd.code, **act.stamp),
        rule=CONFIGURES_TENANT,
    )


async def rename_committee(
    cmd: RenameCommittee, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Swv,
        swv_stream_id(ctx.tenant_id),
        lambda swv: swv.rename_committee(cmd.committee_name, **act.stamp),
        rule=CONFIGURES_TENANT,
    )


async def adopt_policy(
    cmd: AdoptPolicy, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
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
        lambda swv: swv.adopt_policy(policy, **act.stamp),
        rule=CONFIGURES_TENANT,
    )
