from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from domain.errors import (
    LbtAdviceError,
    ObjectionClosedError,
    ObjectionDecisionError,
    RequestNotDecidedError,
)
from domain.objection import Objection, ObjectionOutcome, Objector, TlvConsequence
from domain.support_request import SupportRequest
from domain.tlv import FundingCategory, TlvType
from tests.unit.domain.conftest import (
    AT,
    DIRECTOR,
    LOKET,
    POLICY,
    complete,
    granted_tlv_request,
    refused_request,
)

# Notified on Friday 21 March 2025: the term ends on Friday 2 May.
LAST_DAY = date(2025, 5, 2)


def lodge(
    request: SupportRequest, received_on: date = date(2025, 4, 1), excuse: str | None = None
) -> Objection:
    return Objection.lodge(
        objection_id=uuid4(),
        request=request,
        objector=Objector.PARENTS,
        grounds="Wij vinden SO niet passend.",
        received_on=received_on,
        by=LOKET,
        at=AT,
        lateness_excuse=excuse,
    )


def open_objection(request: SupportRequest | None = None) -> Objection:
    objection = lodge(request or granted_tlv_request())
    objection.collect_events()
    return objection


class TestLodging:
    def test_an_objection_in_time_is_recorded_with_its_term(self) -> None:
        request = granted_tlv_request()
        objection = lodge(request, received_on=LAST_DAY)
        [lodged] = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert (lodged.in_time, lodged.term_ends_on) == (True, LAST_DAY)
        assert (lodged.support_request_id, lodged.pupil_id) == (request.id, request.pupil_id)
        assert (lodged.tlv_id, lodged.tlv_type) == (request.tlv_id, TlvType.SO)
        assert objection.lbt_request_deadline == date(2025, 5, 16)

    def test_a_late_objection_is_recorded_and_declared_inadmissible_with_its_reason(self) -> None:
        objection = lodge(granted_tlv_request(), received_on=date(2025, 5, 5))
        lodged, inadmissible = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert lodged.in_time is False
        assert isinstance(inadmissible, Objection.DeclaredInadmissible)
        assert "after the objection term ended on 2025-05-02" in inadmissible.reason
        assert objection.is_closed

    def test_a_late_objection_with_an_excuse_stays_admissible(self) -> None:
        objection = lodge(
            granted_tlv_request(), received_on=date(2025, 5, 5), excuse="Ziekenhuisopname."
        )
        [lodged] = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert (lodged.in_time, lodged.lateness_excuse) == (False, "Ziekenhuisopname.")
        assert not objection.is_closed

    def test_an_objection_before_notification_is_in_time(self) -> None:
        objection = lodge(granted_tlv_request(notified_on=None), received_on=date(2025, 3, 20))
        [lodged] = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert (lodged.in_time, lodged.term_ends_on) == (True, None)

    def test_there_is_nothing_to_object_to_before_a_decision(self) -> None:
        with pytest.raises(RequestNotDecidedError):
            lodge(complete())

    def test_nothing_can_happen_to_an_inadmissible_objection(self) -> None:
        objection = lodge(granted_tlv_request(), received_on=date(2025, 6, 1))
        with pytest.raises(ObjectionClosedError, match="inadmissible"):
            objection.request_lbt_advice(requested_on=date(2025, 6, 2), by=LOKET, at=AT)


class TestLbtAdvice:
    def test_a_request_within_two_weeks_is_in_time(self) -> None:
        objection = open_objection()
        objection.request_lbt_advice(requested_on=date(2025, 4, 15), by=LOKET, at=AT)
        [requested] = objection.collect_events()
        assert isinstance(requested, Objection.LbtAdviceRequested)
        assert (requested.due_by, requested.in_time) == (date(2025, 4, 15), True)

    def test_a_request_after_two_weeks_is_recorded_as_late(self) -> None:
        objection = open_objection()
        objection.request_lbt_advice(requested_on=date(2025, 4, 16), by=LOKET, at=AT)
        [requested] = objection.collect_events()
        assert isinstance(requested, Objection.LbtAdviceRequested)
        assert requested.in_time is False

    def test_advice_cannot_be_received_before_it_was_requested(self) -> None:
        with pytest.raises(LbtAdviceError, match="record the request first"):
            open_objection().record_lbt_advice(
                recommended_outcome=ObjectionOutcome.REJECTED,
                advice="x",
                received_on=date(2025, 5, 1),
                by=LOKET,
                at=AT,
            )

    def test_an_affiliated_swv_cannot_reject_without_lbt_advice(self) -> None:
        with pytest.raises(LbtAdviceError, match="ask its advice"):
            open_objection().decide(
                outcome=ObjectionOutcome.REJECTED,
                reasons="x",
                decided_on=date(2025, 5, 1),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
            )

    def test_an_affiliated_swv_that_fully_upholds_needs_no_lbt_advice(self) -> None:
        objection = open_objection()
        objection.decide(
            outcome=ObjectionOutcome.UPHELD,
            reasons="De ouders hebben gelijk.",
            decided_on=date(2025, 4, 10),
            policy=POLICY,
            by=DIRECTOR,
            at=AT,
            tlv_consequence=TlvConsequence.REVOKED,
        )
        [decided] = objection.collect_events()
        assert isinstance(decided, Objection.Decided)
        assert decided.follows_lbt_advice is None

    def test_a_decision_waits_for_requested_advice(self) -> None:
        objection = open_objection()
        objection.request_lbt_advice(requested_on=date(2025, 4, 2), by=LOKET, at=AT)
        with pytest.raises(LbtAdviceError, match="has not come in"):
            objection.decide(
                outcome=ObjectionOutcome.UPHELD,
                reasons="x",
                decided_on=date(2025, 5, 1),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
            )

    def test_an_unaffiliated_swv_may_decide_without_lbt_advice(self) -> None:
        objection = open_objection()
        objection.decide(
            outcome=ObjectionOutcome.REJECTED,
            reasons="Het besluit blijft.",
            decided_on=date(2025, 5, 1),
            policy=replace(POLICY, lbt_affiliated=False),
            by=DIRECTOR,
            at=AT,
        )
        assert objection.outcome is ObjectionOutcome.REJECTED


