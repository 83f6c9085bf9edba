from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from domain.deadlines import Channel, Timeliness
from domain.errors import (
    InvalidValueError,
    LbtAdviceError,
    ObjectionClosedError,
    ObjectionDecisionError,
    ObjectionLatenessError,
    RequestNotDecidedError,
)
from domain.objection import Objection, ObjectionOutcome, Objector, TlvConsequence
from domain.support_request import SupportRequest
from domain.swv import SwvPolicy
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
    request: SupportRequest,
    received_on: date = date(2025, 4, 1),
    excuse: str | None = None,
    *,
    channel: Channel = Channel.POST,
    posted_on: date | None = None,
) -> Objection:
    return Objection.lodge(
        objection_id=uuid4(),
        request=request,
        objector=Objector.PARENTS,
        grounds="Wij vinden SO niet passend.",
        received_on=received_on,
        by=LOKET,
        at=AT,
        channel=channel,
        posted_on=posted_on,
        lateness_excuse=excuse,
    )


def open_objection(request: SupportRequest | None = None) -> Objection:
    objection = lodge(request or granted_tlv_request())
    objection.collect_events()
    return objection


def rule_on_lateness(
    objection: Objection, *, excusable: bool, reasons: str = "r", on: date = date(2025, 5, 27)
) -> None:
    """The director rules whether the objection's lateness is excusable (Awb 6:11)."""
    objection.rule_on_lateness(
        excusable=excusable, reasons=reasons, decided_on=on, policy=POLICY, by=DIRECTOR, at=AT
    )


