"""Rules every event obeys: a stable versioned name, an actor and a time, personal data marked."""

import dataclasses
import re
import typing
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain.arrangement import Arrangement, EvaluationParty, GoalAttainment
from domain.expert_advice import ExpertRole, Qualification
from domain.objection import Objection, ObjectionOutcome, Objector, TlvConsequence
from domain.personal import PersonalData
from domain.pupil import LeavingReason, Pupil
from domain.registry import AGGREGATE_CLASSES
from domain.support_request import ParentView, SupportRequest
from domain.tlv import FundingCategory, Tlv, TlvType
from tests.unit.domain.conftest import (
    AMBULANT,
    AT,
    DIRECTOR,
    LOKET,
    POLICY,
    REGULAR,
    SO,
    advice,
    complete,
    new_swv,
)

EVENT_CLASSES = [
    (aggregate, value)
    for aggregate in AGGREGATE_CLASSES
    for value in vars(aggregate).values()
    if isinstance(value, type)
    and issubclass(value, CanMutateAggregate)
    and "TOPIC" in value.__dict__
]
IDS = [cls.__dict__["TOPIC"] for _, cls in EVENT_CLASSES]


def fields(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def is_personal(annotation: Any) -> bool:
    return typing.get_origin(annotation) is Annotated and any(
        isinstance(meta, PersonalData) for meta in annotation.__metadata__
    )


@pytest.mark.parametrize(("aggregate", "cls"), EVENT_CLASSES, ids=IDS)
def test_every_event_has_a_versioned_subject_past_participle_name(
    aggregate: type[Aggregate], cls: type
) -> None:
    assert re.fullmatch(r"[A-Z][A-Za-z]+\.v[1-9][0-9]*", cls.__dict__["TOPIC"])


@pytest.mark.parametrize(("aggregate", "cls"), EVENT_CLASSES, ids=IDS)
def test_every_event_names_its_actor_and_business_time(
    aggregate: type[Aggregate], cls: type
) -> None:
    names = fields(cls)
    assert [n for n in names if n.endswith("_by")], "no actor field"
    assert [n for n, t in names.items() if n.endswith("_at") and t is datetime], "no time field"


@pytest.mark.parametrize(("aggregate", "cls"), EVENT_CLASSES, ids=IDS)
def test_personal_data_outside_the_pupil_stream_names_its_pupil(
    aggregate: type[Aggregate], cls: type
) -> None:
    hints = fields(cls)
    if aggregate is not Pupil and any(is_personal(t) for t in hints.values()):
        # ``UUID | None``: a record about a school, not a pupil, keyed by its own stream.
        assert hints.get("pupil_id") in {UUID, UUID | None}


def test_names_and_dates_of_birth_are_marked_personal() -> None:
    for cls in (Pupil.Registered, Pupil.DetailsCorrected):
        hints = fields(cls)
        assert is_personal(hints["name"])
        assert is_personal(hints["date_of_birth"])


def replayed(events: Sequence[CanMutateAggregate[UUID]]) -> Aggregate | None:
    aggregate: Aggregate | None = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def test_a_configured_swv_rebuilds_from_its_events() -> None:
    swv = new_swv()
    swv.add_municipality("GM1904", "Stichtse Vecht", by=LOKET, at=AT)
    swv.add_school(SO, by=LOKET, at=AT)
    swv.add_arrangement_type(AMBULANT, by=LOKET, at=AT)
    assert replayed(swv.collect_events()) == swv


def test_a_case_from_request_to_objection_rebuilds_from_its_events() -> None:
    request = SupportRequest.submit(
        request_id=uuid4(),
        pupil_id=uuid4(),
        school=REGULAR,
        requested=TlvType.SO,
        question="q",
        parent_view=ParentView.NOT_GIVEN,
        received_on=date(2025, 3, 3),
        by=LOKET,
        at=AT,
    )
    request.check_completeness(missing=(), checked_on=date(2025, 3, 3), by=LOKET, at=AT)
    request.suspend(
        reason="x",
        suspended_on=date(2025, 3, 4),
        complete_by=date(2025, 3, 18),
        by=LOKET,
        at=AT,
    )
    request.resume(resumed_on=date(2025, 3, 6), by=LOKET, at=AT)
    request.extend_decision_term(
        reason="x", extended_to=date(2025, 5, 30), notified_on=date(2025, 3, 7), by=LOKET, at=AT
    )
    request.record_expert_advice(advice(), by=LOKET, at=AT)
    request.record_expert_advice(advice(ExpertRole.SECOND, Qualification.ARTS), by=LOKET, at=AT)
    request.grant(
        reasons="r",
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        tlv_id=uuid4(),
        funding_category=FundingCategory.LOW,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )
    request.notify_decision(notified_on=date(2025, 3, 21), by=LOKET, at=AT)
    objection = Objection.lodge(
        objection_id=uuid4(),
        request=request,
        objector=Objector.SCHOOL_BOARD,
        grounds="g",
        received_on=date(2025, 5, 20),
        by=LOKET,
        at=AT,
        lateness_excuse="e",
    )
    objection.rule_on_lateness(
        excusable=True, reasons="r", decided_on=date(2025, 5, 21), policy=POLICY, by=DIRECTOR, at=AT
    )
    objection.postpone_decision(reason="r", notified_on=date(2025, 5, 22), by=LOKET, at=AT)
    objection.agree_longer_term(
        agreed_until=date(2025, 12, 1), consented_on=date(2025, 5, 23), by=LOKET, at=AT
    )
    objection.request_lbt_advice(requested_on=date(2025, 5, 22), by=LOKET, at=AT)
    objection.record_lbt_advice(
        recommended_outcome=ObjectionOutcome.UPHELD,
        advice="a",
        received_on=date(2025, 5, 1),
        by=LOKET,
        at=AT,
    )
    objection.decide(
        outcome=ObjectionOutcome.UPHELD,
        reasons="r",
        decided_on=date(2025, 5, 9),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        tlv_consequence=TlvConsequence.REVISED,
        funding_category=FundingCategory.HIGH,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )
    for aggregate in (request, objection):
        assert replayed(aggregate.collect_events()) == aggregate


def test_a_tlv_and_an_arrangement_rebuild_from_their_events() -> None:
    tlv = Tlv.grant(
        tlv_id=uuid4(),
        pupil_id=uuid4(),
        support_request_id=uuid4(),
        tlv_type=TlvType.SO,
        funding_category=FundingCategory.LOW,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
        issued_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
    )
    tlv.redeem(school=SO, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
    tlv.extend(
        valid_until=date(2028, 7, 31),
        decided_on=date(2027, 6, 1),
        policy_version="v",
        by=DIRECTOR,
        at=AT,
    )
    assert replayed(tlv.collect_events()) == tlv
    ambulant = complete(AMBULANT)
    ambulant.grant(reasons="r", decided_on=date(2025, 3, 20), policy=POLICY, by=DIRECTOR, at=AT)
    arrangement = Arrangement.grant(
        arrangement_id=uuid4(),
        request=ambulant,
        arrangement_type=AMBULANT,
        provider="p",
        amount=10,
        start_on=date(2025, 4, 1),
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
    )
    arrangement.extend(
        end_on=date(2026, 7, 31),
        reason="r",
        decided_on=date(2025, 9, 1),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        amount_added=5,
    )
    arrangement.evaluate(
        party=EvaluationParty.SCHOOL,
        goal_attainment=GoalAttainment.MET,
        notes="n",
        evaluated_on=date(2025, 5, 1),
        by=LOKET,
        at=AT,
    )
    assert replayed(arrangement.collect_events()) == arrangement


def test_a_pupil_rebuilds_from_their_events() -> None:
    pupil = Pupil.register(
        pupil_id=uuid4(),
        name="n",
        date_of_birth=date(2017, 1, 1),
        municipality_code="GM0632",
        by=LOKET,
        at=AT,
    )
    pupil.register_at_school(school=REGULAR, registered_on=date(2025, 3, 3), by=LOKET, at=AT)
    pupil.extend_zorgplicht_term(by=LOKET, at=AT)
    pupil.enrol(school=REGULAR, enrolled_on=date(2025, 4, 1), by=LOKET, at=AT)
    pupil.add_guardian(guardian_id=uuid4(), has_authority=True, by=LOKET, at=AT)
    pupil.change_residence(municipality_code="GM1904", moved_on=date(2025, 5, 1), by=LOKET, at=AT)
    pupil.leave(reason=LeavingReason.TRANSFER_TO_VO, left_on=date(2025, 7, 31), by=LOKET, at=AT)
    assert replayed(pupil.collect_events()) == pupil
