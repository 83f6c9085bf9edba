from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import deadlines
from domain.atw import feestdagen, is_working_day, next_working_day
from domain.deadlines import Channel, Pause, PauseCount, Timeliness
from domain.errors import InvalidValueError


def _easter_sunday(year: int) -> date:
    """Gregorian Easter by the Meeus/Jones/Butcher algorithm, independent of the package."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday) // 433
    month = (h + weekday - 7 * m + 90) // 25
    return date(year, month, (h + weekday - 7 * m + 33 * month + 19) % 32)


def _kings_day(year: int) -> date:
    """The day the King's (until 2013 the Queen's) birthday is celebrated: a Sunday moves back."""
    birthday = date(year, 4, 27) if year >= 2014 else date(year, 4, 30)
    return birthday - timedelta(days=1) if birthday.weekday() == 6 else birthday


def _atw_article_3(year: int) -> set[date]:
    """The list of Atw art. 3 lid 1 and 2, written out from the statute's text."""
    easter = _easter_sunday(year)
    return {
        date(year, 1, 1),  # de Nieuwjaarsdag
        easter - timedelta(days=2),  # Goede Vrijdag (lid 2)
        easter + timedelta(days=1),  # de Christelijke tweede Paasdag
        easter + timedelta(days=39),  # de Hemelvaartsdag
        easter + timedelta(days=50),  # de Christelijke tweede Pinksterdag
        _kings_day(year),  # de dag waarop de verjaardag van de Koning wordt gevierd
        date(year, 5, 5),  # de vijfde mei
        date(year, 12, 25),  # de beide Kerstdagen
        date(year, 12, 26),
    }


@pytest.mark.parametrize("year", range(2000, 2041))
def test_the_calendar_agrees_day_by_day_with_atw_article_3(year: int) -> None:
    listed = _atw_article_3(year)
    day = date(year, 1, 1)
    while day.year == year:
        expected = day.weekday() < 5 and day not in listed
        assert is_working_day(day) is expected, day
        day += timedelta(days=1)
    # Easter and Whit Sunday are Sundays: the calendar need not list them, but may.
    assert feestdagen(year) - listed <= {_easter_sunday(year), _easter_sunday(year) + timedelta(49)}


def test_a_day_the_crown_designated_is_no_working_day_either() -> None:
    friday_after_ascension = date(2026, 5, 15)
    assert is_working_day(friday_after_ascension)
    assert not is_working_day(friday_after_ascension, designated={friday_after_ascension})
    assert next_working_day(date(2026, 5, 14), {friday_after_ascension}) == date(2026, 5, 18)


@pytest.mark.parametrize(
    ("received_on", "pauses", "count", "last_day"),
    [
        # domain.md §1.12: day 56 is Koningsdag, Monday 27 April, so Tuesday 28 April.
        (date(2026, 3, 2), (), PauseCount.COMPLETION_DAY_RUNS, date(2026, 4, 28)),
        # Ending on Saturday 2 May 2026 runs on past the weekend; 5 May is a feestdag every year.
        (date(2026, 3, 7), (), PauseCount.COMPLETION_DAY_RUNS, date(2026, 5, 4)),
        (date(2026, 3, 10), (), PauseCount.COMPLETION_DAY_RUNS, date(2026, 5, 6)),
        # Invited Mon 9 March, completed Mon 16 March: paused from the 10th, runs again on the
        # 16th (6 days), or on the 17th when the completion day pauses too (7 days).
        (
            date(2026, 3, 2),
            (Pause(date(2026, 3, 9), date(2026, 3, 23), date(2026, 3, 16)),),
            PauseCount.COMPLETION_DAY_RUNS,
            date(2026, 5, 4),
        ),
        (
            date(2026, 3, 2),
            (
                Pause(
                    date(2026, 3, 9),
                    date(2026, 3, 23),
                    date(2026, 3, 16),
                    PauseCount.COMPLETION_DAY_PAUSED,
                ),
            ),
            PauseCount.COMPLETION_DAY_PAUSED,
            date(2026, 5, 4),
        ),
        # Never completed: paused until the completion term of 23 March passed (14 days).
        (
            date(2026, 3, 2),
            (Pause(date(2026, 3, 9), date(2026, 3, 23)),),
            PauseCount.COMPLETION_DAY_RUNS,
            date(2026, 5, 11),
        ),
        # Completed after the completion term: the pause ended when that term passed.
        (
            date(2026, 3, 2),
            (Pause(date(2026, 3, 9), date(2026, 3, 23), date(2026, 4, 20)),),
            PauseCount.COMPLETION_DAY_RUNS,
            date(2026, 5, 11),
        ),
    ],
)
def test_the_decision_term_runs_from_receipt_with_its_pauses(
    received_on: date, pauses: tuple[Pause, ...], count: PauseCount, last_day: date
) -> None:
    assert all(pause.count is count for pause in pauses)
    assert deadlines.decision_deadline(received_on, pauses=pauses) == last_day


