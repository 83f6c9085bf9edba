"""Transitions between partnerships: a consented handover, its answer, and outflow."""

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError
from domain.tlv import FundingCategory, TlvType
from domain.transition import (
    ConsentChannel,
    HandedArrangement,
    HandedTlv,
    Handover,
    HandoverContent,
    HandoverError,
    HandoverState,
    IncomingHandover,
    Outflow,
    OutflowDestination,
)

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
LOKET = "user:loket-1"
CONTENT = HandoverContent(
    name="Sam de Vries",
    date_of_birth=date(2014, 5, 12),
    municipality_code="GM0632",
    support_question="Welke ondersteuning heeft Sam nodig in de brugklas?",
    tlvs=(HandedTlv(TlvType.SO, FundingCategory.LOW, date(2026, 7, 31)),),
    arrangements=(HandedArrangement("ambulante-begeleiding", date(2026, 7, 31)),),
)


def prepared(receiving_swv: str = "VO2604") -> Handover:
    return Handover.prepare(
        handover_id=uuid4(),
        pupil_id=uuid4(),
        sending_swv="PO2604",
        receiving_swv=receiving_swv,
        consent_given_on=date(2026, 4, 20),
        consent_channel=ConsentChannel.WRITTEN,
        content=CONTENT,
        by=LOKET,
        at=AT,
    )


def received(handover: Handover) -> IncomingHandover:
    return IncomingHandover.receive(
        incoming_id=uuid4(),
        pupil_id=uuid4(),
        sending_swv=handover.sending_swv,
        handover_id=handover.id,
        consent_given_on=handover.consent_given_on,
        content=handover.content,
        by="platform",
        at=AT,
    )


def test_a_handover_goes_to_another_partnership_only() -> None:
    with pytest.raises(InvalidValueError, match="another partnership"):
        prepared("PO2604")
    with pytest.raises(InvalidValueError, match="SWV code"):
        prepared("VO26")


def test_a_handover_names_the_pupils_municipality_by_its_cbs_code() -> None:
    with pytest.raises(InvalidValueError, match="CBS municipality code"):
        Handover.prepare(
            handover_id=uuid4(),
            pupil_id=uuid4(),
            sending_swv="PO2604",
            receiving_swv="VO2604",
            consent_given_on=date(2026, 4, 20),
            consent_channel=ConsentChannel.WRITTEN,
            content=replace(CONTENT, municipality_code="Woerden"),
            by=LOKET,
            at=AT,
        )


def test_the_receiver_gets_exactly_the_prepared_content() -> None:
    handover = prepared()
    incoming = received(handover)

    assert incoming.content == CONTENT
    assert incoming.handover_id == handover.id


def test_an_answer_comes_back_once_to_a_delivered_handover() -> None:
    handover = prepared()
    with pytest.raises(HandoverError):
        handover.record_answer(
            accepted=True, answered_on=date(2026, 5, 6), reason="", by=LOKET, at=AT
        )
    handover.mark_delivered(by="platform", at=AT)
    incoming = received(handover)
    incoming.decline(
        declined_on=date(2026, 5, 6), reason="Woont in een andere regio.", by=LOKET, at=AT
    )
    with pytest.raises(HandoverError):
        incoming.accept(accepted_on=date(2026, 5, 7), by=LOKET, at=AT)
    handover.record_answer(
        accepted=False,
        answered_on=date(2026, 5, 6),
        reason="Woont in een andere regio.",
        by=LOKET,
        at=AT,
    )

    assert handover.state is HandoverState.DECLINED


def test_a_handover_to_a_partnership_off_the_platform_is_exported_once() -> None:
    handover = prepared()
    handover.mark_exported(package_digest="sha256:00", by=LOKET, at=AT)

    assert handover.state is HandoverState.EXPORTED
    with pytest.raises(HandoverError):
        handover.mark_delivered(by="platform", at=AT)


def test_transitions_rebuild_from_their_events() -> None:
    handover = prepared()
    handover.mark_delivered(by="platform", at=AT)
    incoming = received(handover)
    incoming.accept(accepted_on=date(2026, 5, 6), by=LOKET, at=AT)
    handover.record_answer(accepted=True, answered_on=date(2026, 5, 6), reason="", by=LOKET, at=AT)
    outflow = Outflow.record(
        outflow_id=uuid4(),
        pupil_id=uuid4(),
        destination=OutflowDestination.VERVOLGONDERWIJS,
        left_on=date(2026, 7, 31),
        by=LOKET,
        at=AT,
    )
    for aggregate in (handover, incoming, outflow):
        rebuilt = None
        for event in aggregate.collect_events():
            rebuilt = event.mutate(rebuilt)
        assert rebuilt == aggregate
