"""SupportRequest aggregate: a loket request or TLV application, from submission to decision.

The Awb decision term starts when the application is complete and stands still while it is
suspended; a TLV decision needs the two expert advices (domain/expert_advice.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.errors import (
    AlreadyNotifiedError,
    ApplicationAlreadyCompleteError,
    ApplicationIncompleteError,
    ApplicationNotSuspendedError,
    ApplicationSuspendedError,
    InvalidValueError,
    NotATlvApplicationError,
    RequestAlreadyDecidedError,
    RequestNotDecidedError,
    RequestWithdrawnError,
    require_text,
)
from domain.expert_advice import (
    ExpertAdvice,
    ExpertAssignment,
    ExpertRole,
    Qualification,
    check_advice,
    check_assignment,
    check_two_expert_rule,
)
from domain.personal import PERSONAL
from domain.swv import ArrangementType, School, SwvPolicy
from domain.tlv import FundingCategory, TlvType, check_tlv_terms


class ParentView(StrEnum):
    AGREE = "AGREE"
    DISAGREE = "DISAGREE"
    NOT_GIVEN = "NOT_GIVEN"


class DecisionOutcome(StrEnum):
    GRANTED = "GRANTED"
    REFUSED = "REFUSED"


class SupportRequest(Aggregate):
    TOPIC = "SupportRequest"

    class Event(Aggregate.Event):
        pass

    class Submitted(Event, Aggregate.Created):
        TOPIC = "SupportRequestSubmitted.v1"
        pupil_id: UUID
        school_code: str
        arrangement_type: str | None
        tlv_type: TlvType | None
        question: Annotated[str, PERSONAL]
        parent_view: ParentView
        received_on: date
        submitted_by: str
        submitted_at: datetime

    Created = Submitted

    class CompletenessChecked(Event):
        TOPIC = "ApplicationCompletenessChecked.v1"
        complete: bool
        missing: tuple[str, ...]
        checked_on: date
        checked_by: str
        checked_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            if self.complete:
                aggregate.complete_on = self.checked_on

    class Suspended(Event):
        TOPIC = "ApplicationSuspended.v1"
        pupil_id: UUID
        reason: Annotated[str, PERSONAL]
        suspended_on: date
        suspended_by: str
        suspended_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.suspended_since = self.suspended_on

    class Resumed(Event):
        TOPIC = "ApplicationResumed.v1"
        resumed_on: date
        days_suspended: int
        resumed_by: str
        resumed_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.suspended_since = None
            aggregate.days_suspended += self.days_suspended

    class ParentViewRecorded(Event):
        TOPIC = "ParentViewRecorded.v1"
        parent_view: ParentView
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.parent_view = self.parent_view

    class ExpertAssigned(Event):
        TOPIC = "ExpertAssigned.v1"
        role: ExpertRole
        expert_id: UUID
        expert_subject: str
        assigned_by: str
        assigned_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.assigned_experts[self.role] = ExpertAssignment(
                self.role, self.expert_id, self.expert_subject
            )

    class ExpertAdviceRecorded(Event):
        TOPIC = "ExpertAdviceRecorded.v1"
        pupil_id: UUID
        role: ExpertRole
        expert_id: UUID
        qualification: Qualification
        independence_declared: bool
        written_on: date
        advice: Annotated[str, PERSONAL]
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.expert_advices[self.role] = ExpertAdvice(
                self.role,
                self.expert_id,
                self.qualification,
                self.independence_declared,
                self.written_on,
                self.advice,
            )

    class Granted(Event):
        TOPIC = "SupportRequestGranted.v1"
        pupil_id: UUID
        reasons: Annotated[str, PERSONAL]
        tlv_id: UUID | None
        funding_category: FundingCategory | None
        valid_from: date | None
        valid_until: date | None
        decided_on: date
        decided_within_term: bool
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.outcome = DecisionOutcome.GRANTED
            aggregate.decided_on = self.decided_on
            aggregate.tlv_id = self.tlv_id
            aggregate.funding_category = self.funding_category
            aggregate.valid_from = self.valid_from
            aggregate.valid_until = self.valid_until

    class Refused(Event):
        TOPIC = "SupportRequestRefused.v1"
        pupil_id: UUID
        reasons: Annotated[str, PERSONAL]
        decided_on: date
        decided_within_term: bool
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.outcome = DecisionOutcome.REFUSED
            aggregate.decided_on = self.decided_on

    class DecisionNotified(Event):
        TOPIC = "DecisionNotified.v1"
        notified_on: date
        notified_by: str
        notified_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.notified_on = self.notified_on

    class Withdrawn(Event):
        TOPIC = "SupportRequestWithdrawn.v1"
        pupil_id: UUID
        reason: Annotated[str, PERSONAL]
        withdrawn_on: date
        withdrawn_by: str
        withdrawn_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.withdrawn_on = self.withdrawn_on

    def __init__(  # noqa: PLR0913 - the fields of SupportRequestSubmitted
        self,
        *,
        pupil_id: UUID,
        school_code: str,
        arrangement_type: str | None,
        tlv_type: TlvType | None,
        parent_view: ParentView,
        received_on: date,
    ) -> None:
        self.pupil_id = pupil_id
        self.school_code = school_code
        self.arrangement_type = arrangement_type
        self.tlv_type = tlv_type
        self.parent_view = parent_view
        self.received_on = received_on
        self.complete_on: date | None = None
        self.suspended_since: date | None = None
        self.days_suspended = 0
        self.expert_advices: dict[ExpertRole, ExpertAdvice] = {}
        self.assigned_experts: dict[ExpertRole, ExpertAssignment] = {}
        self.outcome: DecisionOutcome | None = None
        self.decided_on: date | None = None
        self.notified_on: date | None = None
        self.tlv_id: UUID | None = None
        self.funding_category: FundingCategory | None = None
        self.valid_from: date | None = None
        self.valid_until: date | None = None
        self.withdrawn_on: date | None = None

    @classmethod
    def submit(  # noqa: PLR0913 - what a school hands in
        cls,
        *,
        request_id: UUID,
        pupil_id: UUID,
        school: School,
        requested: ArrangementType | TlvType,
        question: str,
        parent_view: ParentView,
        received_on: date,
        by: str,
        at: datetime,
    ) -> SupportRequest:
        """A school asks for an arrangement from the catalogue, or applies for a TLV."""
        return cls._create(
            cls.Submitted,
            id=request_id,
            pupil_id=pupil_id,
            school_code=school.code,
            arrangement_type=requested.code if isinstance(requested, ArrangementType) else None,
            tlv_type=requested if isinstance(requested, TlvType) else None,
            question=require_text(question, "The question of the request"),
            parent_view=parent_view,
            received_on=received_on,
            submitted_by=by,
            submitted_at=at,
            timestamp=at,
        )

    @property
    def is_tlv_application(self) -> bool:
        return self.tlv_type is not None

    @property
    def is_decided(self) -> bool:
        return self.outcome is not None

    @property
    def decision_deadline(self) -> date | None:
        """The Awb term's last day; None until complete. A running suspension moves it on."""
        if self.complete_on is None:
            return None
        return deadlines.decision_deadline(self.complete_on, days_suspended=self.days_suspended)

    @property
    def objection_deadline(self) -> date | None:
        """The last day to object; None until the decision is made known."""
        if self.notified_on is None:
            return None
        return deadlines.objection_deadline(self.notified_on)

    def _check_open(self) -> None:
        if self.withdrawn_on is not None:
            raise RequestWithdrawnError(
                f"Request {self.id} was withdrawn on {self.withdrawn_on}; submit a new request "
                "if support is needed after all."
            )
        if self.outcome is not None:
            raise RequestAlreadyDecidedError(
                f"Request {self.id} was {self.outcome.lower()} on {self.decided_on}; a decision "
                "is taken once. Lodge an objection or submit a new request instead."
            )

    def check_completeness(
        self, *, missing: tuple[str, ...], checked_on: date, by: str, at: datetime
    ) -> None:
        """The loket checks the application; an empty ``missing`` starts the decision term."""
        self._check_open()
        if self.complete_on is not None:
            raise ApplicationAlreadyCompleteError(
                f"Request {self.id} was found complete on {self.complete_on}; the decision term "
                "runs. Suspend it if the school must add something."
            )
        self.trigger_event(
            self.CompletenessChecked,
            complete=not missing,
            missing=tuple(require_text(item, "A missing item") for item in missing),
            checked_on=checked_on,
            checked_by=by,
            checked_at=at,
            timestamp=at,
        )

    def suspend(self, *, reason: str, suspended_on: date, by: str, at: datetime) -> None:
        """Stop the decision term, e.g. while the school completes the file."""
        self._check_open()
        if self.complete_on is None:
            raise ApplicationIncompleteError(
                f"Request {self.id} is not complete, so no decision term runs that could be "
                "suspended: record the completeness check first."
            )
        if self.suspended_since is not None:
            raise ApplicationSuspendedError(
                f"Request {self.id} is suspended since {self.suspended_since}; resume it first."
            )
        if suspended_on < self.complete_on:
            raise InvalidValueError(
                f"A suspension cannot start on {suspended_on}, before the application was "
                f"complete on {self.complete_on}."
            )
        self.trigger_event(
            self.Suspended,
            pupil_id=self.pupil_id,
            reason=require_text(reason, "The reason for suspending"),
            suspended_on=suspended_on,
            suspended_by=by,
            suspended_at=at,
            timestamp=at,
        )

    def resume(self, *, resumed_on: date, by: str, at: datetime) -> None:
        """Restart the decision term; its end moves by the days the request was suspended."""
        self._check_open()
        if self.suspended_since is None:
            raise ApplicationNotSuspendedError(f"Request {self.id} is not suspended.")
        if resumed_on < self.suspended_since:
            raise InvalidValueError(
                f"Request {self.id} was suspended on {self.suspended_since}; it cannot resume "
                f"on {resumed_on}, before that."
            )
        self.trigger_event(
            self.Resumed,
            resumed_on=resumed_on,
            days_suspended=deadlines.days_between(self.suspended_since, resumed_on),
            resumed_by=by,
            resumed_at=at,
            timestamp=at,
        )

    def record_parent_view(self, parent_view: ParentView, *, by: str, at: datetime) -> None:
        self._check_open()
        self.trigger_event(
            self.ParentViewRecorded,
            parent_view=parent_view,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def _check_tlv_application(self) -> None:
        if not self.is_tlv_application:
            raise NotATlvApplicationError(
                f"Request {self.id} asks for an arrangement; expert advice under the two-expert "
                "rule belongs to TLV applications."
            )

    def assign_expert(
        self, *, role: ExpertRole, expert_id: UUID, expert_subject: str, by: str, at: datetime
    ) -> None:
        """Ask one expert for the first or second advice; a later assignment replaces it."""
        self._check_open()
        self._check_tlv_application()
        assignment = ExpertAssignment(
            role, expert_id, require_text(expert_subject, "The expert's account")
        )
        check_assignment(assignment, self.assigned_experts, self.expert_advices)
        self.trigger_event(
            self.ExpertAssigned,
            role=role,
            expert_id=expert_id,
            expert_subject=assignment.subject,
            assigned_by=by,
            assigned_at=at,
            timestamp=at,
        )

    def assigned_expert(self, role: ExpertRole) -> ExpertAssignment | None:
        return self.assigned_experts.get(role)

    def record_expert_advice(self, advice: ExpertAdvice, *, by: str, at: datetime) -> None:
        """Add one expert's written advice to a TLV application; if assigned, by that expert."""
        self._check_open()
        self._check_tlv_application()
        check_advice(advice, self.expert_advices, self.assigned_experts)
        self.trigger_event(
            self.ExpertAdviceRecorded,
            pupil_id=self.pupil_id,
            role=advice.role,
            expert_id=advice.expert_id,
            qualification=advice.qualification,
            independence_declared=advice.independence_declared,
            written_on=advice.written_on,
            advice=(advice.advice or "").strip(),
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def _check_decidable(self, decided_on: date) -> None:
        self._check_open()
        if self.complete_on is None:
            raise ApplicationIncompleteError(
                f"Request {self.id} has not been found complete: check its completeness first."
            )
        if self.suspended_since is not None:
            raise ApplicationSuspendedError(
                f"Request {self.id} is suspended since {self.suspended_since}; resume it before "
                "deciding."
            )
        if decided_on < self.complete_on:
            raise InvalidValueError(
                f"A decision cannot be dated {decided_on}, before the application was complete."
            )
        if self.is_tlv_application:
            check_two_expert_rule(self.expert_advices)

    def _within_term(self, decided_on: date) -> bool:
        deadline = self.decision_deadline
        return deadline is not None and decided_on <= deadline

    def grant(  # noqa: PLR0913 - a beschikking has all of these
        self,
        *,
        reasons: str,
        decided_on: date,
        policy: SwvPolicy,
        by: str,
        at: datetime,
        tlv_id: UUID | None = None,
        funding_category: FundingCategory | None = None,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> None:
        """Grant the request; for a TLV also its category and period, and the new TLV's id."""
        self._check_decidable(decided_on)
        if self.tlv_type is not None:
            if tlv_id is None or valid_from is None or valid_until is None:
                raise InvalidValueError(
                    "Granting a TLV names the new TLV's id and its valid-from and valid-until "
                    "dates."
                )
            check_tlv_terms(self.tlv_type, funding_category, valid_from, valid_until)
        elif any(v is not None for v in (tlv_id, funding_category, valid_from, valid_until)):
            raise InvalidValueError(
                "An arrangement request has no TLV, category or TLV period: leave them out and "
                "grant the arrangement itself next."
            )
        self.trigger_event(
            self.Granted,
            pupil_id=self.pupil_id,
            reasons=require_text(reasons, "The reasons for the decision"),
            tlv_id=tlv_id,
            funding_category=funding_category,
            valid_from=valid_from,
            valid_until=valid_until,
            decided_on=decided_on,
            decided_within_term=self._within_term(decided_on),
            policy_version=policy.version,
            decided_by=by,
            decided_at=at,
            timestamp=at,
        )

    def refuse(
        self, *, reasons: str, decided_on: date, policy: SwvPolicy, by: str, at: datetime
    ) -> None:
        """Refuse the request, with the reasons the Awb requires."""
        self._check_decidable(decided_on)
        self.trigger_event(
            self.Refused,
            pupil_id=self.pupil_id,
            reasons=require_text(reasons, "The reasons for the decision"),
            decided_on=decided_on,
            decided_within_term=self._within_term(decided_on),
            policy_version=policy.version,
            decided_by=by,
            decided_at=at,
            timestamp=at,
        )

    def withdraw(self, *, reason: str, withdrawn_on: date, by: str, at: datetime) -> None:
        """The school withdraws its request before it is decided; the decision term ends."""
        self._check_open()
        if withdrawn_on < self.received_on:
            raise InvalidValueError(
                f"Request {self.id} was received on {self.received_on}; it cannot be withdrawn "
                f"on {withdrawn_on}, before that.",
                fields=("withdrawn_on",),
            )
        self.trigger_event(
            self.Withdrawn,
            pupil_id=self.pupil_id,
            reason=require_text(reason, "The reason for withdrawing", field="reason"),
            withdrawn_on=withdrawn_on,
            withdrawn_by=by,
            withdrawn_at=at,
            timestamp=at,
        )

    def notify_decision(self, *, notified_on: date, by: str, at: datetime) -> None:
        """The decision was made known to parents and school; the objection term starts."""
        if self.outcome is None or self.decided_on is None:
            raise RequestNotDecidedError(f"Request {self.id} has no decision to notify yet.")
        if self.notified_on is not None:
            raise AlreadyNotifiedError(
                f"The decision on request {self.id} was notified on {self.notified_on}."
            )
        if notified_on < self.decided_on:
            raise InvalidValueError(
                f"A decision of {self.decided_on} cannot be notified on {notified_on}, before it."
            )
        self.trigger_event(
            self.DecisionNotified,
            notified_on=notified_on,
            notified_by=by,
            notified_at=at,
            timestamp=at,
        )