def test_the_completion_day_setting_decides_one_day_of_pause() -> None:
    pause = Pause(date(2026, 3, 9), date(2026, 3, 23), date(2026, 3, 16))
    assert pause.days() == 6
    assert replace(pause, count=PauseCount.COMPLETION_DAY_PAUSED).days() == 7


def test_an_invitation_without_a_completion_term_stops_the_term_until_completion() -> None:
    open_ended = Pause(date(2026, 3, 9), None)
    assert deadlines.decision_deadline(date(2026, 3, 2), pauses=[open_ended]) is None
    completed = Pause(date(2026, 3, 9), None, date(2026, 3, 19))
    assert deadlines.decision_deadline(date(2026, 3, 2), pauses=[completed]) == date(2026, 5, 6)


def test_a_notice_under_4_14_names_the_new_last_day() -> None:
    assert deadlines.decision_deadline(date(2026, 3, 2), extended_to=date(2026, 6, 12)) == date(
        2026, 6, 12
    )


@pytest.mark.parametrize(
    ("sent_on", "last_day"),
    [
        # domain.md §1.12: 42 days after Monday 23 February is Easter Monday 6 April.
        (date(2026, 2, 23), date(2026, 4, 7)),
        (date(2026, 3, 4), date(2026, 4, 15)),
        # Ending on Sunday 19 April runs on to Monday.
        (date(2026, 3, 8), date(2026, 4, 20)),
        # Ending on Thursday 14 May, Ascension Day, runs on to Friday 15 May.
        (date(2026, 4, 2), date(2026, 5, 15)),
        # Ending on Friday 25 December 2026 runs on past Christmas and the weekend.
        (date(2026, 11, 13), date(2026, 12, 28)),
    ],
)
def test_the_objection_term_ends_six_weeks_after_sending(sent_on: date, last_day: date) -> None:
    assert deadlines.objection_deadline(sent_on) == last_day


LAST_DAY = date(2026, 4, 7)


@pytest.mark.parametrize(
    ("received_on", "channel", "posted_on", "timeliness"),
    [
        (date(2026, 4, 7), Channel.EMAIL, None, Timeliness.IN_TIME),
        (date(2026, 3, 1), Channel.HAND, None, Timeliness.IN_TIME),
        # Posted on the last day, received 5 days later: timely (Awb 6:9 lid 2).
        (date(2026, 4, 12), Channel.POST, date(2026, 4, 7), Timeliness.POSTED_IN_TIME),
        (date(2026, 4, 14), Channel.POST, date(2026, 4, 7), Timeliness.POSTED_IN_TIME),
        (date(2026, 4, 15), Channel.POST, date(2026, 4, 7), Timeliness.LATE),
        (date(2026, 4, 10), Channel.POST, date(2026, 4, 8), Timeliness.LATE),
        (date(2026, 4, 10), Channel.POST, None, Timeliness.LATE),
        # E-mail must arrive within the term.
        (date(2026, 4, 8), Channel.EMAIL, date(2026, 4, 7), Timeliness.LATE),
    ],
)
def test_an_objection_is_timely_per_awb_6_9(
    received_on: date, channel: Channel, posted_on: date | None, timeliness: Timeliness
) -> None:
    assert (
        deadlines.objection_timeliness(
            LAST_DAY, received_on=received_on, channel=channel, posted_on=posted_on
        )
        is timeliness
    )


