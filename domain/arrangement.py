"""Arrangement aggregate: extra support granted on a request, from its start to its end.

Amounts are whole hours or euro cents, as the catalogue entry's unit says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.errors import (
    ArrangementClosedError,
    InvalidValueError,
    PeriodError,
    RequestNotDecidedError,
    require_text,
)
from domain.personal import DECISION, DOSSIER
from domain.support_request import DecisionOutcome, SupportRequest
from domain.swv import AmountUnit, ArrangementType, SwvPolicy


class EvaluationParty(StrEnum):
    SCHOOL = "SCHOOL"
    PARENTS = "PARENTS"


class GoalAttainment(StrEnum):
    MET = "MET"
    PARTLY_MET = "PARTLY_MET"
    NOT_MET = "NOT_MET"


def _check_amount(amount: int) -> None:
    if amount <= 0:
        raise InvalidValueError(
            f"An amount of {amount} is not possible: give a positive number of hours or cents.",
            fields=("amount",),
        )


class Arrangement(Aggregate):
    TOPIC = "Arrangement"

    class Event(Aggregate.Event):
        pass

    class Granted(Event, Aggregate.Created):
        TOPIC = "ArrangementGranted.v1"
        pupil_id: UUID
        support_request_id: UUID
        arrangement_type: str
        provider: str
        unit: AmountUnit
        amount: int
        start_on: date
        end_on: date
        decided_on: date
        policy_version: str
        granted_by: str
        granted_at: datetime

    Created = Granted

    class Extended(Event):
        TOPIC = "ArrangementExtended.v1"
        pupil_id: UUID
        end_on: date
        previous_end_on: date
        amount_added: int
        reason: Annotated[str, DECISION]
        decided_on: date
        policy_version: str
        extended_by: str
        extended_at: datetime

        def apply(self, aggregate: Arrangement) -> None:
            aggregate.end_on = self.end_on
            aggregate.amount += self.amount_added

    class EndedEarly(Event):
        TOPIC = "ArrangementEndedEarly.v1"
        pupil_id: UUID
        ended_on: date
        reason: Annotated[str, DOSSIER]
        ended_by: str
        ended_at: datetime

        def apply(self, aggregate: Arrangement) -> None:
            aggregate.end_on = self.ended_on
            aggregate.ended_early = True

    class Evaluated(Event):
        TOPIC = "ArrangementEvaluated.v1"
        pupil_id: UUID
        party: EvaluationParty
        goal_attainment: GoalAttainment
        notes: Annotated[str, DOSSIER]
        evaluated_on: date
        evaluated_by: str
        evaluated_at: datetime

        def apply(self, aggregate: Arrangement) -> None:
            aggregate.evaluations[self.party] = self.goal_attainment

    def __init__(  # noqa: PLR0913 - the fields of ArrangementGranted
        self,
        *,
        pupil_id: UUID,
        support_request_id: UUID,
        arrangement_type: str,
        provider: str,
        unit: AmountUnit,
        amount: int,
        start_on: date,
        end_on: date,
    ) -> None:
        self.pupil_id = pupil_id
        self.support_request_id = support_request_id
        self.arrangement_type = arrangement_type
        self.provider = provider
        self.unit = unit
        self.amount = amount
        self.start_on = start_on
        self.end_on = end_on
        self.ended_early = False
        self.evaluations: dict[EvaluationParty, GoalAttainment] = {}

    @classmethod
    def grant(  # noqa: PLR0913 - the terms of the arrangement
        cls,
        *,
        arrangement_id: UUID,
        request: SupportRequest,
        arrangement_type: ArrangementType,
        provider: str,
        amount: int,
        start_on: date,
        decided_on: date,
        policy: SwvPolicy,
        by: str,
        at: datetime,
        end_on: date | None = None,
    ) -> Arrangement:
        """Grant the arrangement asked for; without an end date it runs the type's default."""
        if request.outcome is not DecisionOutcome.GRANTED:
            raise RequestNotDecidedError(
                f"Request {request.id} has not been granted: decide it before granting the "
                "arrangement.",
                fields=("support_request_id",),
            )
        if request.arrangement_type != arrangement_type.code:
            raise InvalidValueError(
                f"Request {request.id} asked for {request.arrangement_type or 'a TLV'}, "
                f"not for {arrangement_type.code!r}: grant what was asked, or submit a new "
                "request.",
                fields=("support_request_id",),
            )
        _check_amount(amount)
        if end_on is None:
            end_on = deadlines.add_months(
                start_on, arrangement_type.default_duration_months
            ) - timedelta(days=1)
        if end_on < start_on:
            raise PeriodError(
                f"An arrangement starting on {start_on} cannot end on {end_on}, before it starts.",
                fields=("end_on",),
            )
        return cls._create(
            cls.Granted,
            id=arrangement_id,
            pupil_id=request.pupil_id,
            support_request_id=request.id,
            arrangement_type=arrangement_type.code,
            provider=require_text(provider, "The provider", field="provider"),
            unit=arrangement_type.unit,
            amount=amount,
            start_on=start_on,
            end_on=end_on,
            decided_on=decided_on,
            policy_version=policy.version,
            granted_by=by,
            granted_at=at,
            timestamp=at,
        )

    def is_active_on(self, day: date) -> bool:
        return self.start_on <= day <= self.end_on

    def _check_not_ended_early(self) -> None:
        if self.ended_early:
            raise ArrangementClosedError(
                f"Arrangement {self.id} ended early on {self.end_on}; grant a new one instead."
            )

    def extend(  # noqa: PLR0913 - an extension is a decision of its own
        self,
        *,
        end_on: date,
        reason: str,
        decided_on: date,
        policy: SwvPolicy,
        by: str,
        at: datetime,
        amount_added: int = 0,
    ) -> None:
        self._check_not_ended_early()
        if end_on <= self.end_on:
            raise PeriodError(
                f"Arrangement {self.id} already runs until {self.end_on}: "
                "an extension must end later.",
                fields=("end_on",),
            )
        if amount_added < 0:
            raise InvalidValueError(
                "An extension cannot take hours or money away.", fields=("amount_added",)
            )
        self.trigger_event(
            self.Extended,
            pupil_id=self.pupil_id,
            end_on=end_on,
            previous_end_on=self.end_on,
            amount_added=amount_added,
            reason=require_text(reason, "The reason for extending", field="reason"),
            decided_on=decided_on,
            policy_version=policy.version,
            extended_by=by,
            extended_at=at,
            timestamp=at,
        )

    def end_early(self, *, ended_on: date, reason: str, by: str, at: datetime) -> None:
        """The school reports the support is no longer needed (or no longer possible)."""
        self._check_not_ended_early()
        if ended_on < self.start_on:
            raise PeriodError(
                f"Arrangement {self.id} starts on {self.start_on}; it cannot end on {ended_on}, "
                "before it starts.",
                fields=("ended_on",),
            )
        if ended_on >= self.end_on:
            raise PeriodError(
                f"Arrangement {self.id} ends on {self.end_on} anyway; ending it on {ended_on} "
                "is not early.",
                fields=("ended_on",),
            )
        self.trigger_event(
            self.EndedEarly,
            pupil_id=self.pupil_id,
            ended_on=ended_on,
            reason=require_text(reason, "The reason for ending early", field="reason"),
            ended_by=by,
            ended_at=at,
            timestamp=at,
        )

    def evaluate(  # noqa: PLR0913 - one party's evaluation
        self,
        *,
        party: EvaluationParty,
        goal_attainment: GoalAttainment,
        notes: str,
        evaluated_on: date,
        by: str,
        at: datetime,
    ) -> None:
        if evaluated_on < self.start_on:
            raise PeriodError(
                f"Arrangement {self.id} starts on {self.start_on}; it cannot be evaluated before.",
                fields=("evaluated_on",),
            )
        self.trigger_event(
            self.Evaluated,
            pupil_id=self.pupil_id,
            party=party,
            goal_attainment=goal_attainment,
            notes=require_text(notes, "The evaluation", field="notes"),
            evaluated_on=evaluated_on,
            evaluated_by=by,
            evaluated_at=at,
            timestamp=at,
        )