class TestDeciding:
    @pytest.fixture
    def advised(self) -> Objection:
        objection = open_objection()
        objection.request_lbt_advice(requested_on=date(2025, 4, 2), by=LOKET, at=AT)
        objection.record_lbt_advice(
            recommended_outcome=ObjectionOutcome.PARTLY_UPHELD,
            advice="Categorie is te laag.",
            received_on=date(2025, 5, 1),
            by=LOKET,
            at=AT,
        )
        objection.collect_events()
        return objection

    def test_partly_upheld_revises_the_tlv_terms(self, advised: Objection) -> None:
        advised.decide(
            outcome=ObjectionOutcome.PARTLY_UPHELD,
            reasons="Categorie wordt midden.",
            decided_on=date(2025, 5, 8),
            policy=POLICY,
            by=DIRECTOR,
            at=AT,
            tlv_consequence=TlvConsequence.REVISED,
            funding_category=FundingCategory.MEDIUM,
            valid_from=date(2025, 4, 1),
            valid_until=date(2027, 7, 31),
        )
        [decided] = advised.collect_events()
        assert isinstance(decided, Objection.Decided)
        assert (decided.outcome, decided.tlv_consequence, decided.funding_category) == (
            ObjectionOutcome.PARTLY_UPHELD,
            TlvConsequence.REVISED,
            FundingCategory.MEDIUM,
        )
        assert (decided.follows_lbt_advice, decided.policy_version) == (True, "OP-2024.1")

    def test_a_rejection_leaves_the_tlv_alone(self, advised: Objection) -> None:
        with pytest.raises(ObjectionDecisionError):
            advised.decide(
                outcome=ObjectionOutcome.REJECTED,
                reasons="x",
                decided_on=date(2025, 5, 8),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
                tlv_consequence=TlvConsequence.REVOKED,
            )

    def test_a_revision_keeps_to_the_category_rules(self, advised: Objection) -> None:
        with pytest.raises(ObjectionDecisionError, match="valid-from and valid-until"):
            advised.decide(
                outcome=ObjectionOutcome.UPHELD,
                reasons="x",
                decided_on=date(2025, 5, 8),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
                tlv_consequence=TlvConsequence.REVISED,
            )

    def test_an_objection_is_decided_once(self, advised: Objection) -> None:
        advised.decide(
            outcome=ObjectionOutcome.REJECTED,
            reasons="x",
            decided_on=date(2025, 5, 8),
            policy=POLICY,
            by=DIRECTOR,
            at=AT,
        )
        with pytest.raises(ObjectionClosedError, match="cannot change"):
            advised.decide(
                outcome=ObjectionOutcome.UPHELD,
                reasons="x",
                decided_on=date(2025, 5, 9),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
            )

    def test_upheld_against_a_refused_tlv_grants_one(self) -> None:
        objection = open_objection(refused_request(TlvType.SBO))
        objection.decide(
            outcome=ObjectionOutcome.UPHELD,
            reasons="SBO is passend.",
            decided_on=date(2025, 4, 10),
            policy=POLICY,
            by=DIRECTOR,
            at=AT,
            tlv_consequence=TlvConsequence.GRANTED,
            valid_from=date(2025, 5, 1),
            valid_until=date(2027, 7, 31),
        )
        [decided] = objection.collect_events()
        assert isinstance(decided, Objection.Decided)
        assert decided.tlv_consequence is TlvConsequence.GRANTED

    def test_a_refused_tlv_cannot_be_revoked(self) -> None:
        objection = open_objection(refused_request(TlvType.SBO))
        with pytest.raises(ObjectionDecisionError):
            objection.decide(
                outcome=ObjectionOutcome.UPHELD,
                reasons="x",
                decided_on=date(2025, 4, 10),
                policy=POLICY,
                by=DIRECTOR,
                at=AT,
                tlv_consequence=TlvConsequence.REVOKED,
            )
