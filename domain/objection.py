"""Objection aggregate: a bezwaar against a decision, its LBT advice and its outcome.

Timeliness follows Awb 6:9: received within the term, or posted within it and received within
a week after. A late objection is never declared inadmissible at once: the objector explains
the lateness, then the committee rules whether it is excusable (6:11) and only an inexcusable
one is inadmissible. An LBT-affiliated SWV asks the LBT's advice unless it fully meets the
objection. The decision on the objection is due per Awb 7:10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.deadlines import Channel, Timeliness
from domain.errors import (
    InvalidValueError,
    LbtAdviceError,
    ObjectionClosedError,
    ObjectionDecisionError,
    ObjectionLatenessError,
    RequestNotDecidedError,
    require_text,
)
from domain.personal import DECISION, DOSSIER
from domain.support_request import DecisionOutcome, SupportRequest
from domain.swv import SwvPolicy
from domain.tlv import FundingCategory, TlvType, check_tlv_terms


class Objector(StrEnum):
    PARENTS = "PARENTS"
    SCHOOL_BOARD = "SCHOOL_BOARD"


class ObjectionOutcome(StrEnum):
    UPHELD = "UPHELD"
    PARTLY_UPHELD = "PARTLY_UPHELD"
    REJECTED = "REJECTED"


class TlvConsequence(StrEnum):
    """What the decision on objection does to the TLV, if anything."""

    NONE = "NONE"
    GRANTED = "GRANTED"
    REVISED = "REVISED"
    REVOKED = "REVOKED"


@dataclass(frozen=True, slots=True)
class ObjectionDecision:
    """The decision on objection, with the TLV terms it sets when it grants or revises one."""

    outcome: ObjectionOutcome
    tlv_consequence: TlvConsequence
    funding_category: FundingCategory | None
    valid_from: date | None
    valid_until: date | None
    decided_on: date
    policy_version: str


class Objection(Aggregate):
    TOPIC = "Objection"

    class Event(Aggregate.Event):
        pass

    class Lodged(Event, Aggregate.Created):
        TOPIC = "ObjectionLodged.v2"
        pupil_id: UUID
        support_request_id: UUID
        contested_outcome: DecisionOutcome
        tlv_type: TlvType | None
        tlv_id: UUID | None
        objector: Objector
        grounds: Annotated[str, DOSSIER]
        received_on: date
        channel: Channel | None  # None on objections recorded before the channel was
        posted_on: date | None
        term_ends_on: date | None
        timeliness: Timeliness
        in_time: bool
        # given with the objection before 6:11 was a step of its own; such a late one went on
        lateness_excuse: Annotated[str | None, DOSSIER]
        advisory_committee: bool  # an advisory committee (the LBT) hears it: Awb 7:10 12 weeks
        lodged_by: str
        lodged_at: datetime

    Created = Lodged

    class LatenessExplained(Event):
        """The objector's reason why a late objection came late (asked before ruling, 6:11)."""

        TOPIC = "ObjectionLatenessExplained.v1"
        pupil_id: UUID
        explanation: Annotated[str, DOSSIER]
        received_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.lateness_explained = True

    class LatenessRuled(Event):
        """The committee's ruling whether the lateness is excusable (Awb 6:11)."""

        TOPIC = "ObjectionLatenessRuled.v1"
        pupil_id: UUID
        excusable: bool
        reasons: Annotated[str, DECISION]
        decided_on: date
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.lateness_excused = self.excusable

    class DecisionPostponed(Event):
        """The decision on the objection postponed once by six weeks, with notice (7:10 lid 3)."""

        TOPIC = "ObjectionDecisionPostponed.v1"
        pupil_id: UUID
        reason: Annotated[str, DOSSIER]
        notified_on: date
        postponed_by: str
        postponed_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.postponed = True

    class LongerTermAgreed(Event):
        """The objector consented to a later decision (Awb 7:10 lid 4)."""

        TOPIC = "ObjectionLongerTermAgreed.v1"
        agreed_until: date
        consented_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.agreed_until = self.agreed_until

    class DeclaredInadmissible(Event):
        TOPIC = "ObjectionDeclaredInadmissible.v1"
        reason: str
        declared_by: str
        declared_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.inadmissible = True

    class LbtAdviceRequested(Event):
        TOPIC = "LbtAdviceRequested.v1"
        requested_on: date
        due_by: date
        in_time: bool
        requested_by: str
        requested_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.lbt_requested_on = self.requested_on

    class LbtAdviceReceived(Event):
        TOPIC = "LbtAdviceReceived.v1"
        pupil_id: UUID
        recommended_outcome: ObjectionOutcome
        advice: Annotated[str, DOSSIER]
        received_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.lbt_recommendation = self.recommended_outcome

    class Decided(Event):
        TOPIC = "ObjectionDecided.v1"
        pupil_id: UUID
        outcome: ObjectionOutcome
        reasons: Annotated[str, DECISION]
        tlv_consequence: TlvConsequence
        funding_category: FundingCategory | None
        valid_from: date | None
        valid_until: date | None
        follows_lbt_advice: bool | None
        decided_on: date
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: Objection) -> None:
            aggregate.outcome = self.outcome
            aggregate.decision = ObjectionDecision(
                self.outcome,
                self.tlv_consequence,
                self.funding_category,
                self.valid_from,
                self.valid_until,
                self.decided_on,
                self.policy_version,
            )

    def __init__(  # noqa: PLR0913 - the fields of ObjectionLodged
        self,
        *,
        pupil_id: UUID,
        support_request_id: UUID,
        contested_outcome: DecisionOutcome,
        tlv_type: TlvType | None,
        tlv_id: UUID | None,
        objector: Objector,
        received_on: date,
        term_ends_on: date | None,
        timeliness: Timeliness,
        lateness_excuse: str | None,
        advisory_committee: bool,
    ) -> None:
        self.pupil_id = pupil_id
        self.support_request_id = support_request_id
        self.contested_outcome = contested_outcome
        self.tlv_type = tlv_type
        self.tlv_id = tlv_id
        self.objector = objector
        self.received_on = received_on
        self.term_ends_on = term_ends_on
        self.timeliness = timeliness
        self.advisory_committee = advisory_committee
        self.lateness_explained = False
        # a late objection's excuse given with it before 6:11 was a step let it go on
        self.lateness_excused: bool | None = (
            True if timeliness.is_timely or lateness_excuse is not None else None
        )
        self.postponed = False
        self.agreed_until: date | None = None
        self.inadmissible = False
        self.lbt_requested_on: date | None = None
        self.lbt_recommendation: ObjectionOutcome | None = None
        self.outcome: ObjectionOutcome | None = None
        self.decision: ObjectionDecision | None = None

    @classmethod
    def lodge(  # noqa: PLR0913 - an objection and its context
        cls,
        *,
        objection_id: UUID,
        request: SupportRequest,
        objector: Objector,
        grounds: str,
        received_on: date,
        by: str,
        at: datetime,
        channel: Channel = Channel.POST,
        posted_on: date | None = None,
        advisory_committee: bool = False,
        lateness_excuse: str | None = None,
    ) -> Objection:
        """Record an objection and whether it came in time (Awb 6:9, 6:10).

        A late one waits for the objector's explanation and the committee's ruling on it;
        ``lateness_excuse``, if given with it, is recorded as that explanation.
        """
        if request.outcome is None or request.decided_on is None:
            raise RequestNotDecidedError(
                f"Request {request.id} has not been decided; there is nothing to object to yet.",
                fields=("support_request_id",),
            )
        if received_on < request.decided_on:
            raise InvalidValueError(
                f"received_on: an objection cannot be received on {received_on}, before the "
                f"decision of {request.decided_on}.",
                fields=("received_on",),
            )
        if posted_on is not None and (channel is not Channel.POST or posted_on > received_on):
            raise InvalidValueError(
                "posted_on: only a letter sent by post has a postmark, and it lies on or before "
                f"the day it was received ({received_on}).",
                fields=("posted_on",),
            )
        term_ends_on = request.objection_deadline
        timeliness = deadlines.objection_timeliness(
            term_ends_on, received_on=received_on, channel=channel, posted_on=posted_on
        )
        objection = cls._create(
            cls.Lodged,
            id=objection_id,
            pupil_id=request.pupil_id,
            support_request_id=request.id,
            contested_outcome=request.outcome,
            tlv_type=request.tlv_type,
            tlv_id=request.tlv_id,
            objector=objector,
            grounds=require_text(grounds, "The grounds of the objection", field="grounds"),
            received_on=received_on,
            channel=channel,
            posted_on=posted_on,
            term_ends_on=term_ends_on,
            timeliness=timeliness,
            in_time=timeliness.is_timely,
            lateness_excuse=None,
            advisory_committee=advisory_committee,
            lodged_by=by,
            lodged_at=at,
            timestamp=at,
        )
        if not timeliness.is_timely and lateness_excuse:
            objection.explain_lateness(
                explanation=lateness_excuse, received_on=received_on, by=by, at=at
            )
        return objection

    @property
    def awaits_lateness_ruling(self) -> bool:
        """A late objection nobody has ruled on yet (Awb 6:11)."""
        return self.lateness_excused is None and not self.inadmissible

    @property
    def decision_deadline(self) -> date | None:
        """The last day to decide on the objection (Awb 7:10); None once it is closed."""
        if self.is_closed:
            return None
        return deadlines.objection_decision_deadline(
            self.term_ends_on or self.received_on,
            with_committee=self.advisory_committee or self.lbt_requested_on is not None,
            postponed=self.postponed,
            agreed_until=self.agreed_until,
        )

    def explain_lateness(
        self, *, explanation: str, received_on: date, by: str, at: datetime
    ) -> None:
        """Record the objector's reason why the objection came late."""
        self._check_open()
        if not self.awaits_lateness_ruling:
            raise ObjectionLatenessError(
                f"Objection {self.id} came in time or its lateness was ruled on: there is "
                "no lateness to explain.",
                fields=("objection_id",),
            )
        self.trigger_event(
            self.LatenessExplained,
            pupil_id=self.pupil_id,
            explanation=require_text(
                explanation, "The explanation of the lateness", field="explanation"
            ),
            received_on=received_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def rule_on_lateness(  # noqa: PLR0913 - a decision under Awb 6:11
        self,
        *,
        excusable: bool,
        reasons: str,
        decided_on: date,
        policy: SwvPolicy,
        by: str,
        at: datetime,
    ) -> None:
        """The committee rules whether the lateness is excusable; if not, it is inadmissible."""
        self._check_open()
        if not self.awaits_lateness_ruling:
            raise ObjectionLatenessError(
                f"Objection {self.id} came in time or its lateness was ruled on already.",
                fields=("objection_id",),
            )
        if not self.lateness_explained:
            raise ObjectionLatenessError(
                "Ask the objector why the objection came late and record the explanation "
                "before ruling on it (Awb 6:11, 7:3).",
                fields=("objection_id",),
            )
        if decided_on < self.received_on:
            raise InvalidValueError(
                f"decided_on: the ruling cannot be dated {decided_on}, before the objection "
                f"came in on {self.received_on}.",
                fields=("decided_on",),
            )
        reasons = require_text(
            reasons, "The reasons for the ruling on the lateness", field="reasons"
        )
        self.trigger_event(
            self.LatenessRuled,
            pupil_id=self.pupil_id,
            excusable=excusable,
            reasons=reasons,
            decided_on=decided_on,
            policy_version=policy.version,
            decided_by=by,
            decided_at=at,
            timestamp=at,
        )
        if not excusable:
            self.trigger_event(
                self.DeclaredInadmissible,
                reason=(
                    f"Received on {self.received_on}, after the objection term ended on "
                    f"{self.term_ends_on} (Awb 6:7, 6:9); the lateness is not excusable "
                    "(Awb 6:11)."
                ),
                declared_by=by,
                declared_at=at,
                timestamp=at,
            )

    def postpone_decision(self, *, reason: str, notified_on: date, by: str, at: datetime) -> None:
        """Postpone the decision once by six weeks, notifying within the term (7:10 lid 3)."""
        self._check_open()
        if self.postponed:
            raise ObjectionDecisionError(
                "The decision on this objection was postponed once already; a longer term "
                "needs the objector's consent (Awb 7:10 lid 4).",
                fields=("objection_id",),
            )
        deadline = self.decision_deadline
        if deadline is not None and notified_on > deadline:
            raise InvalidValueError(
                f"notified_on: the postponement must be notified within the term, which ended "
                f"on {deadline}.",
                fields=("notified_on",),
            )
        self.trigger_event(
            self.DecisionPostponed,
            pupil_id=self.pupil_id,
            reason=require_text(reason, "The reason for postponing", field="reason"),
            notified_on=notified_on,
            postponed_by=by,
            postponed_at=at,
            timestamp=at,
        )

    def agree_longer_term(
        self, *, agreed_until: date, consented_on: date, by: str, at: datetime
    ) -> None:
        """Record the objector's consent to a decision by ``agreed_until`` (7:10 lid 4)."""
        self._check_open()
        deadline = self.decision_deadline
        if deadline is not None and agreed_until <= deadline:
            raise InvalidValueError(
                f"agreed_until: the agreed day must lie after the current last day, {deadline}.",
                fields=("agreed_until",),
            )
        self.trigger_event(
            self.LongerTermAgreed,
            agreed_until=agreed_until,
            consented_on=consented_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    @property
    def is_closed(self) -> bool:
        return self.inadmissible or self.outcome is not None

    @property
    def lbt_request_deadline(self) -> date | None:
        """The last day to ask the LBT for advice; None once asked or closed."""
        if self.is_closed or self.lbt_requested_on is not None:
            return None
        return deadlines.lbt_request_deadline(self.received_on)

    def _check_open(self) -> None:
        if self.inadmissible:
            raise ObjectionClosedError(f"Objection {self.id} was declared inadmissible.")
        if self.outcome is not None:
            raise ObjectionClosedError(
                f"Objection {self.id} was decided ({self.outcome.lower()}); it cannot change."
            )

    def _check_lateness_ruled(self) -> None:
        if self.awaits_lateness_ruling:
            raise ObjectionLatenessError(
                f"Objection {self.id} came late (term ended {self.term_ends_on}): record the "
                "objector's explanation and rule whether the lateness is excusable first.",
                fields=("objection_id",),
            )

    def request_lbt_advice(self, *, requested_on: date, by: str, at: datetime) -> None:
        self._check_open()
        self._check_lateness_ruled()
        if self.lbt_requested_on is not None:
            raise LbtAdviceError(
                f"The LBT's advice was already requested on {self.lbt_requested_on}.",
                fields=("objection_id",),
            )
        due_by = deadlines.lbt_request_deadline(self.received_on)
        self.trigger_event(
            self.LbtAdviceRequested,
            requested_on=requested_on,
            due_by=due_by,
            in_time=requested_on <= due_by,
            requested_by=by,
            requested_at=at,
            timestamp=at,
        )

    def record_lbt_advice(
        self,
        *,
        recommended_outcome: ObjectionOutcome,
        advice: str,
        received_on: date,
        by: str,
        at: datetime,
    ) -> None:
        self._check_open()
        if self.lbt_requested_on is None:
            raise LbtAdviceError(
                "The LBT was not asked for advice: record the request first.",
                fields=("objection_id",),
            )
        if self.lbt_recommendation is not None:
            raise LbtAdviceError(
                f"The LBT's advice on objection {self.id} is already recorded.",
                fields=("objection_id",),
            )
        self.trigger_event(
            self.LbtAdviceReceived,
            pupil_id=self.pupil_id,
            recommended_outcome=recommended_outcome,
            advice=require_text(advice, "The LBT's advice", field="advice"),
            received_on=received_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def _check_lbt_step(self, outcome: ObjectionOutcome, policy: SwvPolicy) -> None:
        if self.lbt_requested_on is not None and self.lbt_recommendation is None:
            raise LbtAdviceError(
                "The LBT's advice was requested and has not come in: record it before deciding.",
                fields=("objection_id",),
            )
        if (
            policy.lbt_affiliated
            and self.lbt_requested_on is None
            and outcome is not ObjectionOutcome.UPHELD
        ):
            raise LbtAdviceError(
                "This SWV is affiliated with the LBT: ask its advice before deciding, unless "
                "the objection is upheld in full.",
                fields=("outcome",),
            )

    def _check_consequence(
        self,
        outcome: ObjectionOutcome,
        consequence: TlvConsequence,
        terms: tuple[FundingCategory | None, date | None, date | None],
    ) -> None:
        allowed = {TlvConsequence.NONE}
        if outcome is not ObjectionOutcome.REJECTED and self.tlv_type is not None:
            allowed |= (
                {TlvConsequence.REVISED, TlvConsequence.REVOKED}
                if self.tlv_id is not None
                else {TlvConsequence.GRANTED}
            )
        if consequence not in allowed:
            raise ObjectionDecisionError(
                f"An objection {outcome.lower()} against a {self.contested_outcome.lower()} "
                f"request can lead to {sorted(c.value for c in allowed)}, not {consequence}.",
                fields=("tlv_consequence",),
            )
        category, valid_from, valid_until = terms
        needs_terms = consequence in {TlvConsequence.GRANTED, TlvConsequence.REVISED}
        if needs_terms:
            if self.tlv_type is None or valid_from is None or valid_until is None:
                raise ObjectionDecisionError(
                    "A TLV granted or revised on objection needs its valid-from and valid-until.",
                    fields=("valid_from", "valid_until"),
                )
            check_tlv_terms(self.tlv_type, category, valid_from, valid_until)
        elif any(value is not None for value in terms):
            raise ObjectionDecisionError(
                f"With consequence {consequence} the TLV terms stay as they are: leave them out.",
                fields=("funding_category", "valid_from", "valid_until"),
            )

    def decide(  # noqa: PLR0913 - the decision on objection and what it does to the TLV
        self,
        *,
        outcome: ObjectionOutcome,
        reasons: str,
        decided_on: date,
        policy: SwvPolicy,
        by: str,
        at: datetime,
        tlv_consequence: TlvConsequence = TlvConsequence.NONE,
        funding_category: FundingCategory | None = None,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> None:
        self._check_open()
        self._check_lateness_ruled()
        self._check_lbt_step(outcome, policy)
        self._check_consequence(
            outcome, tlv_consequence, (funding_category, valid_from, valid_until)
        )
        self.trigger_event(
            self.Decided,
            pupil_id=self.pupil_id,
            outcome=outcome,
            reasons=require_text(
                reasons, "The reasons for the decision on objection", field="reasons"
            ),
            tlv_consequence=tlv_consequence,
            funding_category=funding_category,
            valid_from=valid_from,
            valid_until=valid_until,
            follows_lbt_advice=(
                None if self.lbt_recommendation is None else self.lbt_recommendation is outcome
            ),
            decided_on=decided_on,
            policy_version=policy.version,
            decided_by=by,
            decided_at=at,
            timestamp=at,
        )
