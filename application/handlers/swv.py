"""Handlers that configure a tenant: the SWV, its municipalities, schools, catalogue, policy."""

from datetime import date

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
from application.handling import changes, create, the_tenants_swv
from application.ports import Clock, EventStore
from domain.errors import DuplicateConfigurationError
from domain.swv import ArrangementType, School, Swv, SwvPolicy, swv_stream_id


def _policy(cmd: ConfigureSwv | AdoptPolicy, effective_from: date) -> SwvPolicy:
    return SwvPolicy(
        cmd.policy_version,
        effective_from,
        cmd.lapse_unredeemed_tlvs,
        cmd.tlv_redemption_months,
        cmd.lbt_affiliated,
        cmd.pause_count,
    )


def _configured(cmd: ConfigureSwv, ctx: CommandContext, act: Act) -> Swv:
    return Swv.configure(
        code=ctx.tenant_id,
        name=cmd.name,
        committee_name=cmd.committee_name,
        policy=_policy(cmd, cmd.policy_effective_from),
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


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def add_municipality(cmd: AddMunicipality, swv: Swv, act: Act) -> None:
    swv.add_municipality(cmd.code, cmd.name, **act.stamp)


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def add_school(cmd: AddSchool, swv: Swv, act: Act) -> None:
    school = School(
        cmd.brin, cmd.vestiging, cmd.name, cmd.board, cmd.school_type, cmd.municipality_code
    )
    swv.add_school(school, **act.stamp)


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def add_arrangement_type(cmd: AddArrangementType, swv: Swv, act: Act) -> None:
    entry = ArrangementType(cmd.code, cmd.name, cmd.unit, cmd.default_duration_months)
    swv.add_arrangement_type(entry, **act.stamp)


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def withdraw_arrangement_type(cmd: WithdrawArrangementType, swv: Swv, act: Act) -> None:
    swv.withdraw_arrangement_type(cmd.code, **act.stamp)


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def rename_committee(cmd: RenameCommittee, swv: Swv, act: Act) -> None:
    swv.rename_committee(cmd.committee_name, **act.stamp)


@changes(Swv, the_tenants_swv, rule=CONFIGURES_TENANT)
def adopt_policy(cmd: AdoptPolicy, swv: Swv, act: Act) -> None:
    swv.adopt_policy(_policy(cmd, cmd.effective_from), **act.stamp)
