"""Handlers for support requests and TLV applications, up to the decision and its notice.

Granting a TLV application also issues the Tlv; both appends derive their event ids from the
command, so a retry after a failure between them completes the second without repeating the
first.
"""

from datetime import datetime

from application.access import (
    ASSIGNED_EXPERT,
    DECIDES,
    PROCESSES_CASES,
    SCHOOL_OF_THE_CASE,
    Caller,
    acts_for_anybody,
    school_for_new_record,
)
from application.aggregate_ids import SUPPORT_REQUEST_IDS, TLV_IDS, expert_id_for, new_aggregate_id
from application.commands import (
    AssignExpert,
    CheckCompleteness,
    CommandContext,
    CommandOutcome,
    DecideSupportRequest,
    ExtendDecisionTerm,
    NotifyDecision,
    RecordExpertAdvice,
    RecordParentView,
    ResumeApplication,
    SubmitSupportRequest,
    SuspendApplication,
    WithdrawSupportRequest,
)
from application.errors import AccessDeniedError
from application.handling import change, check_access, create, load, load_swv, save
from application.local_dates import happened_on, local_date
from application.ports import Clock, EventStore
from application.references import configured_arrangement_type, configured_school
from domain.errors import InvalidValueError, RequestNotDecidedError
from domain.expert_advice import AdviceConclusion, ExpertAdvice
from domain.pupil import Pupil
from domain.support_request import DecisionOutcome, SupportRequest
from domain.swv import ArrangementType, Swv, SwvPolicy
from domain.tlv import Tlv, TlvType


def _requested(cmd: SubmitSupportRequest, swv: Swv) -> ArrangementType | TlvType:
    if (cmd.arrangement_type is None) == (cmd.tlv_type is None):
        raise InvalidValueError(
            "A request asks for either an arrangement type from the catalogue or a TLV type "
            "(SBO, SO, VSO): give exactly one of them.",
            fields=("arrangement_type", "tlv_type"),
        )
    return cmd.tlv_type or configured_arrangement_type(swv, cmd.arrangement_type or "")


