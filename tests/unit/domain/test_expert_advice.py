"""The two-expert rule: every way it can fail, at recording and at decision."""

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import ExpertAdviceError, ExpertAdviceMissingError, NotATlvApplicationError
from domain.expert_advice import AdviceConclusion, ExpertRole, Qualification
from domain.support_request import SupportRequest
from domain.tlv import FundingCategory, TlvType
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


@pytest.mark.parametrize(
    "qualification", [q for q in Qualification if q is not Qualification.PSYCHOLOOG]
)
def test_the_second_expert_may_have_any_listed_qualification(
    qualification: Qualification,
) -> None:
    request = complete()
    request.record_expert_advice(advice(ExpertRole.SECOND, qualification), by=LOKET, at=AT)
    assert ExpertRole.SECOND in request.expert_advices


def test_a_psycholoog_without_a_listed_specialism_is_no_second_expert() -> None:
    request = complete()
    with pytest.raises(ExpertAdviceError, match="second expert must be a kinder- of jeugd"):
        request.record_expert_advice(
            advice(ExpertRole.SECOND, Qualification.PSYCHOLOOG), by=LOKET, at=AT
        )


def test_the_applying_schools_own_staff_may_not_advise() -> None:
    request = complete()
    with pytest.raises(ExpertAdviceError, match="works at the school that applies"):
        request.record_expert_advice(advice(works_at_school=request.school_code), by=LOKET, at=AT)
    request.record_expert_advice(advice(works_at_school="34CD00"), by=LOKET, at=AT)
    assert request.expert_advices[ExpertRole.FIRST].works_at_school == "34CD00"


def test_an_advice_records_its_conclusion_beside_its_text() -> None:
    request = complete()
    conclusion = AdviceConclusion(
        admissible=True, tlv_type=TlvType.SO, funding_category=FundingCategory.MEDIUM
    )
    request.record_expert_advice(advice(conclusion=conclusion), by=LOKET, at=AT)
    [recorded] = request.collect_events()
    assert isinstance(recorded, SupportRequest.ExpertAdviceRecorded)
    assert (recorded.admissible, recorded.advised_tlv_type, recorded.advised_category) == (
        True,
        TlvType.SO,
        FundingCategory.MEDIUM,
    )


@pytest.mark.parametrize(
    ("conclusion", "message"),
    [
        (None, "records its conclusion"),
        (
            AdviceConclusion(admissible=False, tlv_type=TlvType.SO),
            "not admissible names no TLV type",
        ),
        (
            AdviceConclusion(
                admissible=True, tlv_type=TlvType.SBO, funding_category=FundingCategory.LOW
            ),
            "SBO names no funding",
        ),
    ],
)
def test_an_advice_without_a_sound_conclusion_is_refused(
    conclusion: AdviceConclusion | None, message: str
) -> None:
    request = complete()
    with pytest.raises(ExpertAdviceError, match=message):
        request.record_expert_advice(advice(conclusion=conclusion), by=LOKET, at=AT)


def test_an_advice_of_admissibility_names_the_type_applied_for_when_it_names_none() -> None:
    request = complete()
    request.record_expert_advice(advice(), by=LOKET, at=AT)
    conclusion = request.expert_advices[ExpertRole.FIRST].conclusion
    assert conclusion == AdviceConclusion(admissible=True, tlv_type=TlvType.SO)


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
            advice(ExpertRole.SECOND, Qualification.PEDAGOOG, expert_id=expert_id),
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


NOT_ADMISSIBLE = AdviceConclusion(admissible=False)


def disagreeing() -> SupportRequest:
    request = complete()
    request.record_expert_advice(advice(), by=LOKET, at=AT)
    request.record_expert_advice(
        advice(ExpertRole.SECOND, Qualification.ARTS, conclusion=NOT_ADMISSIBLE), by=LOKET, at=AT
    )
    return request


class TestAThirdAdvice:
    def test_is_needed_before_deciding_when_the_two_conclusions_differ(self) -> None:
        request = disagreeing()
        with pytest.raises(ExpertAdviceMissingError, match="third expert's advice is missing"):
            grant(request)

    def test_lets_the_decision_be_taken(self) -> None:
        request = disagreeing()
        request.record_expert_advice(
            advice(ExpertRole.THIRD, Qualification.PSYCHOLOOG), by=LOKET, at=AT
        )
        grant(request)
        assert request.outcome is not None

    def test_is_not_taken_when_the_two_agree(self) -> None:
        request = complete()
        request.record_expert_advice(advice(), by=LOKET, at=AT)
        request.record_expert_advice(advice(ExpertRole.SECOND, Qualification.ARTS), by=LOKET, at=AT)
        with pytest.raises(ExpertAdviceError, match="only when the first two conclude"):
            request.record_expert_advice(advice(ExpertRole.THIRD), by=LOKET, at=AT)

    def test_comes_from_a_third_person(self) -> None:
        request = disagreeing()
        first = request.expert_advices[ExpertRole.FIRST].expert_id
        with pytest.raises(ExpertAdviceError, match="two different persons"):
            request.record_expert_advice(advice(ExpertRole.THIRD, expert_id=first), by=LOKET, at=AT)

    def test_a_category_only_one_expert_names_is_no_disagreement(self) -> None:
        request = complete()
        request.record_expert_advice(advice(), by=LOKET, at=AT)
        named = AdviceConclusion(
            admissible=True, tlv_type=TlvType.SO, funding_category=FundingCategory.HIGH
        )
        request.record_expert_advice(
            advice(ExpertRole.SECOND, Qualification.ARTS, conclusion=named), by=LOKET, at=AT
        )
        grant(request)
        assert request.outcome is not None
