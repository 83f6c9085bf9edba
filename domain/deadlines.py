"""Legal terms as pure functions over dates. The last day of a term is the day returned.

A statutory term that ends on a Saturday or Sunday runs on to the next Monday (Algemene
termijnenwet art. 1); public holidays are passed in, because they are not computed here.
"""

from calendar import monthrange
from collections.abc import Collection
from datetime import date, timedelta

from domain.errors import InvalidValueError

AWB_DECISION_TERM = timedelta(weeks=8)  # Awb art. 4:13 lid 2
ZORGPLICHT_TERM = timedelta(weeks=6)  # WPO art. 40 lid 4: 6 weeks, once extendable
ZORGPLICHT_EXTENSION = timedelta(weeks=4)
OBJECTION_TERM = timedelta(weeks=6)  # Awb art. 6:7, from the day after notification
LBT_REQUEST_TERM = timedelta(weeks=2)  # LBT reglement: ask advice within 2 weeks of receipt
TLV_REDEMPTION_MONTHS = 12
# Dates a record may name. Far enough apart for any pupil's career and any term counted from it,
# and far enough from the calendar's end (9999-12-31) that counting a term never runs off it.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)

_SATURDAY = 5


def check_plausible_date(day: date, what: str, *, field: str | None = None) -> date:
    """``day`` if it lies between EARLIEST_DATE and LATEST_DATE; raises InvalidValueError."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidValueError(
            f"{what} {day} is not a plausible date: "
            f"give one from {EARLIEST_DATE} to {LATEST_DATE}.",
            fields=(field,) if field else (),
        )
    return day


def next_working_day(day: date, holidays: Collection[date] = ()) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while day.weekday() >= _SATURDAY or day in holidays:
        day += timedelta(days=1)
    return day


def days_between(start: date, end: date) -> int:
    """Calendar days from ``start`` to ``end``; a suspension from Monday to Friday is 4 days."""
    return (end - start).days


def decision_deadline(
    complete_on: date, *, days_suspended: int = 0, holidays: Collection[date] = ()
) -> date:
    """The last day to decide: 8 weeks after the application was complete, plus suspensions."""
    return next_working_day(
        complete_on + AWB_DECISION_TERM + timedelta(days=days_suspended), holidays
    )


def zorgplicht_deadline(
    registered_on: date, *, extended: bool = False, holidays: Collection[date] = ()
) -> date:
    """The last day for the school to offer a place: 6 weeks, or 10 after the one extension."""
    term = ZORGPLICHT_TERM + (ZORGPLICHT_EXTENSION if extended else timedelta())
    return next_working_day(registered_on + term, holidays)


def objection_deadline(notified_on: date, *, holidays: Collection[date] = ()) -> date:
    """The last day an objection is in time: 6 weeks after the decision was made known."""
    return next_working_day(notified_on + OBJECTION_TERM, holidays)


def lbt_request_deadline(objection_received_on: date) -> date:
    """The last day to ask the LBT for advice: 2 weeks after the objection came in."""
    return objection_received_on + LBT_REQUEST_TERM


def tlv_redemption_deadline(issued_on: date, *, months: int = TLV_REDEMPTION_MONTHS) -> date:
    """The last day to enrol the pupil on a TLV; by default one year after it was issued."""
    return add_months(issued_on, months)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it is shorter (31 Jan → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
