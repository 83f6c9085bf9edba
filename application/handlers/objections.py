"""Handlers for objections: lodging, the LBT's advice, and the decision with its TLV effect."""

from datetime import date
from uuid import UUID

from application.access import DECIDES, PROCESSES_CASES, SCHOOL_OF_THE_CASE, acts_for_anybody
from application.acts import Act
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
from application.handling import (
    changes,
    changes_configured,
    check_access,
    create,
    load,
    load_swv,
    save,
    save_together,
)
from application.ports import Clock, EventStore
from domain.errors import ObjectionDecisionError
from domain.objection import Objection, ObjectionDecision, Objector, TlvConsequence
from domain.support_request import SupportRequest
from domain.swv import Swv, SwvPolicy
from domain.tlv import Tlv


async def lodge_objection(
    cmd: LodgeObjection, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record an objection against a decision and whether it came in time (Awb 6:9)."""
    act = Act.of(ctx, clock)
    received_on = act.happened(cmd.received_on, "received_on")
    posted_on = None if cmd.posted_on is None else act.happened(cmd.posted_on, "posted_on")
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
            **act.stamp,
            channel=cmd.channel,
            posted_on=posted_on,
            advisory_committee=act.policy(swv, received_on).lbt_affiliated,
            lateness_excuse=cmd.lateness_excuse,
        ),
    )


@changes(Objection, "objection_id", rule=PROCESSES_CASES, happened=("received_on",))
def explain_objection_lateness(
    cmd: ExplainObjectionLateness, objection: Objection, act: Act
) -> None:
    """Record why the objector says a late objection came late."""
    objection.explain_lateness(
        explanation=cmd.explanation,
        received_on=act.happened(cmd.received_on, "received_on"),
        **act.stamp,
    )


@changes_configured(Objection, "objection_id", rule=DECIDES, happened=("decided_on",))
def rule_on_objection_lateness(
    cmd: RuleOnObjectionLateness, objection: Objection, act: Act, swv: Swv
) -> None:
    """The committee rules on a late objection (Awb 6:11), under the policy in force that day."""
    decided_on = act.happened(cmd.decided_on, "decided_on")
    objection.rule_on_lateness(
        excusable=cmd.excusable,
        reasons=cmd.reasons,
        decided_on=decided_on,
        policy=act.policy(swv, decided_on),
        **act.stamp,
    )


@changes(Objection, "objection_id", rule=PROCESSES_CASES, happened=("notified_on",))
def postpone_objection_decision(
    cmd: PostponeObjectionDecision, objection: Objection, act: Act
) -> None:
    """Postpone the decision on an objection once by six weeks (Awb 7:10 lid 3)."""
    objection.postpone_decision(
        reason=cmd.reason, notified_on=act.happened(cmd.notified_on, "notified_on"), **act.stamp
    )


@changes(Objection, "objection_id", rule=PROCESSES_CASES, happened=("consented_on",))
def agree_longer_objection_term(
    cmd: AgreeLongerObjectionTerm, objection: Objection, act: Act
) -> None:
    """Record the objector's consent to a later decision (Awb 7:10 lid 4)."""
    objection.agree_longer_term(
        agreed_until=cmd.agreed_until,
        consented_on=act.happened(cmd.consented_on, "consented_on"),
        **act.stamp,
    )


@changes(Objection, "objection_id", rule=PROCESSES_CASES)
def request_lbt_advice(cmd: RequestLbtAdvice, objection: Objection, act: Act) -> None:
    objection.request_lbt_advice(
        requested_on=act.happened(cmd.requested_on, "requested_on"), **act.stamp
    )


@changes(Objection, "objection_id", rule=PROCESSES_CASES)
def record_lbt_advice(cmd: RecordLbtAdvice, objection: Objection, act: Act) -> None:
    objection.record_lbt_advice(
        recommended_outcome=cmd.recommended_outcome,
        advice=cmd.advice,
        received_on=act.happened(cmd.received_on, "received_on"),
        **act.stamp,
    )


async def decide_objection(
    cmd: DecideObjection, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Decide the objection, then grant, revise or revoke the TLV as the decision says."""
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    loaded = await load(store, ctx.tenant_id, cmd.objection_id)
    objection = loaded.require(Objection)
    await check_access(store, ctx, DECIDES, objection)
    outcome = loaded.outcome_of(ctx)
    policy = act.policy(swv, cmd.decided_on)
    if outcome is None:
        loaded.check_expected_version(ctx)
        objection.decide(
            outcome=cmd.outcome,
            reasons=cmd.reasons,
            decided_on=act.happened(cmd.decided_on, "decided_on"),
            policy=policy,
            **act.stamp,
            tlv_consequence=cmd.tlv_consequence,
            funding_category=cmd.funding_category,
            valid_from=cmd.valid_from,
            valid_until=cmd.valid_until,
        )
        changed = await _tlv_after(objection, policy, ctx, store, act)
        if changed is None:
            outcome = await save(store, ctx, objection, expected_version=loaded.version)
        else:
            # The decision and what it does to the TLV are recorded together, or neither is.
            tlv, tlv_version = changed
            outcome, _ = await save_together(
                store, ctx, [(objection, loaded.version), (tlv, tlv_version)]
            )
    else:
        # A decision recorded before this was atomic may lack its TLV change: complete it.
        changed = await _tlv_after(objection, policy, ctx, store, act)
        if changed is not None and changed[0].pending_events:
            await save(store, ctx, changed[0], expected_version=changed[1])
    tlv_id = _tlv_id(objection, ctx)
    if tlv_id is None:
        return outcome
    return CommandOutcome(
        aggregate_id=outcome.aggregate_id,
        stream_version=outcome.stream_version,
        first_position=outcome.first_position,
        last_position=outcome.last_position,
        also_changed=(tlv_id,),
    )


def _tlv_id(objection: Objection, ctx: CommandContext) -> UUID | None:
    """The TLV the decision on objection grants, revises or revokes; None if it leaves it be."""
    decision = objection.decision
    if decision is None or decision.tlv_consequence is TlvConsequence.NONE:
        return None
    if decision.tlv_consequence is TlvConsequence.GRANTED:
        return new_aggregate_id(TLV_IDS, ctx)
    if objection.tlv_id is None:
        raise ObjectionDecisionError(
            f"Objection {objection.id} concerns no TLV to change.", fields=("tlv_consequence",)
        )
    return objection.tlv_id


async def _tlv_after(
    objection: Objection, policy: SwvPolicy, ctx: CommandContext, store: EventStore, act: Act
) -> tuple[Tlv, int] | None:
    """The TLV as the decision leaves it, its new events pending, and the version it had.

    Nothing is pending if this command changed the TLV already.
    """
    tlv_id = _tlv_id(objection, ctx)
    decision = objection.decision
    if tlv_id is None or decision is None:
        return None
    loaded = await load(store, ctx.tenant_id, tlv_id)
    if loaded.outcome_of(ctx) is not None:
        return loaded.require(Tlv), loaded.version
    if decision.tlv_consequence is TlvConsequence.GRANTED:
        return _grant(objection, decision=decision, tlv_id=tlv_id, policy=policy, act=act), 0
    tlv = loaded.require(Tlv)
    await check_access(store, ctx, DECIDES, tlv)
    if decision.tlv_consequence is TlvConsequence.REVOKED:
        tlv.revoke(objection_id=objection.id, policy_version=decision.policy_version, **act.stamp)
    else:
        valid_from, valid_until = _period(decision)
        tlv.revise(
            objection_id=objection.id,
            funding_category=decision.funding_category,
            valid_from=valid_from,
            valid_until=valid_until,
            policy_version=decision.policy_version,
            **act.stamp,
        )
    return tlv, loaded.version


def _period(decision: ObjectionDecision) -> tuple[date, date]:
    if decision.valid_from is None or decision.valid_until is None:
        raise ObjectionDecisionError(
            "The decision on objection sets no TLV period.", fields=("valid_from", "valid_until")
        )
    return decision.valid_from, decision.valid_until


def _grant(
    objection: Objection,
    *,
    decision: ObjectionDecision,
    tlv_id: UUID,
    policy: SwvPolicy,
    act: Act,
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
        **act.stamp,
        objection_id=objection.id,
    )
