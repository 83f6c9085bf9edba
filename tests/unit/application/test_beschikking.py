"""The beschikking says what was decided, why, and how to object (Awb 3:45, 3:46)."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from application.beschikking import beschikking_of, lange_datum, render_html, render_pdf
from domain.errors import RequestNotDecidedError
from domain.support_request import SupportRequest
from domain.swv import Swv, SwvPolicy
from domain.tlv import FundingCategory
from tests.unit.domain.conftest import (
    AT,
    DIRECTOR,
    LOKET,
    POLICY,
    complete,
    configured_swv,
    with_both_advices,
)


def granted(sent_on: date | None) -> SupportRequest:
    request = with_both_advices()
    request.grant(
        reasons="Beide deskundigen adviseren het SO.",
        decided_on=date(2025, 3, 20),
        policy=POLICY,
        by=DIRECTOR,
        at=AT,
        tlv_id=uuid4(),
        funding_category=FundingCategory.MEDIUM,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )
    if sent_on is not None:
        request.notify_decision(notified_on=sent_on, by=LOKET, at=AT)
    return request


def test_a_sent_decision_names_the_last_day_to_object() -> None:
    # domain.md §1.12: sent Monday 23 February 2026, the term ends after Easter Monday.
    letter = render_html(beschikking_of(granted(date(2026, 2, 23)), configured_swv()))
    assert "eindigt op 7 april 2026" in letter
    assert "bezwaar maken bij het bestuur van Passenderwijs" in letter
    assert "artikel 6:5 Awb" in letter
    assert "artikel 6:9 Awb" in letter


def test_the_letter_states_decision_terms_and_reasons() -> None:
    letter = render_html(beschikking_of(granted(None), configured_swv(), pupil_name="Sam"))
    assert "kent de aanvraag voor een toelaatbaarheidsverklaring speciaal onderwijs" in letter
    assert "Bekostigingscategorie: midden (categorie 2)." in letter
    assert "Geldig van 1 april 2025 tot en met 31 juli 2027." in letter
    assert "Beide deskundigen adviseren het SO." in letter
    assert "zes weken na de dag waarop dit besluit is verzonden" in letter
    assert "Sam" in letter


def names_the_lbt(request: SupportRequest, swv: Swv) -> bool:
    return any("LBT" in line for line in beschikking_of(request, swv).objection_notice)


def test_the_lbt_is_named_only_for_an_affiliated_swv() -> None:
    swv = configured_swv()
    affiliated = names_the_lbt(granted(None), swv)
    unaffiliated = replace(POLICY, version="OP-2025.1", lbt_affiliated=False)
    swv.adopt_policy(unaffiliated, by=DIRECTOR, at=AT)

    assert affiliated
    assert not names_the_lbt(granted(None), swv)


def test_the_lbt_is_named_as_the_policy_in_force_on_the_decisions_date_says() -> None:
    swv = configured_swv()
    later = SwvPolicy(version="OP-2025.2", effective_from=date(2025, 8, 1), lbt_affiliated=False)
    swv.adopt_policy(later, by=DIRECTOR, at=AT)
    request = granted(None)

    assert names_the_lbt(request, swv)  # decided on 20 March 2025, under OP-2024.1
    assert beschikking_of(request, swv).policy_version == "OP-2024.1"


def test_the_text_is_escaped_in_html() -> None:
    request = granted(None)
    request.reasons = "<script>alert(1)</script>"
    assert "<script>" not in render_html(beschikking_of(request, configured_swv()))


def test_the_pdf_is_the_same_for_the_same_decision() -> None:
    beschikking = beschikking_of(granted(date(2026, 2, 23)), configured_swv())
    pdf = render_pdf(beschikking)
    assert pdf.startswith(b"%PDF")
    assert render_pdf(beschikking) == pdf


def test_there_is_no_beschikking_before_a_decision() -> None:
    with pytest.raises(RequestNotDecidedError):
        beschikking_of(complete(), configured_swv())


@pytest.mark.parametrize(
    ("day", "written"),
    [(date(2026, 4, 7), "7 april 2026"), (date(2025, 12, 31), "31 december 2025")],
)
def test_dates_are_written_as_a_dutch_letter_writes_them(day: date, written: str) -> None:
    assert lange_datum(day) == written