def test_an_objection_before_the_decision_was_sent_is_timely() -> None:
    assert deadlines.objection_timeliness(
        None, received_on=date(2026, 2, 1), channel=Channel.EMAIL
    ).is_timely


@pytest.mark.parametrize(
    ("with_committee", "postponed", "agreed_until", "last_day"),
    [
        # From the day after 7 April: 6 weeks is Tuesday 19 May.
        (False, False, None, date(2026, 5, 19)),
        # 12 weeks with the LBT is Tuesday 30 June.
        (True, False, None, date(2026, 6, 30)),
        # Postponed by 6 weeks: 18 weeks, Tuesday 11 August; no Atw shift over 12 weeks.
        (True, True, None, date(2026, 8, 11)),
        (False, True, None, date(2026, 6, 30)),
        (True, True, date(2026, 9, 1), date(2026, 9, 1)),
    ],
)
def test_the_objection_decision_term_follows_awb_7_10(
    with_committee: bool, postponed: bool, agreed_until: date | None, last_day: date
) -> None:
    assert (
        deadlines.objection_decision_deadline(
            LAST_DAY, with_committee=with_committee, postponed=postponed, agreed_until=agreed_until
        )
        == last_day
    )


def test_the_objection_decision_term_ending_on_a_feestdag_runs_on() -> None:
    # Term ended Thursday 2 April 2026; 6 weeks later is Ascension Day, 14 May.
    assert deadlines.objection_decision_deadline(date(2026, 4, 2), with_committee=False) == date(
        2026, 5, 15
    )


class TestZorgplicht:
    def test_the_school_decides_within_six_weeks_of_written_registration(self) -> None:
        assert deadlines.zorgplicht_deadline(date(2025, 3, 3)) == date(2025, 4, 14)

    def test_ten_weeks_after_the_one_extension(self) -> None:
        assert deadlines.zorgplicht_deadline(date(2025, 3, 3), extended=True) == date(2025, 5, 12)

    def test_a_term_ending_on_whit_monday_runs_on(self) -> None:
        assert deadlines.zorgplicht_deadline(date(2026, 4, 13)) == date(2026, 5, 26)

    def test_without_a_decision_after_ten_weeks_the_pupil_is_enrolled_the_next_day(
        self,
    ) -> None:
        assert deadlines.temporary_enrolment_on(date(2025, 3, 3)) == date(2025, 5, 13)


def test_the_lbt_must_be_asked_within_two_weeks_of_receipt() -> None:
    assert deadlines.lbt_request_deadline(date(2025, 5, 1)) == date(2025, 5, 15)


class TestTlvRedemptionDeadline:
    def test_is_one_year_after_issue(self) -> None:
        assert deadlines.tlv_redemption_deadline(date(2025, 3, 14)) == date(2026, 3, 14)

    def test_from_a_leap_day_ends_on_the_last_day_of_february(self) -> None:
        assert deadlines.tlv_redemption_deadline(date(2024, 2, 29)) == date(2025, 2, 28)

    def test_follows_the_tenant_policy_term(self) -> None:
        assert deadlines.tlv_redemption_deadline(date(2025, 1, 31), months=1) == date(2025, 2, 28)


