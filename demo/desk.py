"""Runs the demo's commands through the application handlers, each under a fixed command id.

A command's id is derived from the tenant and a name unique within the seed, so running the
seed again replays the same ids and every handler returns its earlier outcome instead of
appending again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar
from uuid import UUID, uuid5

from application.access import Caller, Role
from application.commands import (
    AddGuardian,
    AssignExpert,
    CheckCompleteness,
    CommandContext,
    CommandOutcome,
    DecideObjection,
    DecideSupportRequest,
    EndArrangementEarly,
    EnrolPupil,
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
    RecordSchoolRegistration,
    RedeemTlv,
    RegisterPupil,
    RequestLbtAdvice,
    ResumeApplication,
    RuleOnObjectionLateness,
    SubmitSupportRequest,
    SuspendApplication,
)
from application.handlers import arrangements, objections, pupils, support_requests, tlvs
from application.ports import Clock, EventStore
from demo.dates import DemoCalendar
from domain.arrangement import EvaluationParty, GoalAttainment
from domain.beschikkingsnummer import beschikkingsnummer
from domain.deadlines import Channel
from domain.expert_advice import ExpertRole, Qualification
from domain.ids import TenantId
from domain.objection import ObjectionOutcome, Objector, TlvConsequence
from domain.pupil import LeavingReason
from domain.support_request import DecisionOutcome, ParentView
from domain.tlv import FundingCategory, TlvType

DEMO_NAMESPACE = UUID("5b0f3a4e-2d6c-4f1b-8e7a-9c3d2e1f0a64")

OPERATOR = Caller.operator("demo-seed")
ADMIN = Caller("demo-seed", frozenset({Role.SWV_ADMIN}))
LOKET = Caller("demo-loket", frozenset({Role.LOKET}))
COMMITTEE = Caller("demo-bestuurder", frozenset({Role.COMMITTEE}))


def expert_subject(expert: str) -> str:
    """The account a demo expert signs in with, e.g. ``demo-orthopedagoog-1``."""
    return f"demo-{expert}"


def school_actor(school_code: str) -> Caller:
    return Caller(f"demo-ib-{school_code}", frozenset({Role.SCHOOL}), school=school_code)


def expert_actor(expert: str) -> Caller:
    return Caller(expert_subject(expert), frozenset({Role.EXPERT}))


C_contra = TypeVar("C_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")
C = TypeVar("C")


class Handler(Protocol[C_contra, R_co]):
    def __call__(
        self, cmd: C_contra, ctx: CommandContext, /, *, store: EventStore, clock: Clock
    ) -> Awaitable[R_co]: ...


@dataclass(frozen=True, slots=True)
class Highlight:
    """A case worth showing in a demo: what it is, which aggregate, and its id."""

    label: str
    kind: str
    aggregate_id: UUID


@dataclass
class Tally:
    pupils: int = 0
    support_requests: int = 0
    tlvs: int = 0
    arrangements: int = 0
    objections: int = 0
    highlights: list[Highlight] = field(default_factory=list)


@dataclass
class DemoDesk:
    """One tenant's seeding: its store, clock, calendar and the names of the commands run."""

    store: EventStore
    clock: Clock
    tenant_id: TenantId
    calendar: DemoCalendar
    tally: Tally = field(default_factory=Tally)
    _names: set[str] = field(default_factory=set)

    @staticmethod
    def command_id_for(tenant_id: TenantId, name: str) -> UUID:
        return uuid5(DEMO_NAMESPACE, f"{tenant_id}/{name}")

    def command_id(self, name: str) -> UUID:
        return self.command_id_for(self.tenant_id, name)

    def reference(self, name: str) -> UUID:
        """A stable id for something outside the tenant's streams, e.g. an expert or guardian."""
        return uuid5(DEMO_NAMESPACE, f"{self.tenant_id}/ref/{name}")

    async def run(
        self,
        handler: Handler[C, R],
        command: C,
        *,
        name: str,
        actor: Caller,
        correlation_id: UUID | None = None,
    ) -> R:
        if name in self._names:
            raise ValueError(f"Demo command {name!r} is used twice; each needs its own name.")
        self._names.add(name)
        ctx = CommandContext(self.tenant_id, actor, self.command_id(name), correlation_id)
        return await handler(command, ctx, store=self.store, clock=self.clock)

    def highlight(self, label: str, kind: str, aggregate_id: UUID) -> None:
        self.tally.highlights.append(Highlight(label, kind, aggregate_id))

    def case(self, key: str) -> PupilCase:
        return PupilCase(self, key)


