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
from application.handling import (
    changes,
    changes_configured,
    check_access,
    create,
    load,
    load_swv,
)
from application.ports import Clock, EventStore
from application.references import configured_arrangement_type
from domain.arrangement import Arrangement
from domain.support_request import SupportRequest
from domain.swv import Swv


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


@changes_configured(Arrangement, "arrangement_id", rule=DECIDES)
def extend_arrangement(
    cmd: ExtendArrangement, arrangement: Arrangement, act: Act, swv: Swv
) -> None:
    arrangement.extend(
        end_on=cmd.end_on,
        reason=cmd.reason,
        decided_on=act.happened(cmd.decided_on, "decided_on"),
        policy=swv.policy_on(act.happened(cmd.decided_on, "decided_on")),
        **act.stamp,
        amount_added=cmd.amount_added,
    )


@changes(Arrangement, "arrangement_id", rule=SCHOOL_OF_THE_CASE)
def end_arrangement_early(cmd: EndArrangementEarly, arrangement: Arrangement, act: Act) -> None:
    arrangement.end_early(ended_on=cmd.ended_on, reason=cmd.reason, **act.stamp)


@changes(Arrangement, "arrangement_id", rule=SCHOOL_OF_THE_CASE)
def evaluate_arrangement(cmd: EvaluateArrangement, arrangement: Arrangement, act: Act) -> None:
    arrangement.evaluate(
        party=cmd.party,
        goal_attainment=cmd.goal_attainment,
        notes=cmd.notes,
        evaluated_on=act.happened(cmd.evaluated_on, "evaluated_on"),
        **act.stamp,
    )
