"""Handlers for arrangements: granting one on a granted request, extending, ending, evaluating."""

from application.access import DECIDES, SCHOOL_OF_THE_CASE
from application.acts import Act
from application.aggregate_ids import ARRANGEMENT_IDS, new_aggregate_id
from application.commands import (
    CommandContext,
    CommandOutcome,
    EndArrangementEarly,
    EvaluateArrangement,
    ExtendArrangement,
    GrantArrangement,
)
from application.handling import change, check_access, create, load, load_swv
from application.ports import Clock, EventStore
from application.references import configured_arrangement_type
from domain.arrangement import Arrangement
from domain.support_request import SupportRequest


async def grant_arrangement(
    cmd: GrantArrangement, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Grant the arrangement a granted request asked for, of its type in the catalogue."""
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    request = (await load(store, ctx.tenant_id, cmd.support_request_id)).require(SupportRequest)
    await check_access(store, ctx, DECIDES, request)
    arrangement_id = new_aggregate_id(ARRANGEMENT_IDS, ctx)
    return await create(
        store,
        ctx,
        arrangement_id,
        lambda: Arrangement.grant(
            arrangement_id=arrangement_id,
            request=request,
            arrangement_type=configured_arrangement_type(
                swv, request.arrangement_type or "", "support_request_id"
            ),
            provider=cmd.provider,
            amount=cmd.amount,
            start_on=cmd.start_on,
            decided_on=act.happened(cmd.decided_on, "decided_on"),
            policy=swv.policy_on(act.happened(cmd.decided_on, "decided_on")),
            **act.stamp,
            end_on=cmd.end_on,
        ),
    )


async def extend_arrangement(
    cmd: ExtendArrangement, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Arrangement,
        cmd.arrangement_id,
        lambda arrangement: arrangement.extend(
            end_on=cmd.end_on,
            reason=cmd.reason,
            decided_on=act.happened(cmd.decided_on, "decided_on"),
            policy=swv.policy_on(act.happened(cmd.decided_on, "decided_on")),
            **act.stamp,
            amount_added=cmd.amount_added,
        ),
        rule=DECIDES,
    )


async def end_arrangement_early(
    cmd: EndArrangementEarly, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Arrangement,
        cmd.arrangement_id,
        lambda arrangement: arrangement.end_early(
            ended_on=cmd.ended_on, reason=cmd.reason, **act.stamp
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def evaluate_arrangement(
    cmd: EvaluateArrangement, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        Arrangement,
        cmd.arrangement_id,
        lambda arrangement: arrangement.evaluate(
            party=cmd.party,
            goal_attainment=cmd.goal_attainment,
            notes=cmd.notes,
            evaluated_on=act.happened(cmd.evaluated_on, "evaluated_on"),
            **act.stamp,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )
