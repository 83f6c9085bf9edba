"""Handlers for objections: lodging, the LBT's advice, and the decision with its TLV effect."""

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from application.access import DECIDES, PROCESSES_CASES, SCHOOL_OF_THE_CASE, acts_for_anybody
from application.aggregate_ids import OBJECTION_IDS, TLV_IDS, new_aggregate_id
from application.commands import (
    AgreeLongerObjectionTerm,
    CommandContext,
    CommandOutcome,
    DecideObjection,
    ExplainObjectionLateness,
    LodgeObjection,
    PostponeObjectionDecision,
    RecordLbtAdvice,
    RequestLbtAdvice,
    RuleOnObjectionLateness,
)
from application.errors import AccessDeniedError
from application.handling import change, check_access, create, load, load_swv, save
from application.local_dates import happened_on, local_date
from application.ports import Clock, EventStore
from domain.errors import ObjectionDecisionError
from domain.objection import Objection, ObjectionDecision, Objector, TlvConsequence
from domain.support_request import SupportRequest
from domain.swv import SwvPolicy
from domain.tlv import Tlv


async def lodge_objection(
    cmd: LodgeObjection, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record an objection against a decision and whether it came in time (Awb 6:9)."""
    now = clock.now()
    received_on = happened_on(cmd.received_on, now, "received_on")
    posted_on = None if cmd.posted_on is None else happened_on(cmd.posted_on, now, "posted_on")
    swv = await load_swv(store, ctx.tenant_id)
    request = (await load(store, ctx.tenant_id, cmd.support_request_id)).require(SupportRequest)
    await check_access(store, ctx, SCHOOL_OF_THE_CASE, request)
    if not acts_for_anybody(ctx.caller) and cmd.objector is not Objector.SCHOOL_BOARD:
        raise AccessDeniedError(
            "A school lodges objections as the school board; the loket records the parents'."
        )
    objection_id = new_aggregate_id(OBJECTION_IDS, ctx)
    return await create(
        store,
        ctx,
        objection_id,
        lambda: Objection.lodge(
            objection_id=objection_id,
            request=request,
            objector=cmd.objector,
            grounds=cmd.grounds,
            received_on=received_on,
            by=ctx.actor,
            at=now,
            channel=cmd.channel,
            posted_on=posted_on,
            advisory_committee=swv.policy.lbt_affiliated,
            lateness_excuse=cmd.lateness_excuse,
        ),
    )


async def explain_objection_lateness(
    cmd: ExplainObjectionLateness, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record why the objector says a late objection came late."""
    now = clock.now()
    received_on = happened_on(cmd.received_on, now, "received_on")
    return await change(
        store,
        ctx,
        Objection,
        cmd.objection_id,
        lambda objection: objection.explain_lateness(
            explanation=cmd.explanation, received_on=received_on, by=ctx.actor, at=now
        ),
        rule=PROCESSES_CASES,
    )


async def rule_on_objection_lateness(
    cmd: RuleOnObjectionLateness, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """The committee rules on a late objection (Awb 6:11), under the policy in force."""
    now = clock.now()
    decided_on = happened_on(cmd.decided_on, now, "decided_on")
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        Objection,
        cmd.objection_id,
        lambda objection: objection.rule_on_lateness(
            excusable=cmd.excusable,
            reasons=cmd.reasons,
            decided_on=decided_on,
            policy=swv.policy,
            by=ctx.actor,
            at=now,
        ),
        rule=DECIDES,
    )


async def postpone_objection_decision(
    cmd: PostponeObjectionDecision, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Postpone the decision on an objection once by six weeks (Awb 7:10 lid 3)."""
    now = clock.now()
    notified_on = happened_on(cmd.notified_on, now, "notified_on")
    return await change(
        store,
        ctx,
        Objection,
        cmd.objection_id,
        lambda objection: objection.postpone_decision(
            reason=cmd.reason, notified_on=notified_on, by=ctx.actor, at=now
        ),
        rule=PROCESSES_CASES,
    )


async def agree_longer_objection_term(
    cmd: AgreeLongerObjectionTerm, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record the objector's consent to a later decision (Awb 7:10 lid 4)."""
    now = clock.now()
    consented_on = happened_on(cmd.consented_on, now, "consented_on")
    return await change(
        store,
        ctx,
        Objection,
        cmd.objection_id,
        lambda objection: objection.agree_longer_term(
            agreed_until=cmd.agreed_until, consented_on=consented_on, by=ctx.actor, at=now
        ),
        rule=PROCESSES_CASES,
    )


async def request_lbt_advice(
    cmd: RequestLbtAdvice, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Objection,
        cmd.objection_id,
        lambda objection: objection.request_lbt_advice(
            requested_on=happened_on(cmd.requested_on, now, "requested_on"), by=ctx.actor, at=now
        ),
        rule=PROCESSES_CASES,
    )


async def record_lbt_advice(
    cmd: RecordLbtAdvice, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        Objection,
        cmd.objection_id,
        lambda objection: objection.record_lbt_advice(
            recommended_outcome=cmd.recommended_outcome,
            advice=cmd.advice,
            received_on=happened_on(cmd.received_on, now, "received_on"),
            by=ctx.actor,
            at=now,
        ),
        rule=PROCESSES_CASES,
    )


async def decide_objection(
    cmd: DecideObjection, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Decide the objection, then grant, revise or revoke the TLV as the decision says."""
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    loaded = await load(store, ctx.tenant_id, cmd.objection_id)
    objection = loaded.require(Objection)
    await check_access(store, ctx, DECIDES, objection)
    outcome = loaded.outcome_of(ctx)
    policy = swv.policy_on(cmd.decided_on or local_date(now))
    if outcome is None:
        loaded.check_expected_version(ctx)
        objection.decide(
            outcome=cmd.outcome,
            reasons=cmd.reasons,
            decided_on=happened_on(cmd.decided_on, now, "decided_on"),
            policy=policy,
            by=ctx.actor,
            at=now,
            tlv_consequence=cmd.tlv_consequence,
            funding_category=cmd.funding_category,
            valid_from=cmd.valid_from,
            valid_until=cmd.valid_until,
        )
        outcome = await save(store, ctx, objection, expected_version=loaded.version)
    # The expected version is the objection's; the TLV follows whatever version it is at.
    tlv_ctx = replace(ctx, expected_version=None)
    tlv_id = await _apply_to_tlv(objection, policy, tlv_ctx, store, now)
    if tlv_id is None:
        return outcome
    return CommandOutcome(
        aggregate_id=outcome.aggregate_id,
        stream_version=outcome.stream_version,
        first_position=outcome.first_position,
        last_position=outcome.last_position,
        also_changed=(tlv_id,),
    )


async def _apply_to_tlv(
    objection: Objection, policy: SwvPolicy, ctx: CommandContext, store: EventStore, now: datetime
) -> UUID | None:
    """Carry the decision on objection over to the TLV; once per command, like the decision."""
    decision = objection.decision
    if decision is None or decision.tlv_consequence is TlvConsequence.NONE:
        return None
    if decision.tlv_consequence is TlvConsequence.GRANTED:
        new_tlv_id = new_aggregate_id(TLV_IDS, ctx)
        await create(
            store,
            ctx,
            new_tlv_id,
            lambda: _grant(
                objection, decision=decision, tlv_id=new_tlv_id, policy=policy, ctx=ctx, at=now
            ),
        )
        return new_tlv_id
    tlv_id = objection.tlv_id
    if tlv_id is None:
        raise ObjectionDecisionError(
            f"Objection {objection.id} concerns no TLV to change.", fields=("tlv_consequence",)
        )
    if decision.tlv_consequence is TlvConsequence.REVOKED:
        await change(
            store,
            ctx,
            Tlv,
            tlv_id,
            lambda tlv: tlv.revoke(
                objection_id=objection.id,
                policy_version=decision.policy_version,
                by=ctx.actor,
                at=now,
            ),
            rule=DECIDES,
        )
        return tlv_id
    valid_from, valid_until = _period(decision)
    await change(
        store,
        ctx,
        Tlv,
        tlv_id,
        lambda tlv: tlv.revise(
            objection_id=objection.id,
            funding_category=decision.funding_category,
            valid_from=valid_from,
            valid_until=valid_until,
            policy_version=decision.policy_version,
            by=ctx.actor,
            at=now,
        ),
        rule=DECIDES,
    )
    return tlv_id


def _period(decision: ObjectionDecision) -> tuple[date, date]:
    if decision.valid_from is None or decision.valid_until is None:
        raise ObjectionDecisionError(
            "The decision on objection sets no TLV period.", fields=("valid_from", "valid_until")
        )
    return decision.valid_from, decision.valid_until


def _grant(  # noqa: PLR0913 - the TLV a decision on objection grants
    objection: Objection,
    *,
    decision: ObjectionDecision,
    tlv_id: UUID,
    policy: SwvPolicy,
    ctx: CommandContext,
    at: datetime,
) -> Tlv:
    if objection.tlv_type is None:
        raise ObjectionDecisionError(
            f"Objection {objection.id} concerns no TLV application.", fields=("tlv_consequence",)
        )
    valid_from, valid_until = _period(decision)
    return Tlv.grant(
        tlv_id=tlv_id,
        pupil_id=objection.pupil_id,
        support_request_id=objection.support_request_id,
        tlv_type=objection.tlv_type,
        funding_category=decision.funding_category,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_on=decision.decided_on,
        policy=policy,
        by=ctx.actor,
        at=at,
        objection_id=objection.id,
    )