async def submit_support_request(
    cmd: SubmitSupportRequest, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """A school submits a loket request or a TLV application for one of the tenant's pupils."""
    now = clock.now()
    request_id = new_aggregate_id(SUPPORT_REQUEST_IDS, ctx)
    swv = await load_swv(store, ctx.tenant_id)
    pupil = (await load(store, ctx.tenant_id, cmd.pupil_id)).require(Pupil)
    school_code = school_for_new_record(ctx.caller, cmd.school_code)
    if school_code is None:
        raise InvalidValueError(
            "Name the school that submits the request.", fields=("school_code",)
        )

    def submit() -> SupportRequest:
        pupil.check_active()
        return SupportRequest.submit(
            request_id=request_id,
            pupil_id=pupil.id,
            school=configured_school(swv, school_code),
            requested=_requested(cmd, swv),
            question=cmd.question,
            parent_view=cmd.parent_view,
            received_on=happened_on(cmd.received_on, now, "received_on"),
            by=ctx.actor,
            at=now,
        )

    return await create(
        store,
        ctx,
        request_id,
        submit,
        allowed=lambda: check_access(store, ctx, SCHOOL_OF_THE_CASE, pupil),
    )


async def check_completeness(
    cmd: CheckCompleteness, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.check_completeness(
            missing=cmd.missing,
            checked_on=happened_on(cmd.checked_on, now, "checked_on"),
            by=ctx.actor,
            at=now,
        ),
        rule=PROCESSES_CASES,
    )


async def suspend_application(
    cmd: SuspendApplication, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.suspend(
            reason=cmd.reason,
            suspended_on=happened_on(cmd.suspended_on, now, "suspended_on"),
            complete_by=cmd.complete_by,
            by=ctx.actor,
            at=now,
        ),
        rule=PROCESSES_CASES,
    )


async def resume_application(
    cmd: ResumeApplication, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """The application was completed: the term runs again, counted as the tenant chose."""
    now = clock.now()
    resumed_on = happened_on(cmd.resumed_on, now, "resumed_on")
    swv = await load_swv(store, ctx.tenant_id)
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.resume(
            resumed_on=resumed_on, by=ctx.actor, at=now, count=swv.policy.pause_count
        ),
        rule=PROCESSES_CASES,
    )


async def extend_decision_term(
    cmd: ExtendDecisionTerm, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Notify under Awb 4:14 that the decision takes until a new, named day."""
    now = clock.now()
    notified_on = happened_on(cmd.notified_on, now, "notified_on")
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.extend_decision_term(
            reason=cmd.reason,
            extended_to=cmd.extended_to,
            notified_on=notified_on,
            by=ctx.actor,
            at=now,
        ),
        rule=PROCESSES_CASES,
    )


async def record_parent_view(
    cmd: RecordParentView, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.record_parent_view(cmd.parent_view, by=ctx.actor, at=now),
        rule=SCHOOL_OF_THE_CASE,
    )


async def assign_expert(
    cmd: AssignExpert, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Ask an expert for one of the two advices; only they can then record it."""
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.assign_expert(
            role=cmd.role,
            expert_id=expert_id_for(ctx.tenant_id, cmd.expert_subject),
            expert_subject=cmd.expert_subject,
            by=ctx.actor,
            at=now,
        ),
        rule=PROCESSES_CASES,
    )


def _advice(
    cmd: RecordExpertAdvice, request: SupportRequest, caller: Caller, now: datetime
) -> ExpertAdvice:
    """The advice; an expert records only the one of the role assigned to them, as themselves."""
    assigned = request.assigned_expert(cmd.role)
    if not acts_for_anybody(caller):
        if assigned is None or assigned.subject != caller.subject:
            raise AccessDeniedError(
                f"The {cmd.role.lower()} advice on this case is not assigned to you."
            )
        if cmd.expert_id is not None:
            raise AccessDeniedError(
                "An expert records their own advice: leave expert_id out, it is the one assigned."
            )
    expert_id = cmd.expert_id or (assigned.expert_id if assigned else None)
    if expert_id is None:
        raise InvalidValueError(
            f"No expert is assigned the {cmd.role.lower()} advice: name the expert (expert_id) "
            "or assign one first.",
            fields=("expert_id",),
        )
    return ExpertAdvice(
        cmd.role,
        expert_id,
        cmd.qualification,
        cmd.independence_declared,
        happened_on(cmd.written_on, now, "written_on"),
        cmd.advice,
        None
        if cmd.admissible is None
        else AdviceConclusion(cmd.admissible, cmd.advised_tlv_type, cmd.advised_category),
        cmd.works_at_school,
    )


async def record_expert_advice(
    cmd: RecordExpertAdvice, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Record one written advice; without an ``expert_id`` it is the assigned expert's."""
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.record_expert_advice(
            _advice(cmd, request, ctx.caller, now), by=ctx.actor, at=now
        ),
        rule=ASSIGNED_EXPERT,
    )


async def withdraw_support_request(
    cmd: WithdrawSupportRequest, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.withdraw(
            reason=cmd.reason,
            withdrawn_on=happened_on(cmd.withdrawn_on, now, "withdrawn_on"),
            by=ctx.actor,
            at=now,
        ),
        rule=SCHOOL_OF_THE_CASE,
    )


async def decide_support_request(
    cmd: DecideSupportRequest, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Grant or refuse under the policy in force; a granted TLV application issues the TLV."""
    now = clock.now()
    swv = await load_swv(store, ctx.tenant_id)
    loaded = await load(store, ctx.tenant_id, cmd.request_id)
    request = loaded.require(SupportRequest)
    await check_access(store, ctx, DECIDES, request)
    outcome = loaded.outcome_of(ctx)
    if outcome is None:
        loaded.check_expected_version(ctx)
        decided_on = happened_on(cmd.decided_on, now, "decided_on")
        policy = swv.policy_on(decided_on)
        if cmd.outcome is DecisionOutcome.REFUSED:
            request.refuse(
                reasons=cmd.reasons, decided_on=decided_on, policy=policy, by=ctx.actor, at=now
            )
        else:
            request.grant(
                reasons=cmd.reasons,
                decided_on=decided_on,
                policy=policy,
                by=ctx.actor,
                at=now,
                tlv_id=new_aggregate_id(TLV_IDS, ctx) if request.is_tlv_application else None,
                funding_category=cmd.funding_category,
                valid_from=cmd.valid_from,
                valid_until=cmd.valid_until,
            )
        outcome = await save(store, ctx, request, expected_version=loaded.version)
    if request.tlv_id is None:
        return outcome
    policy_then = swv.policy_on(request.decided_on or local_date(now))
    await create(store, ctx, request.tlv_id, lambda: _issue_tlv(request, policy_then, ctx, now))
    return CommandOutcome(
        aggregate_id=outcome.aggregate_id,
        stream_version=outcome.stream_version,
        first_position=outcome.first_position,
        last_position=outcome.last_position,
        also_changed=(request.tlv_id,),
    )


def _issue_tlv(
    request: SupportRequest, policy: SwvPolicy, ctx: CommandContext, now: datetime
) -> Tlv:
    if (
        request.tlv_id is None
        or request.tlv_type is None
        or request.decided_on is None
        or request.valid_from is None
        or request.valid_until is None
    ):
        raise RequestNotDecidedError(
            f"Request {request.id} granted no TLV.", fields=("request_id",)
        )
    return Tlv.grant(
        tlv_id=request.tlv_id,
        pupil_id=request.pupil_id,
        support_request_id=request.id,
        tlv_type=request.tlv_type,
        funding_category=request.funding_category,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        issued_on=request.decided_on,
        policy=policy,
        by=ctx.actor,
        at=now,
    )


async def notify_decision(
    cmd: NotifyDecision, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """The decision was sent to parents and school; the objection term starts to run."""
    now = clock.now()
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.notify_decision(
            notified_on=happened_on(cmd.notified_on, now, "notified_on"),
            channel=cmd.channel,
            by=ctx.actor,
            at=now,
        ),
        rule=PROCESSES_CASES,
    )