class TestPlausibleDates:
    def test_the_first_and_last_plausible_days_are_accepted(self) -> None:
        for day in (deadlines.EARLIEST_DATE, deadlines.LATEST_DATE):
            assert deadlines.check_plausible_date(day, "Decided on", field="decided_on") == day

    def test_a_day_outside_is_refused_by_name(self) -> None:
        with pytest.raises(
            InvalidValueError, match="Decided on 9999-12-31 is not a plausible"
        ) as e:
            deadlines.check_plausible_date(date(9999, 12, 31), "Decided on", field="decided_on")
        assert e.value.fields == ("decided_on",)

    def test_a_thing_that_happened_cannot_lie_in_the_future(self) -> None:
        today = date(2026, 3, 2)
        assert deadlines.check_not_after(today, today, "checked_on", field="checked_on") == today
        with pytest.raises(
            InvalidValueError, match="checked_on 2026-03-03 lies in the future"
        ) as e:
            deadlines.check_not_after(date(2026, 3, 3), today, "checked_on", field="checked_on")
        assert e.value.fields == ("checked_on",)

    def test_every_term_counted_from_the_last_plausible_day_stays_on_the_calendar(self) -> None:
        last = deadlines.LATEST_DATE
        long_pause = Pause(last, last + timedelta(days=365))
        assert (deadlines.decision_deadline(last, pauses=[long_pause]) or last) > last
        assert deadlines.tlv_redemption_deadline(last, months=60) > last
        assert deadlines.objection_deadline(last) > last
        assert (
            deadlines.objection_decision_deadline(last, with_committee=True, postponed=True) > last
        )


days = st.dates(min_value=date(2014, 1, 1), max_value=date(2040, 12, 31))
pause_lengths = st.integers(min_value=0, max_value=120)


@st.composite
def pauses(
    draw: st.DrawFn, received_on: date, count: PauseCount = PauseCount.COMPLETION_DAY_RUNS
) -> Pause:
    invited_on = received_on + timedelta(days=draw(st.integers(0, 50)))
    complete_by = invited_on + timedelta(days=draw(st.integers(0, 60)))
    completed = draw(st.none() | st.integers(0, 90))
    completed_on = None if completed is None else invited_on + timedelta(days=completed)
    return Pause(invited_on, complete_by, completed_on, count)


@given(st.data(), days, st.sampled_from(PauseCount))
def test_a_pause_never_shortens_the_decision_term(
    data: st.DataObject, received_on: date, count: PauseCount
) -> None:
    drawn = data.draw(st.lists(pauses(received_on, count), max_size=3))
    without = deadlines.decision_deadline(received_on)
    with_pauses = deadlines.decision_deadline(received_on, pauses=drawn)
    assert without is not None
    assert with_pauses is not None
    assert with_pauses >= without
    assert is_working_day(with_pauses)


@given(st.data(), days)
def test_counting_the_completion_day_as_paused_never_ends_the_term_sooner(
    data: st.DataObject, received_on: date
) -> None:
    drawn = data.draw(st.lists(pauses(received_on), max_size=3))
    shorter = deadlines.decision_deadline(received_on, pauses=drawn)
    longer = deadlines.decision_deadline(
        received_on,
        pauses=[replace(pause, count=PauseCount.COMPLETION_DAY_PAUSED) for pause in drawn],
    )
    assert shorter is not None
    assert longer is not None
    assert longer >= shorter


@given(days, pause_lengths, st.booleans(), st.booleans())
def test_a_repair_pause_never_shortens_the_objection_decision_term(
    term_ends_on: date, repair_days: int, with_committee: bool, postponed: bool
) -> None:
    paused = deadlines.objection_decision_deadline(
        term_ends_on, with_committee=with_committee, postponed=postponed, repair_days=repair_days
    )
    unpaused = deadlines.objection_decision_deadline(
        term_ends_on, with_committee=with_committee, postponed=postponed
    )
    assert paused >= unpaused


@given(days)
def test_every_shifted_term_ends_on_a_working_day_no_earlier_than_counted(day: date) -> None:
    last_day = deadlines.objection_deadline(day)
    assert is_working_day(last_day)
    assert day + deadlines.OBJECTION_TERM <= last_day <= day + timedelta(weeks=6, days=5)
