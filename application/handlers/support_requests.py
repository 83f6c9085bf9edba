"""Handlers for support requests and TLV applications, up to the decision and its notice.

Granting a TLV application also issues the Tlv: the grant and the TLV are appended in one
transaction (docs/architecture.md §5), so there is never one without the other.
"""

from application.access import (
    ASSIGNED_EXPERT,
    DECIDES,
    PROCESSES_CASES,
    SCHOOL_OF_THE_CASE,
    Caller,
    acts_for_anybody,
    school_for_new_record,
)
from application.acts import Act
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
from application.handling import (
    change,
    changes,
    changes_configured,
    check_access,
    create,
    create_about,
    load,
    load_swv,
    save,
    save_together,
)
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
    act = Act.of(ctx, clock)
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
            received_on=act.happened(cmd.received_on, "received_on"),
            **act.stamp,
        )

    return await create_about(store, ctx, request_id, submit, pupil, rule=SCHOOL_OF_THE_CASE)


@changes(SupportRequest, "request_id", rule=PROCESSES_CASES)
def check_completeness(cmd: CheckCompleteness, request: SupportRequest, act: Act) -> None:
    request.check_completeness(
        missing=cmd.missing,
        checked_on=act.happened(cmd.checked_on, "checked_on"),
        **act.stamp,
    )


@changes(SupportRequest, "request_id", rule=PROCESSES_CASES)
def suspend_application(cmd: SuspendApplication, request: SupportRequest, act: Act) -> None:
    request.suspend(
        reason=cmd.reason,
        suspended_on=act.happened(cmd.suspended_on, "suspended_on"),
        complete_by=cmd.complete_by,
        **act.stamp,
    )


@changes_configured(SupportRequest, "request_id", rule=PROCESSES_CASES, happened=("resumed_on",))
def resume_application(cmd: ResumeApplication, request: SupportRequest, act: Act, swv: Swv) -> None:
    """The application was completed: the term runs again, as the policy of that day counts it."""
    resumed_on = act.happened(cmd.resumed_on, "resumed_on")
    count = act.policy(swv, resumed_on).pause_count
    request.resume(resumed_on=resumed_on, **act.stamp, count=count)


@changes(SupportRequest, "request_id", rule=PROCESSES_CASES, happened=("notified_on",))
def extend_decision_term(cmd: ExtendDecisionTerm, request: SupportRequest, act: Act) -> None:
    """Notify under Awb 4:14 that the decision takes until a new, named day."""
    request.extend_decision_term(
        reason=cmd.reason,
        extended_to=cmd.extended_to,
        notified_on=act.happened(cmd.notified_on, "notified_on"),
        **act.stamp,
    )


@changes(SupportRequest, "request_id", rule=SCHOOL_OF_THE_CASE)
def record_parent_view(cmd: RecordParentView, request: SupportRequest, act: Act) -> None:
    request.record_parent_view(cmd.parent_view, **act.stamp)


async def assign_expert(
    cmd: AssignExpert, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Ask an expert for one of the two advices; only they can then record it."""
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.assign_expert(
            role=cmd.role,
            expert_id=expert_id_for(ctx.tenant_id, cmd.expert_subject),
            expert_subject=cmd.expert_subject,
            **act.stamp,
        ),
        rule=PROCESSES_CASES,
    )


def _advice(
    cmd: RecordExpertAdvice, request: SupportRequest, caller: Caller, act: Act
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
        act.happened(cmd.written_on, "written_on"),
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
    act = Act.of(ctx, clock)
    return await change(
        store,
        ctx,
        SupportRequest,
        cmd.request_id,
        lambda request: request.record_expert_advice(
            _advice(cmd, request, ctx.caller, act), **act.stamp
        ),
        rule=ASSIGNED_EXPERT,
    )


@changes(SupportRequest, "request_id", rule=SCHOOL_OF_THE_CASE)
def withdraw_support_request(
    cmd: WithdrawSupportRequest, request: SupportRequest, act: Act
) -> None:
    request.withdraw(
        reason=cmd.reason,
        withdrawn_on=act.happened(cmd.withdrawn_on, "withdrawn_on"),
        **act.stamp,
    )


async def decide_support_request(
    cmd: DecideSupportRequest, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """Grant or refuse under the policy in force; a granted TLV application issues the TLV."""
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    loaded = await load(store, ctx.tenant_id, cmd.request_id)
    request = loaded.require(SupportRequest)
    await check_access(store, ctx, DECIDES, request)
    outcome = loaded.outcome_of(ctx)
    if outcome is None:
        loaded.check_expected_version(ctx)
        decided_on = act.happened(cmd.decided_on, "decided_on")
        policy = swv.policy_on(decided_on)
        if cmd.outcome is DecisionOutcome.REFUSED:
            request.refuse(reasons=cmd.reasons, decided_on=decided_on, policy=policy, **act.stamp)
            return await save(store, ctx, request, expected_version=loaded.version)
        request.grant(
            reasons=cmd.reasons,
            decided_on=decided_on,
            policy=policy,
            **act.stamp,
            tlv_id=new_aggregate_id(TLV_IDS, ctx) if request.is_tlv_application else None,
            funding_category=cmd.funding_category,
            valid_from=cmd.valid_from,
            valid_until=cmd.valid_until,
        )
        if request.tlv_id is None:
            return await save(store, ctx, request, expected_version=loaded.version)
        # The grant and the TLV it issues are recorded together, or neither is.
        tlv = _issue_tlv(request, policy, act)
        outcome, _ = await save_together(store, ctx, [(request, loaded.version), (tlv, 0)])
    elif request.tlv_id is not None:
        # A grant recorded before issuing was atomic may lack its TLV: this retry issues it.
        policy_then = act.policy(swv, request.decided_on)
        await create(store, ctx, request.tlv_id, lambda: _issue_tlv(request, policy_then, act))
    if request.tlv_id is None:
        return outcome
    return CommandOutcome(
        aggregate_id=outcome.aggregate_id,
        stream_version=outcome.stream_version,
        first_position=outcome.first_position,
        last_position=outcome.last_position,
        also_changed=(request.tlv_id,),
    )


def _issue_tlv(request: SupportRequest, policy: SwvPolicy, act: Act) -> Tlv:
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
        **act.stamp,
    )


@changes(SupportRequest, "request_id", rule=PROCESSES_CASES)
def notify_decision(cmd: NotifyDecision, request: SupportRequest, act: Act) -> None:
    """The decision was sent to parents and school; the objection term starts to run."""
    request.notify_decision(
        notified_on=act.happened(cmd.notified_on, "notified_on"),
        channel=cmd.channel,
        **act.stamp,
    )
