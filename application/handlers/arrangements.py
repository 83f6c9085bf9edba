"""Handlers for arrangements: granting one on a granted request, extending, ending, evaluating."""

from application.access import DECIDES, SCHOOL_OF_THE_CASE
from application.commands import (
    CommandContext,
    CommandOutcome,
    EndArrangementEarly,
    EvaluateArrangement,
    ExtendArrangement,
    GrantArrangement,
)
from application.handling import (
    ARRANGEMENT_IDS,
    change,
    check_access,
    create,
    happened_on,
    load,
    load_swv,
    new_aggregate_id,
)
from application.ports import Clock, EventStore
from application.references import configured_arrangement_type
from domain.arrangement import Arrangement
from domain.support_request import SupportRequest


async def grant_arrangement(
    cmd: GrantArrangement, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Grant the arrangement a granted request asked for, of its type in the catalogue."""
    now = clock.now()
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
            decided_on=happened_on(cmd.decided_on, now, "decided_on"),
            policy=swv.policy,
            by=ctx.actor,
            at=now,
            end_on=cmd.end_on,
        ),
    )


async def extend_arrangement(
    cmd: ExtendArrangement, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Arrangement,
        cmd.arrangement_id,
        lambda arrangement: arrangement.extend(
            end_on=cmd.end_on,
            reason=cmd.reason,
            decided_on=happened_on(cmd.decided_on, now, "decided_on"),
            policy=swv.policy,
            by=ctx.actor,
            at=now,
            amount_added=cmd.amount_added,
        ),
        rule=DECIDES,
    )


async def end_arrangement_early(
    cmd: EndArrangementEarly, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Arrangement,
        cmd.arrangement_id,
        lambda arrangement: arrangement.end_early(
            ended_on=cmd.ended_on, reason=cmd.reason, by=ctx.actor, at=now
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def evaluate_arrangement(
    cmd: EvaluateArrangement, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Arrangement,
        cmd.arrangement_id,
        lambda arrangement: arrangement.evaluate(
            party=cmd.party,
            goal_attainment=cmd.goal_attainment,
            notes=cmd.notes,
            evaluated_on=happened_on(cmd.evaluated_on, now, "evaluated_on"),
            by=ctx.actor,
            at=now,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )
