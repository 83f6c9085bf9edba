"""A demo pupil's story as data: who the pupil is, then the steps of their case, in order.

``play`` runs each step through the pupil's case on the desk. A step acts on the latest request,
arrangement, TLV or objection of the story, so the tables only say what happened and when.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypedDict
from uuid import UUID

from application.commands import (
    AssignExpert,
    CheckCompleteness,
    DecideObjection,
    DecideSupportRequest,
    EndArrangementEarly,
    EvaluateArrangement,
    ExplainObjectionLateness,
    ExtendArrangement,
    ExtendTlv,
    ExtendZorgplichtTerm,
    GrantArrangement,
    LapseTlv,
    LodgeObjection,
    NotifyDecision,
    RecordExpertAdvice,
    RecordLbtAdvice,
    RecordParentView,
    RecordPupilLeaving,
    RequestLbtAdvice,
    ResumeApplication,
    RuleOnObjectionLateness,
    SuspendApplication,
)
from application.handlers import arrangements, objections, pupils, support_requests, tlvs
from application.local_dates import local_date
from demo.desk import (
    COMMITTEE,
    LOKET,
    DemoDesk,
    PupilCase,
    expert_actor,
    expert_subject,
    school_actor,
)
from domain.arrangement import EvaluationParty, GoalAttainment
from domain.deadlines import Channel
from domain.expert_advice import ExpertRole, Qualification
from domain.objection import ObjectionOutcome, Objector, TlvConsequence
from domain.pupil import LeavingReason
from domain.support_request import DecisionOutcome, ParentView
from domain.tlv import FundingCategory, TlvType


@dataclass(frozen=True, slots=True)
class Pupil:
    """Registered with two guardians; at a school, enrolled from ``enrolled_on``.

    Without ``enrolled_on`` the pupil entered the school on the sector's usual first day.
    """

    name: str
    born: date
    municipality_code: str
    school_code: str | None
    enrolled_on: date | None = None
    guardians: tuple[bool, ...] = (True, True)


@dataclass(frozen=True, slots=True)
class Advice:
    """An expert asked for an advice; without a date, one who has not written it yet."""

    qualification: Qualification
    expert: str
    on: date | None = None
    text: str = ""
    admissible: bool = True  # the conclusion beside the text: to the type applied for


@dataclass(frozen=True, slots=True)
class Request:
    """The school submits; with ``complete_on`` the loket checks it, with ``missing`` as missing.

    A TLV application's experts are assigned in the order of ``ExpertRole`` and then advise.
    """

    step: str
    question: str
    received_on: date
    complete_on: date | None = None
    arrangement_type: str | None = None
    tlv_type: TlvType | None = None
    advices: tuple[Advice, ...] = ()
    parent_view: ParentView = ParentView.AGREE
    school_code: str | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TlvTerms:
    category: FundingCategory | None
    valid_from: date
    valid_until: date


@dataclass(frozen=True, slots=True)
class Decided:
    """The committee decides the request and the loket notifies it; ``tlv`` grants a TLV."""

    on: date
    notified_on: date
    reasons: str
    granted: bool = True
    tlv: TlvTerms | None = None


@dataclass(frozen=True, slots=True)
class Suspended:
    on: date
    reason: str
    complete_by: date


@dataclass(frozen=True, slots=True)
class Resumed:
    on: date


@dataclass(frozen=True, slots=True)
class ParentViewGiven:
    view: ParentView


@dataclass(frozen=True, slots=True)
class Arranged:
    """The arrangement granted on the request's decision, decided on that same day."""

    provider: str
    amount: int
    start_on: date
    end_on: date | None = None


@dataclass(frozen=True, slots=True)
class Evaluated:
    party: EvaluationParty
    attainment: GoalAttainment
    on: date
    notes: str


@dataclass(frozen=True, slots=True)
class EndedEarly:
    on: date
    reason: str


@dataclass(frozen=True, slots=True)
class ArrangementExtended:
    end_on: date
    decided_on: date
    reason: str
    amount_added: int = 0


@dataclass(frozen=True, slots=True)
class Redeemed:
    school_code: str
    on: date


@dataclass(frozen=True, slots=True)
class TlvExtended:
    valid_until: date
    decided_on: date


@dataclass(frozen=True, slots=True)
class LapsedUnredeemed:
    """The TLV lapses if the seeding day lies after ``redeem_by``; then it is highlighted."""

    redeem_by: date
    label: str


@dataclass(frozen=True, slots=True)
class Objected:
    objector: Objector
    grounds: str
    received_on: date
    channel: Channel = Channel.POST


@dataclass(frozen=True, slots=True)
class LatenessExplained:
    on: date
    explanation: str


@dataclass(frozen=True, slots=True)
class LatenessRuled:
    on: date
    excusable: bool
    reasons: str


@dataclass(frozen=True, slots=True)
class LbtAsked:
    on: date


@dataclass(frozen=True, slots=True)
class LbtAdvised:
    outcome: ObjectionOutcome
    on: date
    advice: str


@dataclass(frozen=True, slots=True)
class ObjectionDecided:
    outcome: ObjectionOutcome
    on: date
    reasons: str
    consequence: TlvConsequence = TlvConsequence.NONE
    tlv: TlvTerms | None = None


@dataclass(frozen=True, slots=True)
class RegisteredAtSchool:
    school_code: str
    on: date


@dataclass(frozen=True, slots=True)
class ZorgplichtExtended:
    school_code: str


@dataclass(frozen=True, slots=True)
class Left:
    reason: LeavingReason
    on: date


@dataclass(frozen=True, slots=True)
class Shown:
    """Highlight the story's latest aggregate of ``kind`` (Pupil, SupportRequest, Tlv, ...)."""

    label: str
    kind: str


Step = (
    Request
    | Decided
    | Suspended
    | Resumed
    | ParentViewGiven
    | Arranged
    | Evaluated
    | EndedEarly
    | ArrangementExtended
    | Redeemed
    | TlvExtended
    | LapsedUnredeemed
    | Objected
    | LatenessExplained
    | LatenessRuled
    | LbtAsked
    | LbtAdvised
    | ObjectionDecided
    | RegisteredAtSchool
    | ZorgplichtExtended
    | Left
    | Shown
)


class Story:
    """One pupil's case: ``key`` names its commands, ``steps`` follow the registration."""

    __slots__ = ("key", "pupil", "steps")

    def __init__(self, key: str, pupil: Pupil, *steps: Step) -> None:
        self.key = key
        self.pupil = pupil
        self.steps = steps


@dataclass
class Played:
    """The aggregates a story has made, by kind, the latest of each; and its request's step."""

    latest: dict[str, UUID] = field(default_factory=dict)
    step: str = ""
    decided_on: date | None = None

    def of(self, kind: str) -> UUID:
        if kind not in self.latest:
            raise ValueError(f"The story has no {kind} yet.")
        return self.latest[kind]


async def play(
    desk: DemoDesk, stories: Sequence[Story], *, first_enrolment: Callable[[date], date]
) -> dict[str, Played]:
    """Run every story's steps in order; ``first_enrolment`` gives a pupil's usual first day."""
    played: dict[str, Played] = {}
    for story in stories:
        case = desk.case(story.key)
        pupil = story.pupil
        enrolled_on = pupil.enrolled_on
        if pupil.school_code is not None and enrolled_on is None:
            enrolled_on = first_enrolment(pupil.born)
        progress = Played()
        progress.latest["Pupil"] = await case.register(
            pupil.name,
            pupil.born,
            pupil.municipality_code,
            school_code=pupil.school_code,
            enrolled_on=enrolled_on,
            guardians=pupil.guardians,
        )
        for step in story.steps:
            await _take(desk, case, step, progress)
        played[story.key] = progress
    return played


async def _take(  # noqa: C901, PLR0912, PLR0915 - one arm per kind of step
    desk: DemoDesk, case: PupilCase, step: Step, progress: Played
) -> None:
    """Run the step's command as the one who gives it, named after the story's request step."""
    at = progress.step
    match step:
        case Request():
            progress.step = step.step
            progress.latest["SupportRequest"] = await _request(case, step)
        case Decided():
            await _decide(desk, case, step, progress)
        case Suspended():
            await case.run(
                support_requests.suspend_application,
                SuspendApplication(
                    request_id=progress.of("SupportRequest"),
                    reason=step.reason,
                    suspended_on=step.on,
                    complete_by=step.complete_by,
                ),
                f"{at}/suspend",
                LOKET,
            )
        case Resumed():
            await case.run(
                support_requests.resume_application,
                ResumeApplication(request_id=progress.of("SupportRequest"), resumed_on=step.on),
                f"{at}/resume",
                LOKET,
            )
        case ParentViewGiven():
            await case.run(
                support_requests.record_parent_view,
                RecordParentView(request_id=progress.of("SupportRequest"), parent_view=step.view),
                f"{at}/parent-view",
                LOKET,
            )
        case Arranged():
            if progress.decided_on is None:
                raise ValueError(f"Case {case.key!r}: an arrangement without a decision.")
            granted = await case.run(
                arrangements.grant_arrangement,
                GrantArrangement(
                    support_request_id=progress.of("SupportRequest"),
                    provider=step.provider,
                    amount=step.amount,
                    start_on=step.start_on,
                    end_on=step.end_on,
                    decided_on=progress.decided_on,
                ),
                f"{at}/arrangement",
                COMMITTEE,
            )
            desk.tally.arrangements += 1
            progress.latest["Arrangement"] = granted.aggregate_id
        case Evaluated():
            parents = step.party is EvaluationParty.PARENTS
            await case.run(
                arrangements.evaluate_arrangement,
                EvaluateArrangement(
                    arrangement_id=progress.of("Arrangement"),
                    party=step.party,
                    goal_attainment=step.attainment,
                    notes=step.notes,
                    evaluated_on=step.on,
                ),
                f"{at}/evaluate-{step.party.lower()}",
                LOKET if parents else school_actor(case.school_code or ""),
            )
        case EndedEarly():
            await case.run(
                arrangements.end_arrangement_early,
                EndArrangementEarly(
                    arrangement_id=progress.of("Arrangement"), ended_on=step.on, reason=step.reason
                ),
                f"{at}/end-early",
                school_actor(case.school_code or "onbekend"),
            )
        case ArrangementExtended():
            await case.run(
                arrangements.extend_arrangement,
                ExtendArrangement(
                    arrangement_id=progress.of("Arrangement"),
                    end_on=step.end_on,
                    reason=step.reason,
                    amount_added=step.amount_added,
                    decided_on=step.decided_on,
                ),
                f"{at}/extend",
                COMMITTEE,
            )
        case Redeemed():
            await case.redeem(progress.of("Tlv"), step.school_code, step.on)
        case TlvExtended():
            extension = ExtendTlv(
                tlv_id=progress.of("Tlv"), valid_until=step.valid_until, decided_on=step.decided_on
            )
            await case.run(tlvs.extend_tlv, extension, "tlv/extend", COMMITTEE)
        case LapsedUnredeemed():
            if local_date(desk.clock.now()) > step.redeem_by:
                await case.run(
                    tlvs.lapse_tlv, LapseTlv(tlv_id=progress.of("Tlv")), "tlv/lapse", LOKET
                )
                desk.highlight(step.label, "Tlv", progress.of("Tlv"))
        case Objected():
            lodged = await case.run(
                objections.lodge_objection,
                LodgeObjection(
                    support_request_id=progress.of("SupportRequest"),
                    objector=step.objector,
                    grounds=step.grounds,
                    received_on=step.received_on,
                    channel=step.channel,
                ),
                f"{at}/objection",
                LOKET,
            )
            desk.tally.objections += 1
            progress.latest["Objection"] = lodged.aggregate_id
        case LatenessExplained():
            await case.run(
                objections.explain_objection_lateness,
                ExplainObjectionLateness(
                    objection_id=progress.of("Objection"),
                    explanation=step.explanation,
                    received_on=step.on,
                ),
                f"{at}/lateness-explanation",
                LOKET,
            )
        case LatenessRuled():
            await case.run(
                objections.rule_on_objection_lateness,
                RuleOnObjectionLateness(
                    objection_id=progress.of("Objection"),
                    excusable=step.excusable,
                    reasons=step.reasons,
                    decided_on=step.on,
                ),
                f"{at}/lateness-ruling",
                COMMITTEE,
            )
        case LbtAsked():
            await case.run(
                objections.request_lbt_advice,
                RequestLbtAdvice(objection_id=progress.of("Objection"), requested_on=step.on),
                f"{at}/lbt-request",
                LOKET,
            )
        case LbtAdvised():
            await case.run(
                objections.record_lbt_advice,
                RecordLbtAdvice(
                    objection_id=progress.of("Objection"),
                    recommended_outcome=step.outcome,
                    advice=step.advice,
                    received_on=step.on,
                ),
                f"{at}/lbt-advice",
                LOKET,
            )
        case ObjectionDecided():
            await case.run(
                objections.decide_objection,
                DecideObjection(
                    objection_id=progress.of("Objection"),
                    outcome=step.outcome,
                    reasons=step.reasons,
                    decided_on=step.on,
                    tlv_consequence=step.consequence,
                    **_tlv_fields(step.tlv),
                ),
                f"{at}/objection-decision",
                COMMITTEE,
            )
        case RegisteredAtSchool():
            await case.register_at_school(step.school_code, step.on)
        case ZorgplichtExtended():
            await case.run(
                pupils.extend_zorgplicht_term,
                ExtendZorgplichtTerm(pupil_id=case.pupil_id),
                "zorgplicht-extension",
                school_actor(step.school_code),
            )
        case Left():
            leaving = RecordPupilLeaving(
                pupil_id=case.pupil_id, reason=step.reason, left_on=step.on
            )
            await case.run(pupils.record_pupil_leaving, leaving, "leave", LOKET)
        case Shown():
            desk.highlight(step.label, step.kind, progress.of(step.kind))


