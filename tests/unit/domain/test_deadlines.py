from datetime import date

import pytest

from domain import deadlines
from domain.errors import InvalidValueError


class TestDecisionDeadline:
    def test_is_eight_weeks_after_the_application_was_complete(self) -> None:
        assert deadlines.decision_deadline(date(2025, 3, 3)) == date(2025, 4, 28)

    def test_moves_by_the_days_suspended(self) -> None:
        assert deadlines.decision_deadline(date(2025, 3, 3), days_suspended=10) == date(2025, 5, 8)

    def test_ending_on_a_saturday_runs_on_to_monday(self) -> None:
        # Complete on Saturday 1 March: 8 weeks later is Saturday 26 April.
        assert deadlines.decision_deadline(date(2025, 3, 1)) == date(2025, 4, 28)

    def test_a_suspension_that_pushes_it_onto_a_sunday_runs_on_to_monday(self) -> None:
        assert deadlines.decision_deadline(date(2025, 3, 3), days_suspended=6) == date(2025, 5, 5)

    def test_ending_on_a_given_holiday_runs_on_to_the_next_working_day(self) -> None:
        kings_day = date(2025, 4, 28)
        assert deadlines.decision_deadline(date(2025, 3, 3), holidays={kings_day}) == date(
            2025, 4, 29
        )


def test_days_between_counts_calendar_days_including_the_weekend() -> None:
    assert deadlines.days_between(date(2025, 3, 7), date(2025, 3, 10)) == 3


class TestZorgplichtDeadline:
    def test_is_six_weeks_after_written_registration(self) -> None:
        assert deadlines.zorgplicht_deadline(date(2025, 3, 3)) == date(2025, 4, 14)

    def test_is_ten_weeks_after_the_one_extension(self) -> None:
        assert deadlines.zorgplicht_deadline(date(2025, 3, 3), extended=True) == date(2025, 5, 12)


class TestObjectionDeadline:
    def test_is_six_weeks_after_notification(self) -> None:
        assert deadlines.objection_deadline(date(2025, 3, 4)) == date(2025, 4, 15)

    def test_ending_on_a_sunday_runs_on_to_monday(self) -> None:
        assert deadlines.objection_deadline(date(2025, 3, 9)) == date(2025, 4, 21)


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
            assert deadlines.check_plausible_date(day, "Decided on") == day

    def test_a_day_outside_is_refused_by_name(self) -> None:
        with pytest.raises(InvalidValueError, match="Decided on 9999-12-31 is not a plausible"):
            deadlines.check_plausible_date(date(9999, 12, 31), "Decided on")

    def test_every_term_counted_from_the_last_plausible_day_stays_on_the_calendar(self) -> None:
        last = deadlines.LATEST_DATE
        assert deadlines.decision_deadline(last, days_suspended=365) > last
        assert deadlines.tlv_redemption_deadline(last, months=60) > last
        assert deadlines.objection_deadline(last) > last
