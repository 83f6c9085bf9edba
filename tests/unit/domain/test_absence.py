"""Thuiszitters: the leerplicht report, long-term absence and the Thuiszitterspact signal."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.absence import (
    AbsenceCase,
    AbsenceCaseClosedError,
    AbsenceEnd,
    AbsenceKind,
    AbsenceSignal,
    Holiday,
    Reporter,
    leerplicht_report_due,
    long_term_absence_from,
    school_weeks_from,
    thuiszitterspact_signal_on,
)
from domain.errors import InvalidValueError, PeriodError

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCHOOL = "user:ib-1"
SPRING_BREAK = Holiday(date(2026, 2, 14), date(2026, 2, 22))  # regio midden
MAY_BREAK = Holiday(date(2026, 4, 25), date(2026, 5, 3))
KONINGSDAG = date(2026, 4, 27)


def case(school_code: str | None = "12AB00", *, completely_absent: bool = True) -> AbsenceCase:
    return AbsenceCase.report(
        case_id=uuid4(),
        pupil_id=uuid4(),
        school_code=school_code,
        absent_since=date(2026, 3, 2),
        completely_absent=completely_absent,
        reporter=Reporter.SCHOOL,
        reported_on=date(2026, 3, 2),
        by=SCHOOL,
        at=AT,
    )


def test_a_pupil_enrolled_at_a_school_is_relatief_absent_and_one_enrolled_nowhere_absoluut() -> (
    None
):
    assert case("12AB00").kind is AbsenceKind.RELATIEF
    assert case(None).kind is AbsenceKind.ABSOLUUT
    assert case(None, completely_absent=False).completely_absent


def test_school_weeks_leave_out_holiday_weeks() -> None:
    weeks = school_weeks_from(date(2026, 2, 9), [SPRING_BREAK])

    assert [next(weeks) for _ in range(3)] == [
        date(2026, 2, 9),
        date(2026, 2, 23),
        date(2026, 3, 2),
    ]


def test_sixteen_hours_within_four_school_weeks_are_due_at_duo_the_next_working_day() -> None:
    hours = {date(2026, 3, 2): 6, date(2026, 3, 9): 4, date(2026, 3, 16): 6}

    assert leerplicht_report_due(hours, []) == date(2026, 3, 23)


def test_hours_spread_over_more_than_four_school_weeks_need_no_report() -> None:
    hours = {date(2026, 3, 2): 6, date(2026, 3, 9): 4, date(2026, 3, 30): 6}

    assert leerplicht_report_due(hours, []) is None


def test_a_holiday_week_is_not_one_of_the_four_school_weeks() -> None:
    hours = {date(2026, 2, 2): 6, date(2026, 2, 9): 4, date(2026, 3, 2): 6}

    assert leerplicht_report_due(hours, []) is None
    assert leerplicht_report_due(hours, [SPRING_BREAK]) == date(2026, 3, 9)


def test_the_report_moves_past_a_public_holiday() -> None:
    hours = {date(2026, 4, 20): 16}

    assert leerplicht_report_due(hours, [], [date(2026, 4, 27)]) == date(2026, 4, 28)


def test_four_school_weeks_completely_absent_make_it_langdurig() -> None:
    assert long_term_absence_from(date(2026, 3, 2), []) == date(2026, 3, 30)
    assert long_term_absence_from(date(2026, 4, 15), [MAY_BREAK]) == date(2026, 5, 20)


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_long_term_absence_takes_at_least_four_weeks(absent_since: date) -> None:
    assert (long_term_absence_from(absent_since, [MAY_BREAK]) - absent_since).days >= 26


def test_the_thuiszitterspact_signal_counts_the_tenants_months() -> None:
    assert thuiszitterspact_signal_on(date(2026, 3, 2), 3) == date(2026, 6, 2)


def test_an_open_case_gives_each_signal_until_it_is_dealt_with() -> None:
    absence = case()
    absence.report_hours(week=date(2026, 3, 2), unauthorised_hours=20, by=SCHOOL, at=AT)

    signals = absence.signals(holidays=[], pact_months=3, public_holidays=[KONINGSDAG])

    assert signals == {
        AbsenceSignal.LEERPLICHT_REPORT: date(2026, 3, 9),
        AbsenceSignal.LONG_TERM_ABSENCE: date(2026, 3, 30),
        AbsenceSignal.THUISZITTERSPACT: date(2026, 6, 2),
    }
    absence.record_report_to_duo(reported_on=date(2026, 3, 9), by=SCHOOL, at=AT)
    absence.record_plan(
        plan="Twee ochtenden per week op school, met begeleiding.",
        agreed_on=date(2026, 3, 10),
        review_on=date(2026, 4, 7),
        offer_made=True,
        by=SCHOOL,
        at=AT,
    )
    assert set(absence.signals(holidays=[], pact_months=3)) == {AbsenceSignal.LONG_TERM_ABSENCE}


def test_a_closed_case_gives_no_signal_and_takes_no_more_reports() -> None:
    absence = case()
    absence.close(ended_on=date(2026, 3, 20), end=AbsenceEnd.RETURNED_TO_SCHOOL, by=SCHOOL, at=AT)

    assert absence.signals(holidays=[], pact_months=3) == {}
    with pytest.raises(AbsenceCaseClosedError):
        absence.report_hours(week=date(2026, 3, 23), unauthorised_hours=4, by=SCHOOL, at=AT)


def test_impossible_reports_are_refused() -> None:
    absence = case()
    with pytest.raises(InvalidValueError, match="Monday"):
        absence.report_hours(week=date(2026, 3, 3), unauthorised_hours=4, by=SCHOOL, at=AT)
    with pytest.raises(InvalidValueError, match="hours"):
        absence.report_hours(week=date(2026, 3, 2), unauthorised_hours=200, by=SCHOOL, at=AT)
    with pytest.raises(PeriodError):
        absence.close(ended_on=date(2026, 3, 1), end=AbsenceEnd.EXEMPTED, by=SCHOOL, at=AT)
    with pytest.raises(PeriodError):
        Holiday(date(2026, 5, 3), date(2026, 4, 25))


def test_an_absence_case_rebuilds_from_its_events() -> None:
    absence = case()
    absence.report_hours(week=date(2026, 3, 2), unauthorised_hours=20, by=SCHOOL, at=AT)
    absence.record_report_to_duo(reported_on=date(2026, 3, 9), by=SCHOOL, at=AT)
    absence.record_plan(
        plan="p",
        agreed_on=date(2026, 3, 10),
        review_on=date(2026, 4, 7),
        offer_made=False,
        by=SCHOOL,
        at=AT,
    )
    absence.close(ended_on=date(2026, 4, 1), end=AbsenceEnd.ENROLLED_ELSEWHERE, by=SCHOOL, at=AT)
    rebuilt = None
    for event in absence.collect_events():
        rebuilt = event.mutate(rebuilt)

    assert rebuilt == absence