async def _request(case: PupilCase, request: Request) -> UUID:
    """Submit the request; check it; for a TLV application assign the experts and their advice."""
    step = request.step
    request_id = await case.submit(
        step,
        received_on=request.received_on,
        question=request.question,
        arrangement_type=request.arrangement_type,
        tlv_type=request.tlv_type,
        parent_view=request.parent_view,
        school_code=request.school_code,
    )
    if request.complete_on is not None:
        check = CheckCompleteness(
            request_id=request_id, missing=request.missing, checked_on=request.complete_on
        )
        await case.run(support_requests.check_completeness, check, f"{step}/completeness", LOKET)
    roles = tuple(zip(ExpertRole, request.advices, strict=False))
    for role, advice in roles:
        await case.run(
            support_requests.assign_expert,
            AssignExpert(
                request_id=request_id, role=role, expert_subject=expert_subject(advice.expert)
            ),
            f"{step}/assign-{role.lower()}",
            LOKET,
        )
    for role, advice in roles:
        if advice.on is not None:
            await case.run(
                support_requests.record_expert_advice,
                RecordExpertAdvice(
                    request_id=request_id,
                    role=role,
                    qualification=advice.qualification,
                    independence_declared=True,
                    written_on=advice.on,
                    advice=advice.text,
                    admissible=advice.admissible,
                ),
                f"{step}/advice-{role.lower()}",
                expert_actor(advice.expert),
            )
    return request_id


async def _decide(desk: DemoDesk, case: PupilCase, decision: Decided, progress: Played) -> None:
    """Grant or refuse, then notify; a granted TLV application must have issued its TLV."""
    request, at = progress.of("SupportRequest"), progress.step
    decided = await case.run(
        support_requests.decide_support_request,
        DecideSupportRequest(
            request_id=request,
            outcome=DecisionOutcome.GRANTED if decision.granted else DecisionOutcome.REFUSED,
            reasons=decision.reasons,
            decided_on=decision.on,
            **_tlv_fields(decision.tlv),
        ),
        f"{at}/decide",
        COMMITTEE,
    )
    if decision.tlv is not None:
        if not decided.also_changed:
            raise ValueError(f"Case {case.key!r}: request {request} issued no TLV.")
        desk.tally.tlvs += 1
        progress.latest["Tlv"] = decided.also_changed[0]
    progress.decided_on = decision.on
    notice = NotifyDecision(request_id=request, notified_on=decision.notified_on)
    await case.run(support_requests.notify_decision, notice, f"{at}/notify", LOKET)


class _TlvFields(TypedDict):
    funding_category: FundingCategory | None
    valid_from: date | None
    valid_until: date | None


def _tlv_fields(tlv: TlvTerms | None) -> _TlvFields:
    """The TLV's terms as a decision command's fields; all None where no TLV is granted."""
    if tlv is None:
        return {"funding_category": None, "valid_from": None, "valid_until": None}
    return {
        "funding_category": tlv.category,
        "valid_from": tlv.valid_from,
        "valid_until": tlv.valid_until,
    }
