"""The two-expert rule: every way it can fail, at recording and at decision."""

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import ExpertAdviceError, ExpertAdviceMissingError, NotATlvApplicationError
from domain.expert_advice import ExpertRole, Qualification
from domain.support_request import SupportRequest
from domain.tlv import FundingCategory
from tests.unit.domain.conftest import AMBULANT, AT, LOKET, POLICY, advice, complete

DECIDED_ON = date(2025, 3, 20)


def grant(request: SupportRequest) -> None:
    request.grant(
        reasons="Toelaatbaar.",
        decided_on=DECIDED_ON,
        policy=POLICY,
        by="user:director",
        at=AT,
        tlv_id=uuid4(),
        funding_category=FundingCategory.LOW,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )


def test_recording_an_advice_records_role_qualification_and_independence() -> None:
    request = complete()
    expert_id = uuid4()
    request.record_expert_advice(advice(expert_id=expert_id), by=LOKET, at=AT)
    [recorded] = request.collect_events()
    assert isinstance(recorded, SupportRequest.ExpertAdviceRecorded)
    assert (recorded.role, recorded.expert_id, recorded.qualification) == (
        ExpertRole.FIRST,
        expert_id,
        Qualification.ORTHOPEDAGOOG,
    )
    assert recorded.independence_declared is True
    assert recorded.pupil_id == request.pupil_id
    assert recorded.advice.startswith("Toelaatbaar")


@pytest.mark.parametrize("qualification", [Qualification.ORTHOPEDAGOOG, Qualification.PSYCHOLOOG])
def test_the_first_expert_may_be_an_orthopedagoog_or_psycholoog(
    qualification: Qualification,
) -> None:
    request = complete()
    request.record_expert_advice(advice(qualification=qualification), by=LOKET, at=AT)
    assert ExpertRole.FIRST in request.expert_advices


@pytest.mark.parametrize(
    "qualification",
    [q for q in Qualification if q not in {Qualification.ORTHOPEDAGOOG, Qualification.PSYCHOLOOG}],
)
def test_the_first_expert_may_not_have_another_qualification(
    qualification: Qualification,
) -> None:
    request = complete()
    with pytest.raises(ExpertAdviceError, match="first expert must be an orthopedagoog"):
        request.record_expert_advice(advice(qualification=qualification), by=LOKET, at=AT)


@pytest.mark.parametrize("qualification", list(Qualification))
def test_the_second_expert_may_have_any_listed_qualification(
    qualification: Qualification,
) -> None:
    request = complete()
    request.record_expert_advice(advice(ExpertRole.SECOND, qualification), by=LOKET, at=AT)
    assert ExpertRole.SECOND in request.expert_advices


def test_an_expert_who_did_not_declare_independence_is_refused() -> None:
    request = complete()
    with pytest.raises(ExpertAdviceError, match="independence"):
        request.record_expert_advice(advice(independent=False), by=LOKET, at=AT)


def test_an_advice_without_written_text_is_refused() -> None:
    request = complete()
    with pytest.raises(ExpertAdviceError, match="must be written"):
        request.record_expert_advice(advice(text="  "), by=LOKET, at=AT)


def test_the_same_person_cannot_give_both_advices() -> None:
    request = complete()
    expert_id = uuid4()
    request.record_expert_advice(advice(expert_id=expert_id), by=LOKET, at=AT)
    with pytest.raises(ExpertAdviceError, match="two different persons"):
        request.record_expert_advice(
            advice(ExpertRole.SECOND, Qualification.PSYCHOLOOG, expert_id=expert_id),
            by=LOKET,
            at=AT,
        )


def test_a_role_gives_one_advice() -> None:
    request = complete()
    request.record_expert_advice(advice(), by=LOKET, at=AT)
    with pytest.raises(ExpertAdviceError, match="already recorded"):
        request.record_expert_advice(advice(), by=LOKET, at=AT)


def test_an_arrangement_request_takes_no_expert_advice() -> None:
    request = complete(AMBULANT)
    with pytest.raises(NotATlvApplicationError):
        request.record_expert_advice(advice(), by=LOKET, at=AT)


class TestDecidingATlv:
    def test_without_any_advice_is_refused(self) -> None:
        request = complete()
        with pytest.raises(ExpertAdviceMissingError, match="first and second expert's advice"):
            grant(request)

    def test_without_the_second_advice_is_refused(self) -> None:
        request = complete()
        request.record_expert_advice(advice(), by=LOKET, at=AT)
        with pytest.raises(ExpertAdviceMissingError, match="second expert's advice is missing"):
            grant(request)

    def test_without_the_first_advice_is_refused(self) -> None:
        request = complete()
        request.record_expert_advice(advice(ExpertRole.SECOND, Qualification.ARTS), by=LOKET, at=AT)
        with pytest.raises(ExpertAdviceMissingError, match="first expert's advice is missing"):
            grant(request)

    def test_a_refusal_also_needs_both_advices(self) -> None:
        request = complete()
        with pytest.raises(ExpertAdviceMissingError):
            request.refuse(
                reasons="Niet toelaatbaar.", decided_on=DECIDED_ON, policy=POLICY, by="u", at=AT
            )

    def test_with_two_valid_advices_is_granted(self) -> None:
        request = complete()
        request.record_expert_advice(advice(), by=LOKET, at=AT)
        request.record_expert_advice(advice(ExpertRole.SECOND, Qualification.ARTS), by=LOKET, at=AT)
        request.collect_events()
        grant(request)
        [granted] = request.collect_events()
        assert isinstance(granted, SupportRequest.Granted)
