"""Objection aggregate: a bezwaar against a decision, its LBT advice and its outcome.

An objection received after the 6-week term is recorded and declared inadmissible unless the
lateness is excused (Awb 6:11); an LBT-affiliated SWV asks the LBT's advice unless it fully
meets the objection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.errors import (
    InvalidValueError,
    LbtAdviceError,
    ObjectionClosedError,
    ObjectionDecisionError,
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
        TOPIC = "ObjectionLodged.v1"
        pupil_id: UUID
        support_request_id: UUID
        contested_outcome: DecisionOutcome
        tlv_type: TlvType | None
        tlv_id: UUID | None
        objector: Objector
        grounds: Annotated[str, DOSSIER]
        received_on: date
        term_ends_on: date | None
        in_time: bool
        lateness_excuse: Annotated[str | None, DOSSIER]
        lodged_by: str
        lodged_at: datetime

    Created = Lodged

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
        in_time: bool,
    ) -> None:
        self.pupil_id = pupil_id
        self.support_request_id = support_request_id
        self.contested_outcome = contested_outcome
        self.tlv_type = tlv_type
        self.tlv_id = tlv_id
        self.objector = objector
        self.received_on = received_on
        self.in_time = in_time
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
        lateness_excuse: str | None = None,
    ) -> Objection:
        """Record an objection; a late one without excuse is at once declared inadmissible."""
        if request.outcome is None or request.decided_on is None:
            raise RequestNotDecidedError(
                f"Request {request.id} has not been decided; there is nothing to object to yet."
            )
        if received_on < request.decided_on:
            raise InvalidValueError(
                f"An objection cannot be received on {received_on}, before the decision of "
                f"{request.decided_on}."
            )
        # Awb 6:10: an objection before the decision was made known is still in time.
        term_ends_on = request.objection_deadline
        in_time = term_ends_on is None or received_on <= term_ends_on
        excuse = require_text(lateness_excuse, "The excuse") if lateness_excuse else None
        objection = cls._create(
            cls.Lodged,
            id=objection_id,
            pupil_id=request.pupil_id,
            support_request_id=request.id,
            contested_outcome=request.outcome,
            tlv_type=request.tlv_type,
            tlv_id=request.tlv_id,
            objector=objector,
            grounds=require_text(grounds, "The grounds of the objection"),
            received_on=received_on,
            term_ends_on=term_ends_on,
            in_time=in_time,
            lateness_excuse=None if in_time else excuse,
            lodged_by=by,
            lodged_at=at,
            timestamp=at,
        )
        if not in_time and excuse is None:
            objection.trigger_event(
                cls.DeclaredInadmissible,
                reason=(
                    f"Received on {received_on}, after the objection term ended on "
                    f"{term_ends_on} (Awb 6:7, 6:9), and no excuse for the lateness was given."
                ),
                declared_by=by,
                declared_at=at,
                timestamp=at,
            )
        return objection

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

    def request_lbt_advice(self, *, requested_on: date, by: str, at: datetime) -> None:
        self._check_open()
        if self.lbt_requested_on is not None:
            raise LbtAdviceError(
                f"The LBT's advice was already requested on {self.lbt_requested_on}."
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
            raise LbtAdviceError("The LBT was not asked for advice: record the request first.")
        if self.lbt_recommendation is not None:
            raise LbtAdviceError(f"The LBT's advice on objection {self.id} is already recorded.")
        self.trigger_event(
            self.LbtAdviceReceived,
            pupil_id=self.pupil_id,
            recommended_outcome=recommended_outcome,
            advice=require_text(advice, "The LBT's advice"),
            received_on=received_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def _check_lbt_step(self, outcome: ObjectionOutcome, policy: SwvPolicy) -> None:
        if self.lbt_requested_on is not None and self.lbt_recommendation is None:
            raise LbtAdviceError(
                "The LBT's advice was requested and has not come in: record it before deciding."
            )
        if (
            policy.lbt_affiliated
            and self.lbt_requested_on is None
            and outcome is not ObjectionOutcome.UPHELD
        ):
            raise LbtAdviceError(
                "This SWV is affiliated with the LBT: ask its advice before deciding, unless "
                "the objection is upheld in full."
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
                f"request can lead to {sorted(c.value for c in allowed)}, not {consequence}."
            )
        category, valid_from, valid_until = terms
        needs_terms = consequence in {TlvConsequence.GRANTED, TlvConsequence.REVISED}
        if needs_terms:
            if self.tlv_type is None or valid_from is None or valid_until is None:
                raise ObjectionDecisionError(
                    "A TLV granted or revised on objection needs its valid-from and valid-until."
                )
            check_tlv_terms(self.tlv_type, category, valid_from, valid_until)
        elif any(value is not None for value in terms):
            raise ObjectionDecisionError(
                f"With consequence {consequence} the TLV terms stay as they are: leave them out."
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
        self._check_lbt_step(outcome, policy)
        self._check_consequence(
            outcome, tlv_consequence, (funding_category, valid_from, valid_until)
        )
        self.trigger_event(
            self.Decided,
            pupil_id=self.pupil_id,
            outcome=outcome,
            reasons=require_text(reasons, "The reasons for the decision on objection"),
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
