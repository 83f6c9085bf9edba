"""Bodies and views of what decisions leave behind: TLVs, objections and arrangements."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import Replayable
from domain.arrangement import Arrangement, EvaluationParty, GoalAttainment
from domain.beschikkingsnummer import beschikkingsnummer
from domain.deadlines import Timeliness
from domain.objection import Objection, ObjectionOutcome, Objector, TlvConsequence
from domain.support_request import DecisionOutcome
from domain.swv import AmountUnit
from domain.tlv import FundingCategory, Tlv, TlvStatus, TlvType

# TLVs


class TlvState(msgspec.Struct, frozen=True, kw_only=True):
    beschikkingsnummer: str
    pupil_id: UUID
    support_request_id: UUID
    tlv_type: TlvType
    funding_category: FundingCategory | None
    valid_from: date
    valid_until: date
    issued_on: date
    status: TlvStatus
    redemption_deadline: date | None
    redeemed_at_school: str | None

    @classmethod
    def of(cls, tlv: Tlv, swv_code: str) -> TlvState:
        return cls(
            beschikkingsnummer=beschikkingsnummer(swv_code, tlv.id),
            pupil_id=tlv.pupil_id,
            support_request_id=tlv.support_request_id,
            tlv_type=tlv.tlv_type,
            funding_category=tlv.funding_category,
            valid_from=tlv.valid_from,
            valid_until=tlv.valid_until,
            issued_on=tlv.issued_on,
            status=tlv.status,
            redemption_deadline=tlv.redemption_deadline,
            redeemed_at_school=tlv.redeemed_at_school,
        )


class TlvEvent(EventView, frozen=True):
    """An event of a TLV."""

    aggregate = Tlv


class TlvRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: TlvState
    events: list[TlvEvent]


class TlvExtended(msgspec.Struct, frozen=True):
    tlv_id: UUID
    version: int
    position: int


class TlvNotExtended(msgspec.Struct, frozen=True):
    tlv_id: UUID
    reason: str


class BulkTlvExtensionResult(msgspec.Struct, frozen=True):
    """Each TLV is extended or not on its own; a retry with the same key redoes the failed."""

    batch_id: UUID
    extended: list[TlvExtended]
    not_extended: list[TlvNotExtended]


# Objections


class ObjectionState(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    support_request_id: UUID
    contested_outcome: DecisionOutcome
    tlv_type: TlvType | None
    tlv_id: UUID | None
    objector: Objector
    received_on: date
    term_ends_on: date | None
    timeliness: Timeliness
    in_time: bool
    awaits_lateness_ruling: bool
    lateness_excused: bool | None
    inadmissible: bool
    decision_deadline: date | None
    postponed: bool
    agreed_until: date | None
    lbt_requested_on: date | None
    lbt_request_deadline: date | None
    lbt_recommendation: ObjectionOutcome | None
    outcome: ObjectionOutcome | None
    tlv_consequence: TlvConsequence | None

    @classmethod
    def of(cls, objection: Objection) -> ObjectionState:
        decision = objection.decision
        return cls(
            pupil_id=objection.pupil_id,
            support_request_id=objection.support_request_id,
            contested_outcome=objection.contested_outcome,
            tlv_type=objection.tlv_type,
            tlv_id=objection.tlv_id,
            objector=objection.objector,
            received_on=objection.received_on,
            term_ends_on=objection.term_ends_on,
            timeliness=objection.timeliness,
            in_time=objection.timeliness.is_timely,
            awaits_lateness_ruling=objection.awaits_lateness_ruling,
            lateness_excused=objection.lateness_excused,
            inadmissible=objection.inadmissible,
            decision_deadline=objection.decision_deadline,
            postponed=objection.postponed,
            agreed_until=objection.agreed_until,
            lbt_requested_on=objection.lbt_requested_on,
            lbt_request_deadline=objection.lbt_request_deadline,
            lbt_recommendation=objection.lbt_recommendation,
            outcome=objection.outcome,
            tlv_consequence=decision.tlv_consequence if decision else None,
        )


class ObjectionEvent(EventView, frozen=True):
    """An event of an objection."""

    aggregate = Objection


class ObjectionRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: ObjectionState
    events: list[ObjectionEvent]


# Arrangements


class ArrangementState(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    support_request_id: UUID
    arrangement_type: str
    provider: str
    unit: AmountUnit
    amount: int
    start_on: date
    end_on: date
    ended_early: bool
    evaluations: dict[EvaluationParty, GoalAttainment]

    @classmethod
    def of(cls, arrangement: Arrangement) -> ArrangementState:
        return cls(
            pupil_id=arrangement.pupil_id,
            support_request_id=arrangement.support_request_id,
            arrangement_type=arrangement.arrangement_type,
            provider=arrangement.provider,
            unit=arrangement.unit,
            amount=arrangement.amount,
            start_on=arrangement.start_on,
            end_on=arrangement.end_on,
            ended_early=arrangement.ended_early,
            evaluations=dict(arrangement.evaluations),
        )


class ArrangementEvent(EventView, frozen=True):
    """An event of an arrangement."""

    aggregate = Arrangement


class ArrangementRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: ArrangementState
    events: list[ArrangementEvent]