def decide(
    objection: Objection,
    outcome: ObjectionOutcome,
    *,
    on: date = date(2025, 5, 1),
    reasons: str = "x",
    policy: SwvPolicy = POLICY,
    consequence: TlvConsequence = TlvConsequence.NONE,
    funding_category: FundingCategory | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> None:
    """The director decides the objection."""
    objection.decide(
        outcome=outcome,
        reasons=reasons,
        decided_on=on,
        policy=policy,
        by=DIRECTOR,
        at=AT,
        tlv_consequence=consequence,
        funding_category=funding_category,
        valid_from=valid_from,
        valid_until=valid_until,
    )


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

    def test_a_late_objection_is_recorded_late_and_awaits_its_explanation(self) -> None:
        objection = lodge(granted_tlv_request(), received_on=date(2025, 5, 5))
        [lodged] = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert (lodged.in_time, lodged.timeliness) == (False, Timeliness.LATE)
        assert not objection.is_closed
        assert objection.awaits_lateness_ruling

    def test_posted_on_the_last_day_and_received_five_days_later_is_timely(self) -> None:
        objection = lodge(
            granted_tlv_request(), date(2025, 5, 7), channel=Channel.POST, posted_on=LAST_DAY
        )
        [lodged] = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert (lodged.timeliness, lodged.posted_on) == (Timeliness.POSTED_IN_TIME, LAST_DAY)
        assert not objection.awaits_lateness_ruling

    def test_only_a_letter_by_post_has_a_postmark(self) -> None:
        with pytest.raises(InvalidValueError, match="posted_on"):
            lodge(
                granted_tlv_request(), date(2025, 5, 7), channel=Channel.EMAIL, posted_on=LAST_DAY
            )

    def test_an_excuse_given_with_a_late_objection_is_its_explanation(self) -> None:
        objection = lodge(
            granted_tlv_request(), received_on=date(2025, 5, 5), excuse="Ziekenhuisopname."
        )
        lodged, explained = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert isinstance(explained, Objection.LatenessExplained)
        assert explained.explanation == "Ziekenhuisopname."
        assert objection.awaits_lateness_ruling

    def test_an_objection_before_notification_is_in_time(self) -> None:
        objection = lodge(granted_tlv_request(notified_on=None), received_on=date(2025, 3, 20))
        [lodged] = objection.collect_events()
        assert isinstance(lodged, Objection.Lodged)
        assert (lodged.in_time, lodged.term_ends_on) == (True, None)

    def test_there_is_nothing_to_object_to_before_a_decision(self) -> None:
        with pytest.raises(RequestNotDecidedError):
            lodge(complete())

    def test_nothing_can_happen_to_a_late_objection_before_the_ruling(self) -> None:
        objection = lodge(granted_tlv_request(), received_on=date(2025, 6, 1))
        with pytest.raises(ObjectionLatenessError, match="rule whether the lateness"):
            objection.request_lbt_advice(requested_on=date(2025, 6, 2), by=LOKET, at=AT)


def late_and_explained() -> Objection:
    objection = lodge(
        granted_tlv_request(), received_on=date(2025, 5, 20), excuse="Ziekenhuisopname."
    )
    objection.collect_events()
    return objection


class TestTheLatenessRuling:
    def test_waits_for_the_objectors_explanation(self) -> None:
        objection = lodge(granted_tlv_request(), received_on=date(2025, 5, 20))
        with pytest.raises(ObjectionLatenessError, match="Ask the objector why"):
            rule_on_lateness(objection, excusable=True)

    def test_excusable_lets_the_objection_go_on(self) -> None:
        objection = late_and_explained()
        rule_on_lateness(
            objection,
            excusable=True,
            reasons="Opgenomen in het ziekenhuis; niet verwijtbaar (Awb 6:11).",
        )
        [ruled] = objection.collect_events()
        assert isinstance(ruled, Objection.LatenessRuled)
        assert (ruled.excusable, ruled.decided_by, ruled.policy_version) == (
            True,
            DIRECTOR,
            POLICY.version,
        )
        objection.request_lbt_advice(requested_on=date(2025, 5, 28), by=LOKET, at=AT)
        assert objection.lbt_requested_on == date(2025, 5, 28)

    def test_inexcusable_declares_the_objection_inadmissible(self) -> None:
        objection = late_and_explained()
        rule_on_lateness(
            objection,
            excusable=False,
            reasons="Geen reden die de termijnoverschrijding verschoont.",
        )
        ruled, inadmissible = objection.collect_events()
        assert isinstance(ruled, Objection.LatenessRuled)
        assert isinstance(inadmissible, Objection.DeclaredInadmissible)
        assert "not excusable (Awb 6:11)" in inadmissible.reason
        with pytest.raises(ObjectionClosedError, match="inadmissible"):
            objection.request_lbt_advice(requested_on=date(2025, 6, 2), by=LOKET, at=AT)

    def test_a_timely_objection_has_no_lateness_to_rule_on(self) -> None:
        with pytest.raises(ObjectionLatenessError, match="came in time"):
            rule_on_lateness(open_objection(), excusable=True, on=date(2025, 5, 1))


class TestTheDecisionTerm:
    """Awb 7:10, counted from the day after the objection term ended on Friday 2 May 2025."""

    def test_is_six_weeks_without_an_advisory_committee(self) -> None:
        assert open_objection().decision_deadline == date(2025, 6, 13)

    def test_is_twelve_weeks_once_the_lbt_is_asked(self) -> None:
        objection = open_objection()
        objection.request_lbt_advice(requested_on=date(2025, 4, 10), by=LOKET, at=AT)
        assert objection.decision_deadline == date(2025, 7, 25)

    def test_is_postponed_once_by_six_weeks(self) -> None:
        objection = open_objection()
        objection.postpone_decision(
            reason="Hoorzitting verplaatst.", notified_on=date(2025, 6, 1), by=LOKET, at=AT
        )
        assert objection.decision_deadline == date(2025, 7, 25)
        with pytest.raises(ObjectionDecisionError, match="postponed once already"):
            objection.postpone_decision(reason="x", notified_on=date(2025, 7, 1), by=LOKET, at=AT)

    def test_runs_longer_only_with_consent(self) -> None:
        objection = open_objection()
        objection.agree_longer_term(
            agreed_until=date(2025, 9, 1), consented_on=date(2025, 6, 1), by=LOKET, at=AT
        )
        assert objection.decision_deadline == date(2025, 9, 1)

    def test_is_gone_once_decided(self) -> None:
        objection = open_objection(refused_request())
        decide(
            objection,
            ObjectionOutcome.UPHELD,
            reasons="r",
            policy=replace(POLICY, lbt_affiliated=False),
            consequence=TlvConsequence.GRANTED,
            funding_category=FundingCategory.LOW,
            valid_from=date(2025, 8, 1),
            valid_until=date(2027, 7, 31),
        )
        assert objection.decision_deadline is None


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
            decide(open_objection(), ObjectionOutcome.REJECTED)

    def test_an_affiliated_swv_that_fully_upholds_needs_no_lbt_advice(self) -> None:
        objection = open_objection()
        decide(
            objection,
            ObjectionOutcome.UPHELD,
            reasons="De ouders hebben gelijk.",
            on=date(2025, 4, 10),
            consequence=TlvConsequence.REVOKED,
        )
        [decided] = objection.collect_events()
        assert isinstance(decided, Objection.Decided)
        assert decided.follows_lbt_advice is None

    def test_a_decision_waits_for_requested_advice(self) -> None:
        objection = open_objection()
        objection.request_lbt_advice(requested_on=date(2025, 4, 2), by=LOKET, at=AT)
        with pytest.raises(LbtAdviceError, match="has not come in"):
            decide(objection, ObjectionOutcome.UPHELD)

    def test_an_unaffiliated_swv_may_decide_without_lbt_advice(self) -> None:
        objection = open_objection()
        decide(
            objection,
            ObjectionOutcome.REJECTED,
            reasons="Het besluit blijft.",
            policy=replace(POLICY, lbt_affiliated=False),
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
        decide(
            advised,
            ObjectionOutcome.PARTLY_UPHELD,
            reasons="Categorie wordt midden.",
            on=date(2025, 5, 8),
            consequence=TlvConsequence.REVISED,
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
            decide(
                advised,
                ObjectionOutcome.REJECTED,
                on=date(2025, 5, 8),
                consequence=TlvConsequence.REVOKED,
            )

    def test_a_revision_keeps_to_the_category_rules(self, advised: Objection) -> None:
        with pytest.raises(ObjectionDecisionError, match="valid-from and valid-until"):
            decide(
                advised,
                ObjectionOutcome.UPHELD,
                on=date(2025, 5, 8),
                consequence=TlvConsequence.REVISED,
            )

    def test_an_objection_is_decided_once(self, advised: Objection) -> None:
        decide(advised, ObjectionOutcome.REJECTED, on=date(2025, 5, 8))
        with pytest.raises(ObjectionClosedError, match="cannot change"):
            decide(advised, ObjectionOutcome.UPHELD, on=date(2025, 5, 9))

    def test_upheld_against_a_refused_tlv_grants_one(self) -> None:
        objection = open_objection(refused_request(TlvType.SBO))
        decide(
            objection,
            ObjectionOutcome.UPHELD,
            reasons="SBO is passend.",
            on=date(2025, 4, 10),
            consequence=TlvConsequence.GRANTED,
            valid_from=date(2025, 5, 1),
            valid_until=date(2027, 7, 31),
        )
        [decided] = objection.collect_events()
        assert isinstance(decided, Objection.Decided)
        assert decided.tlv_consequence is TlvConsequence.GRANTED

    def test_a_refused_tlv_cannot_be_revoked(self) -> None:
        objection = open_objection(refused_request(TlvType.SBO))
        with pytest.raises(ObjectionDecisionError):
            decide(
                objection,
                ObjectionOutcome.UPHELD,
                on=date(2025, 4, 10),
                consequence=TlvConsequence.REVOKED,
            )
