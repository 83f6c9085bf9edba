"""Builders for given/when/then tests on the aggregates: a configured SWV and a TLV case."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from domain.expert_advice import AdviceConclusion, ExpertAdvice, ExpertRole, Qualification
from domain.ids import TenantId
from domain.support_request import ParentView, SupportRequest
from domain.swv import AmountUnit, ArrangementType, School, SchoolType, Swv, SwvPolicy
from domain.tlv import FundingCategory, TlvType

AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
LOKET = "user:loket-1"
DIRECTOR = "user:director"
POLICY = SwvPolicy(version="OP-2024.1", effective_from=date(2024, 8, 1))
REGULAR = School("12AB", "00", "De Regenboog", "Stichting Primair", SchoolType.REGULAR, "GM0632")
SBO = School("34CD", "00", "De Brug", "Stichting Primair", SchoolType.SBO, "GM0632")
SO = School("56EF", "01", "De Kompas", "Stichting Speciaal", SchoolType.SO, "GM1904")
ADMISSIBLE = AdviceConclusion(admissible=True)
AMBULANT = ArrangementType("ambulante-begeleiding", "Ambulante begeleiding", AmountUnit.HOURS, 6)


def advice(
    role: ExpertRole = ExpertRole.FIRST,
    qualification: Qualification = Qualification.ORTHOPEDAGOOG,
    *,
    expert_id: UUID | None = None,
    independent: bool = True,
    text: str = "Toelaatbaar: de ondersteuningsbehoefte overstijgt het regulier onderwijs.",
    conclusion: AdviceConclusion | None = ADMISSIBLE,
    works_at_school: str | None = None,
) -> ExpertAdvice:
    return ExpertAdvice(
        role,
        expert_id or uuid4(),
        qualification,
        independent,
        date(2025, 3, 10),
        text,
        conclusion,
        works_at_school,
    )


def new_swv(code: str = "PO2604") -> Swv:
    """Passenderwijs just configured, its Configured event not yet collected."""
    return Swv.configure(
        code=TenantId(code),
        name="Passenderwijs",
        committee_name="TLC",
        policy=POLICY,
        by=LOKET,
        at=AT,
    )


def configured_swv() -> Swv:
    swv = new_swv()
    swv.add_municipality("GM0632", "Woerden", by=LOKET, at=AT)
    swv.add_municipality("GM1904", "Stichtse Vecht", by=LOKET, at=AT)
    for school in (REGULAR, SBO, SO):
        swv.add_school(school, by=LOKET, at=AT)
    swv.add_arrangement_type(AMBULANT, by=LOKET, at=AT)
    swv.collect_events()
    return swv


def submitted(requested: ArrangementType | TlvType = TlvType.SO) -> SupportRequest:
    request = SupportRequest.submit(
        request_id=uuid4(),
        pupil_id=uuid4(),
        school=REGULAR,
        requested=requested,
        question="Welke plek past bij deze leerling?",
        parent_view=ParentView.AGREE,
        received_on=date(2025, 3, 3),
        by="user:ib-1",
        at=AT,
    )
    request.collect_events()
    return request


def complete(
    requested: ArrangementType | TlvType = TlvType.SO, on: date = date(2025, 3, 3)
) -> SupportRequest:
    request = submitted(requested)
    request.check_completeness(missing=(), checked_on=on, by=LOKET, at=AT)
    request.collect_events()
    return request


def with_both_advices(tlv_type: TlvType = TlvType.SO) -> SupportRequest:
    request = complete(tlv_type)
    request.record_expert_advice(advice(), by=LOKET, at=AT)
    request.record_expert_advice(
        advice(ExpertRole.SECOND, Qualification.KINDERPSYCHIATER), by=LOKET, at=AT
    )
    request.collect_events()
    return request


@pytest.fixture
def swv() -> Swv:
    return configured_swv()


def granted_tlv_request(
    tlv_type: TlvType = TlvType.SO, *, notified_on: date | None = date(2025, 3, 21)
) -> SupportRequest:
    request = with_both_advices(tlv_type)
    request.grant(
        reasons="Toelaatbaar.",
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        tlv_id=uuid4(),
        funding_category=None if tlv_type is TlvType.SBO else FundingCategory.LOW,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )
    if notified_on is not None:
        request.notify_decision(notified_on=notified_on, by=LOKET, at=AT)
    request.collect_events()
    return request


def refused_request(requested: ArrangementType | TlvType = TlvType.SO) -> SupportRequest:
    request = (
        with_both_advices(requested) if isinstance(requested, TlvType) else complete(requested)
    )
    request.refuse(
        reasons="Niet toelaatbaar.",
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
    )
    request.notify_decision(notified_on=date(2025, 3, 21), by=LOKET, at=AT)
    request.collect_events()
    return request
