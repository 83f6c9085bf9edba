"""A demo pupil's story as data: who the pupil is, then the steps of their case, in order.

``play`` runs each step through the pupil's case on the desk. A step acts on the latest request,
arrangement, TLV or objection of the story, so the tables only say what happened and when.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from application.local_dates import local_date
from demo.desk import DemoDesk, PupilCase, TlvTerms
from domain.arrangement import EvaluationParty, GoalAttainment
from domain.deadlines import Channel
from domain.expert_advice import ExpertRole, Qualification
from domain.objection import ObjectionOutcome, Objector, TlvConsequence
from domain.pupil import LeavingReason
from domain.support_request import ParentView
from domain.tlv import TlvType


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


async def _take(  # noqa: C901, PLR0912, PLR0915 - one arm per kind of step, each a command or two
    desk: DemoDesk, case: PupilCase, step: Step, progress: Played
) -> None:
    at = progress.step
    match step:
        case Request():
            progress.step = step.step
            progress.latest["SupportRequest"] = await _request(case, step)
        case Decided():
            await _decide(case, step, progress)
        case Suspended():
            request = progress.of("SupportRequest")
            await case.suspend(request, at, step.on, step.reason, complete_by=step.complete_by)
        case Resumed():
            await case.resume(progress.of("SupportRequest"), at, step.on)
        case ParentViewGiven():
            await case.parent_view(progress.of("SupportRequest"), at, step.view)
        case Arranged():
            if progress.decided_on is None:
                raise ValueError(f"Case {case.key!r}: an arrangement without a decision.")
            progress.latest["Arrangement"] = await case.grant_arrangement(
                progress.of("SupportRequest"),
                at,
                provider=step.provider,
                amount=step.amount,
                start_on=step.start_on,
                decided_on=progress.decided_on,
                end_on=step.end_on,
            )
        case Evaluated():
            await case.evaluate(
                progress.of("Arrangement"),
                at,
                party=step.party,
                attainment=step.attainment,
                on=step.on,
                notes=step.notes,
            )
        case EndedEarly():
            await case.end_early(progress.of("Arrangement"), at, step.on, step.reason)
        case ArrangementExtended():
            await case.extend_arrangement(
                progress.of("Arrangement"),
                at,
                end_on=step.end_on,
                decided_on=step.decided_on,
                reason=step.reason,
                amount_added=step.amount_added,
            )
        case Redeemed():
            await case.redeem(progress.of("Tlv"), step.school_code, step.on)
        case TlvExtended():
            tlv = progress.of("Tlv")
            await case.extend_tlv(tlv, valid_until=step.valid_until, decided_on=step.decided_on)
        case LapsedUnredeemed():
            if local_date(desk.clock.now()) > step.redeem_by:
                await case.lapse(progress.of("Tlv"))
                desk.highlight(step.label, "Tlv", progress.of("Tlv"))
        case Objected():
            progress.latest["Objection"] = await case.lodge_objection(
                progress.of("SupportRequest"),
                at,
                objector=step.objector,
                grounds=step.grounds,
                received_on=step.received_on,
                channel=step.channel,
            )
        case LatenessExplained():
            await case.explain_lateness(progress.of("Objection"), at, step.on, step.explanation)
        case LatenessRuled():
            await case.rule_on_lateness(
                progress.of("Objection"),
                at,
                step.on,
                excusable=step.excusable,
                reasons=step.reasons,
            )
        case LbtAsked():
            await case.request_lbt_advice(progress.of("Objection"), at, step.on)
        case LbtAdvised():
            await case.record_lbt_advice(
                progress.of("Objection"), at, outcome=step.outcome, on=step.on, advice=step.advice
            )
        case ObjectionDecided():
            await case.decide_objection(
                progress.of("Objection"),
                at,
                outcome=step.outcome,
                on=step.on,
                reasons=step.reasons,
                consequence=step.consequence,
                tlv=step.tlv,
            )
        case RegisteredAtSchool():
            await case.register_at_school(step.school_code, step.on)
        case ZorgplichtExtended():
            await case.extend_zorgplicht(step.school_code)
        case Left():
            await case.leave(step.reason, step.on)
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
        await case.check(request_id, step, request.complete_on, request.missing)
    roles = tuple(zip(ExpertRole, request.advices, strict=False))
    for role, advice in roles:
        await case.assign_expert(request_id, step, role=role, expert=advice.expert)
    for role, advice in roles:
        if advice.on is not None:
            await case.advise(
                request_id,
                step,
                role=role,
                qualification=advice.qualification,
                expert=advice.expert,
                on=advice.on,
                advice=advice.text,
                admissible=advice.admissible,
            )
    return request_id


async def _decide(case: PupilCase, decision: Decided, progress: Played) -> None:
    """Grant or refuse, then notify; a granted TLV application must have issued its TLV."""
    request, at = progress.of("SupportRequest"), progress.step
    if not decision.granted:
        await case.refuse(request, at, decision.on, decision.reasons)
    else:
        tlv_id = await case.grant(request, at, decision.on, decision.reasons, decision.tlv)
        if decision.tlv is not None:
            if tlv_id is None:
                raise ValueError(f"Case {case.key!r}: request {request} issued no TLV.")
            progress.latest["Tlv"] = tlv_id
    progress.decided_on = decision.on
    await case.notify(request, at, decision.notified_on)