@dataclass(frozen=True, slots=True)
class TlvTerms:
    category: FundingCategory | None
    valid_from: date
    valid_until: date


class PupilCase:
    """One pupil's story: every command it runs is named ``<key>/<step>`` and correlated."""

    def __init__(self, desk: DemoDesk, key: str) -> None:
        self.desk = desk
        self.key = key
        self.correlation_id = desk.reference(f"case/{key}")
        self._pupil_id: UUID | None = None
        self.school_code: str | None = None
        self.registered_at: str | None = None
        self.enrolled_on: date | None = None

    @property
    def pupil_id(self) -> UUID:
        if self._pupil_id is None:
            raise ValueError(f"Register the pupil of case {self.key!r} first.")
        return self._pupil_id

    async def _run(self, handler: Handler[C, R], command: C, step: str, actor: Caller) -> R:
        return await self.desk.run(
            handler,
            command,
            name=f"{self.key}/{step}",
            actor=actor,
            correlation_id=self.correlation_id,
        )

    # The pupil

    async def register(  # noqa: PLR0913 - who the pupil is, where they live and go to school
        self,
        name: str,
        date_of_birth: date,
        municipality_code: str,
        *,
        school_code: str | None,
        enrolled_on: date | None = None,
        guardians: tuple[bool, ...] = (True, True),
    ) -> UUID:
        """Register the pupil, their guardians (with or without authority) and enrolment."""
        outcome = await self._run(
            pupils.register_pupil,
            RegisterPupil(
                name=name, date_of_birth=date_of_birth, municipality_code=municipality_code
            ),
            "register",
            LOKET,
        )
        self._pupil_id = outcome.aggregate_id
        self.desk.tally.pupils += 1
        for index, has_authority in enumerate(guardians, start=1):
            await self._run(
                pupils.add_guardian,
                AddGuardian(
                    pupil_id=self.pupil_id,
                    guardian_id=self.desk.reference(f"{self.key}/guardian-{index}"),
                    has_authority=has_authority,
                ),
                f"guardian-{index}",
                LOKET,
            )
        if school_code is not None:
            if enrolled_on is None:
                raise ValueError(f"Case {self.key!r}: give the date of the first enrolment.")
            await self.enrol(school_code, enrolled_on, step="enrol")
        return self.pupil_id

    def _school_or_loket(self, school_code: str) -> Caller:
        """The school records for its own pupil; the loket for a pupil not (yet) at it."""
        related = school_code in {self.school_code, self.registered_at}
        return school_actor(school_code) if related else LOKET

    async def enrol(self, school_code: str, on: date, *, step: str) -> None:
        await self._run(
            pupils.enrol_pupil,
            EnrolPupil(pupil_id=self.pupil_id, school_code=school_code, enrolled_on=on),
            step,
            self._school_or_loket(school_code),
        )
        self.school_code, self.enrolled_on, self.registered_at = school_code, on, None

    async def register_at_school(self, school_code: str, on: date) -> None:
        await self._run(
            pupils.record_school_registration,
            RecordSchoolRegistration(
                pupil_id=self.pupil_id, school_code=school_code, registered_on=on
            ),
            "school-registration",
            self._school_or_loket(school_code),
        )
        self.registered_at = school_code

    async def extend_zorgplicht(self, school_code: str) -> None:
        await self._run(
            pupils.extend_zorgplicht_term,
            ExtendZorgplichtTerm(pupil_id=self.pupil_id),
            "zorgplicht-extension",
            school_actor(school_code),
        )

    async def leave(self, reason: LeavingReason, on: date) -> None:
        await self._run(
            pupils.record_pupil_leaving,
            RecordPupilLeaving(pupil_id=self.pupil_id, reason=reason, left_on=on),
            "leave",
            LOKET,
        )

    # Requests up to their decision

    async def submit(  # noqa: PLR0913 - what the school asks, and when
        self,
        step: str,
        *,
        received_on: date,
        question: str,
        arrangement_type: str | None = None,
        tlv_type: TlvType | None = None,
        parent_view: ParentView = ParentView.AGREE,
        school_code: str | None = None,
    ) -> UUID:
        school = school_code or self.school_code
        if school is None:
            raise ValueError(f"Case {self.key!r}: no school submits this request.")
        if (
            self.enrolled_on is not None
            and school == self.school_code
            and received_on < self.enrolled_on
        ):
            raise ValueError(f"Case {self.key!r}: a request before the pupil's enrolment.")
        outcome = await self._run(
            support_requests.submit_support_request,
            SubmitSupportRequest(
                pupil_id=self.pupil_id,
                school_code=school,
                arrangement_type=arrangement_type,
                tlv_type=tlv_type,
                question=question,
                parent_view=parent_view,
                received_on=received_on,
            ),
            f"{step}/submit",
            self._school_or_loket(school),
        )
        self.desk.tally.support_requests += 1
        return outcome.aggregate_id

    async def check(
        self, request_id: UUID, step: str, on: date, missing: tuple[str, ...] = ()
    ) -> None:
        await self._run(
            support_requests.check_completeness,
            CheckCompleteness(request_id=request_id, missing=missing, checked_on=on),
            f"{step}/completeness",
            LOKET,
        )

    async def suspend(
        self, request_id: UUID, step: str, on: date, reason: str, complete_by: date
    ) -> None:
        await self._run(
            support_requests.suspend_application,
            SuspendApplication(
                request_id=request_id, reason=reason, suspended_on=on, complete_by=complete_by
            ),
            f"{step}/suspend",
            LOKET,
        )

    async def resume(self, request_id: UUID, step: str, on: date) -> None:
        await self._run(
            support_requests.resume_application,
            ResumeApplication(request_id=request_id, resumed_on=on),
            f"{step}/resume",
            LOKET,
        )

    async def parent_view(self, request_id: UUID, step: str, view: ParentView) -> None:
        await self._run(
            support_requests.record_parent_view,
            RecordParentView(request_id=request_id, parent_view=view),
            f"{step}/parent-view",
            LOKET,
        )

    async def assign_expert(
        self, request_id: UUID, step: str, *, role: ExpertRole, expert: str
    ) -> None:
        """The loket asks an expert (by their account) for the first or second advice."""
        await self._run(
            support_requests.assign_expert,
            AssignExpert(request_id=request_id, role=role, expert_subject=expert_subject(expert)),
            f"{step}/assign-{role.lower()}",
            LOKET,
        )

    async def advise(  # noqa: PLR0913 - one expert's written advice
        self,
        request_id: UUID,
        step: str,
        *,
        role: ExpertRole,
        qualification: Qualification,
        expert: str,
        on: date,
        advice: str,
        admissible: bool = True,
    ) -> None:
        """The assigned expert records their own written advice and its conclusion."""
        await self._run(
            support_requests.record_expert_advice,
            RecordExpertAdvice(
                request_id=request_id,
                role=role,
                qualification=qualification,
                independence_declared=True,
                written_on=on,
                advice=advice,
                admissible=admissible,
            ),
            f"{step}/advice-{role.lower()}",
            expert_actor(expert),
        )

    async def grant(
        self, request_id: UUID, step: str, on: date, reasons: str, tlv: TlvTerms | None = None
    ) -> UUID | None:
        """Grant the request; for a TLV application returns the id of the TLV it issued."""
        outcome = await self._run(
            support_requests.decide_support_request,
            DecideSupportRequest(
                request_id=request_id,
                outcome=DecisionOutcome.GRANTED,
                reasons=reasons,
                decided_on=on,
                funding_category=tlv.category if tlv else None,
                valid_from=tlv.valid_from if tlv else None,
                valid_until=tlv.valid_until if tlv else None,
            ),
            f"{step}/decide",
            COMMITTEE,
        )
        if not outcome.also_changed:
            return None
        self.desk.tally.tlvs += 1
        return outcome.also_changed[0]

    async def refuse(self, request_id: UUID, step: str, on: date, reasons: str) -> None:
        await self._run(
            support_requests.decide_support_request,
            DecideSupportRequest(
                request_id=request_id,
                outcome=DecisionOutcome.REFUSED,
                reasons=reasons,
                decided_on=on,
            ),
            f"{step}/decide",
            COMMITTEE,
        )

    async def notify(self, request_id: UUID, step: str, on: date) -> None:
        await self._run(
            support_requests.notify_decision,
            NotifyDecision(request_id=request_id, notified_on=on),
            f"{step}/notify",
            LOKET,
        )

    # Arrangements

    async def grant_arrangement(  # noqa: PLR0913 - the terms of the arrangement
        self,
        request_id: UUID,
        step: str,
        *,
        provider: str,
        amount: int,
        start_on: date,
        decided_on: date,
        end_on: date | None = None,
    ) -> UUID:
        outcome = await self._run(
            arrangements.grant_arrangement,
            GrantArrangement(
                support_request_id=request_id,
                provider=provider,
                amount=amount,
                start_on=start_on,
                end_on=end_on,
                decided_on=decided_on,
            ),
            f"{step}/arrangement",
            COMMITTEE,
        )
        self.desk.tally.arrangements += 1
        return outcome.aggregate_id

    async def extend_arrangement(  # noqa: PLR0913 - an extension is a decision of its own
        self,
        arrangement_id: UUID,
        step: str,
        *,
        end_on: date,
        decided_on: date,
        reason: str,
        amount_added: int = 0,
    ) -> None:
        await self._run(
            arrangements.extend_arrangement,
            ExtendArrangement(
                arrangement_id=arrangement_id,
                end_on=end_on,
                reason=reason,
                amount_added=amount_added,
                decided_on=decided_on,
            ),
            f"{step}/extend",
            COMMITTEE,
        )

    async def end_early(self, arrangement_id: UUID, step: str, on: date, reason: str) -> None:
        await self._run(
            arrangements.end_arrangement_early,
            EndArrangementEarly(arrangement_id=arrangement_id, ended_on=on, reason=reason),
            f"{step}/end-early",
            school_actor(self.school_code or "onbekend"),
        )

    async def evaluate(  # noqa: PLR0913 - one party's evaluation
        self,
        arrangement_id: UUID,
        step: str,
        *,
        party: EvaluationParty,
        attainment: GoalAttainment,
        on: date,
        notes: str,
    ) -> None:
        actor = LOKET if party is EvaluationParty.PARENTS else school_actor(self.school_code or "")
        await self._run(
            arrangements.evaluate_arrangement,
            EvaluateArrangement(
                arrangement_id=arrangement_id,
                party=party,
                goal_attainment=attainment,
                notes=notes,
                evaluated_on=on,
            ),
            f"{step}/evaluate-{party.lower()}",
            actor,
        )

    # TLVs

    async def redeem(self, tlv_id: UUID, school_code: str, on: date) -> None:
        """The S(B)O school enrols the pupil on the TLV, and the pupil moves there."""
        await self._run(
            tlvs.redeem_tlv,
            RedeemTlv(
                beschikkingsnummer=beschikkingsnummer(self.desk.tenant_id, tlv_id),
                enrolled_on=on,
            ),
            "tlv/redeem",
            school_actor(school_code),
        )
        await self.enrol(school_code, on, step="tlv/enrol")

    async def extend_tlv(self, tlv_id: UUID, *, valid_until: date, decided_on: date) -> None:
        await self._run(
            tlvs.extend_tlv,
            ExtendTlv(tlv_id=tlv_id, valid_until=valid_until, decided_on=decided_on),
            "tlv/extend",
            COMMITTEE,
        )

    async def lapse(self, tlv_id: UUID) -> None:
        await self._run(tlvs.lapse_tlv, LapseTlv(tlv_id=tlv_id), "tlv/lapse", LOKET)

    # Objections

    async def lodge_objection(  # noqa: PLR0913 - an objection and how it came in
        self,
        request_id: UUID,
        step: str,
        *,
        objector: Objector,
        grounds: str,
        received_on: date,
        channel: Channel = Channel.POST,
    ) -> UUID:
        outcome = await self._run(
            objections.lodge_objection,
            LodgeObjection(
                support_request_id=request_id,
                objector=objector,
                grounds=grounds,
                received_on=received_on,
                channel=channel,
            ),
            f"{step}/objection",
            LOKET,
        )
        self.desk.tally.objections += 1
        return outcome.aggregate_id

    async def explain_lateness(
        self, objection_id: UUID, step: str, on: date, explanation: str
    ) -> None:
        """The loket asked the objector why the objection came late, and records the answer."""
        await self._run(
            objections.explain_objection_lateness,
            ExplainObjectionLateness(
                objection_id=objection_id, explanation=explanation, received_on=on
            ),
            f"{step}/lateness-explanation",
            LOKET,
        )

    async def rule_on_lateness(
        self, objection_id: UUID, step: str, on: date, *, excusable: bool, reasons: str
    ) -> None:
        await self._run(
            objections.rule_on_objection_lateness,
            RuleOnObjectionLateness(
                objection_id=objection_id, excusable=excusable, reasons=reasons, decided_on=on
            ),
            f"{step}/lateness-ruling",
            COMMITTEE,
        )

    async def request_lbt_advice(self, objection_id: UUID, step: str, on: date) -> None:
        await self._run(
            objections.request_lbt_advice,
            RequestLbtAdvice(objection_id=objection_id, requested_on=on),
            f"{step}/lbt-request",
            LOKET,
        )

    async def record_lbt_advice(
        self, objection_id: UUID, step: str, *, outcome: ObjectionOutcome, on: date, advice: str
    ) -> None:
        await self._run(
            objections.record_lbt_advice,
            RecordLbtAdvice(
                objection_id=objection_id,
                recommended_outcome=outcome,
                advice=advice,
                received_on=on,
            ),
            f"{step}/lbt-advice",
            LOKET,
        )

    async def decide_objection(  # noqa: PLR0913 - the decision and what it does to the TLV
        self,
        objection_id: UUID,
        step: str,
        *,
        outcome: ObjectionOutcome,
        on: date,
        reasons: str,
        consequence: TlvConsequence = TlvConsequence.NONE,
        tlv: TlvTerms | None = None,
    ) -> CommandOutcome:
        return await self._run(
            objections.decide_objection,
            DecideObjection(
                objection_id=objection_id,
                outcome=outcome,
                reasons=reasons,
                decided_on=on,
                tlv_consequence=consequence,
                funding_category=tlv.category if tlv else None,
                valid_from=tlv.valid_from if tlv else None,
                valid_until=tlv.valid_until if tlv else None,
            ),
            f"{step}/objection-decision",
            COMMITTEE,
        )
