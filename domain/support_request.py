"""SupportRequest aggregate: a loket request or TLV application, from submission to decision.

The Awb decision term runs from receipt and stands still from the day after an invitation to
complete the application (a suspension, Awb 4:5) until completion or the end of the completion
term (4:15); a notice under 4:14 names a new term. A TLV decision needs the expert advices
(domain/expert_advice.py). Sending the decision starts the objection term.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.deadlines import Channel, Pause, PauseCount
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
    AdviceConclusion,
    ExpertAdvice,
    ExpertAssignment,
    ExpertRole,
    Qualification,
    check_advice,
    check_assignment,
    check_conclusion,
    check_two_expert_rule,
)
from domain.personal import DECISION, DOSSIER
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
        question: Annotated[str, DOSSIER]
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
        """An invitation to complete the application (Awb 4:5), with its completion term."""

        TOPIC = "ApplicationSuspended.v2"
        pupil_id: UUID
        reason: Annotated[str, DOSSIER]
        suspended_on: date
        complete_by: date | None  # None on suspensions recorded before the term was asked
        suspended_by: str
        suspended_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.suspended_since = self.suspended_on
            aggregate.pauses.append(Pause(self.suspended_on, self.complete_by))

    class Resumed(Event):
        """The application was completed, or its completion term passed; the term runs again."""

        TOPIC = "ApplicationResumed.v2"
        resumed_on: date
        days_suspended: int
        pause_count: PauseCount
        resumed_by: str
        resumed_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.suspended_since = None
            aggregate.days_suspended += self.days_suspended
            pause = aggregate.pauses.pop()
            aggregate.pauses.append(
                Pause(pause.invited_on, pause.complete_by, self.resumed_on, self.pause_count)
            )

    class DecisionTermExtended(Event):
        """A notice under Awb 4:14 lid 3: the decision takes longer, with a new last day."""

        TOPIC = "DecisionTermExtended.v1"
        pupil_id: UUID
        reason: Annotated[str, DOSSIER]
        extended_to: date
        notified_on: date
        extended_by: str
        extended_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.extended_to = self.extended_to

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
        TOPIC = "ExpertAdviceRecorded.v2"
        pupil_id: UUID
        role: ExpertRole
        expert_id: UUID
        qualification: Qualification
        independence_declared: bool
        written_on: date
        advice: Annotated[str, DOSSIER]
        # the conclusion beside the text; None on advices recorded before it was asked
        admissible: bool | None
        advised_tlv_type: TlvType | None
        advised_category: FundingCategory | None
        works_at_school: str | None
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
                None
                if self.admissible is None
                else AdviceConclusion(
                    self.admissible, self.advised_tlv_type, self.advised_category
                ),
                self.works_at_school,
            )

    class Granted(Event):
        TOPIC = "SupportRequestGranted.v1"
        pupil_id: UUID
        reasons: Annotated[str, DECISION]
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
            aggregate.reasons = self.reasons
            aggregate.policy_version = self.policy_version
            aggregate.tlv_id = self.tlv_id
            aggregate.funding_category = self.funding_category
            aggregate.valid_from = self.valid_from
            aggregate.valid_until = self.valid_until

    class Refused(Event):
        TOPIC = "SupportRequestRefused.v1"
        pupil_id: UUID
        reasons: Annotated[str, DECISION]
        decided_on: date
        decided_within_term: bool
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.outcome = DecisionOutcome.REFUSED
            aggregate.decided_on = self.decided_on
            aggregate.reasons = self.reasons
            aggregate.policy_version = self.policy_version

    class DecisionNotified(Event):
        """The decision was sent or handed over (``notified_on``): the objection term starts."""

        TOPIC = "DecisionNotified.v2"
        notified_on: date
        channel: Channel | None  # None on notices recorded before the channel was
        notified_by: str
        notified_at: datetime

        def apply(self, aggregate: SupportRequest) -> None:
            aggregate.notified_on = self.notified_on
            aggregate.notified_by_channel = self.channel

    class Withdrawn(Event):
        TOPIC = "SupportRequestWithdrawn.v1"
        pupil_id: UUID
        reason: Annotated[str, DOSSIER]
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
        self.pauses: list[Pause] = []
        self.extended_to: date | None = None
        self.reasons: str | None = None
        self.expert_advices: dict[ExpertRole, ExpertAdvice] = {}
        self.assigned_experts: dict[ExpertRole, ExpertAssignment] = {}
        self.outcome: DecisionOutcome | None = None
        self.decided_on: date | None = None
        self.notified_on: date | None = None
        self.notified_by_channel: Channel | None = None
        self.policy_version: str | None = None
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
            question=require_text(question, "The question of the request", field="question"),
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
        """The Awb term's last day, counted from receipt with its pauses and any 4:14 notice.

        While suspended with a completion term, the day it ends if nothing more comes in; None
        while a suspension without a completion term (recorded before they had one) runs.
        """
        return deadlines.decision_deadline(
            self.received_on, pauses=self.pauses, extended_to=self.extended_to
        )

    @property
    def objection_deadline(self) -> date | None:
        """The last day to object; None until the decision is sent."""
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
            missing=tuple(
                require_text(item, "A missing item", field="missing") for item in missing
            ),
            checked_on=checked_on,
            checked_by=by,
            checked_at=at,
            timestamp=at,
        )

    def suspend(
        self, *, reason: str, suspended_on: date, complete_by: date, by: str, at: datetime
    ) -> None:
        """Invite the school to complete the application by ``complete_by`` (Awb 4:5).

        The decision term stands still from the next day until completion or ``complete_by``.
        """
        self._check_open()
        if self.suspended_since is not None:
            raise ApplicationSuspendedError(
                f"Request {self.id} is suspended since {self.suspended_since}; resume it first.",
                fields=("request_id",),
            )
        if suspended_on < self.received_on:
            raise InvalidValueError(
                f"suspended_on: a suspension cannot start on {suspended_on}, before the "
                f"application was received on {self.received_on}.",
                fields=("suspended_on",),
            )
        if complete_by <= suspended_on:
            raise InvalidValueError(
                f"complete_by: the completion term must end after the invitation of "
                f"{suspended_on}, not on {complete_by} (Awb 4:5).",
                fields=("complete_by",),
            )
        self.trigger_event(
            self.Suspended,
            pupil_id=self.pupil_id,
            reason=require_text(reason, "The reason for suspending", field="reason"),
            suspended_on=suspended_on,
            complete_by=complete_by,
            suspended_by=by,
            suspended_at=at,
            timestamp=at,
        )

    def resume(
        self,
        *,
        resumed_on: date,
        by: str,
        at: datetime,
        count: PauseCount = PauseCount.COMPLETION_DAY_RUNS,
    ) -> None:
        """The application was completed on ``resumed_on``: the decision term runs again.

        ``count`` is the tenant's reading of whether the completion day still pauses it.
        """
        self._check_open()
        if self.suspended_since is None:
            raise ApplicationNotSuspendedError(
                f"Request {self.id} is not suspended.", fields=("request_id",)
            )
        if resumed_on < self.suspended_since:
            raise InvalidValueError(
                f"Request {self.id} was suspended on {self.suspended_since}; it cannot resume "
                f"on {resumed_on}, before that.",
                fields=("resumed_on",),
            )
        open_pause = self.pauses[-1]
        pause = Pause(open_pause.invited_on, open_pause.complete_by, resumed_on, count)
        self.trigger_event(
            self.Resumed,
            resumed_on=resumed_on,
            days_suspended=pause.days() or 0,
            pause_count=count,
            resumed_by=by,
            resumed_at=at,
            timestamp=at,
        )

    def extend_decision_term(
        self, *, reason: str, extended_to: date, notified_on: date, by: str, at: datetime
    ) -> None:
        """Notify that the decision takes longer, naming a new reasonable last day (Awb 4:14).

        The notice must go out within the term; the new day lies after the current one.
        """
        self._check_open()
        deadline = self.decision_deadline
        if deadline is not None and notified_on > deadline:
            raise InvalidValueError(
                f"notified_on: a notice under Awb 4:14 goes out within the term, which ended on "
                f"{deadline}; {notified_on} is too late.",
                fields=("notified_on",),
            )
        if deadline is not None and extended_to <= deadline:
            raise InvalidValueError(
                f"extended_to: the new last day must lie after the current one, {deadline}.",
                fields=("extended_to",),
            )
        self.trigger_event(
            self.DecisionTermExtended,
            pupil_id=self.pupil_id,
            reason=require_text(reason, "The reason for the longer term", field="reason"),
            extended_to=extended_to,
            notified_on=notified_on,
            extended_by=by,
            extended_at=at,
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
                "rule belongs to TLV applications.",
                fields=("request_id",),
            )

    def assign_expert(
        self, *, role: ExpertRole, expert_id: UUID, expert_subject: str, by: str, at: datetime
    ) -> None:
        """Ask one expert for the first or second advice; a later assignment replaces it."""
        self._check_open()
        self._check_tlv_application()
        assignment = ExpertAssignment(
            role,
            expert_id,
            require_text(expert_subject, "The expert's account", field="expert_subject"),
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
        if self.tlv_type is not None:
            check_conclusion(advice.conclusion, self.tlv_type)
        check_advice(advice, self.expert_advices, self.assigned_experts, self.school_code)
        conclusion = advice.conclusion
        if conclusion is not None and conclusion.admissible and conclusion.tlv_type is None:
            conclusion = replace(conclusion, tlv_type=self.tlv_type)
        self.trigger_event(
            self.ExpertAdviceRecorded,
            pupil_id=self.pupil_id,
            role=advice.role,
            expert_id=advice.expert_id,
            qualification=advice.qualification,
            independence_declared=advice.independence_declared,
            written_on=advice.written_on,
            advice=(advice.advice or "").strip(),
            admissible=None if conclusion is None else conclusion.admissible,
            advised_tlv_type=None if conclusion is None else conclusion.tlv_type,
            advised_category=None if conclusion is None else conclusion.funding_category,
            works_at_school=advice.works_at_school,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def _check_decidable(self, decided_on: date) -> None:
        self._check_open()
        if self.complete_on is None:
            raise ApplicationIncompleteError(
                f"Request {self.id} has not been found complete: check its completeness first.",
                fields=("request_id",),
            )
        if self.suspended_since is not None:
            raise ApplicationSuspendedError(
                f"Request {self.id} is suspended since {self.suspended_since}; resume it before "
                "deciding.",
                fields=("request_id",),
            )
        if decided_on < self.complete_on:
            raise InvalidValueError(
                f"A decision cannot be dated {decided_on}, before the application was complete.",
                fields=("decided_on",),
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
                    "dates.",
                    fields=("valid_from", "valid_until"),
                )
            check_tlv_terms(self.tlv_type, funding_category, valid_from, valid_until)
        elif any(v is not None for v in (tlv_id, funding_category, valid_from, valid_until)):
            raise InvalidValueError(
                "An arrangement request has no TLV, category or TLV period: leave them out and "
                "grant the arrangement itself next.",
                fields=("funding_category", "valid_from", "valid_until"),
            )
        self.trigger_event(
            self.Granted,
            pupil_id=self.pupil_id,
            reasons=require_text(reasons, "The reasons for the decision", field="reasons"),
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
            reasons=require_text(reasons, "The reasons for the decision", field="reasons"),
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

    def notify_decision(
        self, *, notified_on: date, by: str, at: datetime, channel: Channel = Channel.POST
    ) -> None:
        """The decision was sent or handed over on ``notified_on``: the objection term starts."""
        if self.outcome is None or self.decided_on is None:
            raise RequestNotDecidedError(
                f"Request {self.id} has no decision to notify yet.", fields=("request_id",)
            )
        if self.notified_on is not None:
            raise AlreadyNotifiedError(
                f"The decision on request {self.id} was notified on {self.notified_on}."
            )
        if notified_on < self.decided_on:
            raise InvalidValueError(
                f"A decision of {self.decided_on} cannot be notified on {notified_on}, before it.",
                fields=("notified_on",),
            )
        self.trigger_event(
            self.DecisionNotified,
            notified_on=notified_on,
            channel=channel,
            notified_by=by,
            notified_at=at,
            timestamp=at,
        )
