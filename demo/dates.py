"""Business dates for the demo data, all relative to one day: "today" of the seeding.

Decisions and checks fall on working days; school years run from 1 August to 31 July.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from domain.deadlines import add_months

_SATURDAY = 5


def weekday_on_or_before(day: date) -> date:
    """``day`` itself on a weekday, else the Friday before it."""
    while day.weekday() >= _SATURDAY:
        day -= timedelta(days=1)
    return day


def weekday_on_or_after(day: date) -> date:
    """``day`` itself on a weekday, else the Monday after it."""
    while day.weekday() >= _SATURDAY:
        day += timedelta(days=1)
    return day


def school_year_end(day: date, *, years: int = 1) -> date:
    """The 31 July that ends the school year of ``day``; ``years=2`` the one a year later."""
    year = day.year if day.month <= 7 else day.year + 1  # noqa: PLR2004 - July
    return date(year + years - 1, 7, 31)


@dataclass(frozen=True, slots=True)
class DemoCalendar:
    """Dates counted back from ``today``; a later "days ago" is never an earlier date."""

    today: date

    def ago(self, days: int) -> date:
        """The working day ``days`` calendar days ago (or the Friday before it)."""
        if days < 0:
            raise ValueError("Demo business dates lie in the past: give days >= 0.")
        return weekday_on_or_before(self.today - timedelta(days=days))

    def ahead(self, days: int) -> date:
        """A planned date ``days`` calendar days from today, such as a completion term's end."""
        return self.today + timedelta(days=days)

    def born(self, age: int, month: int, day: int) -> date:
        """A date of birth on ``day``-``month`` of someone who is ``age`` years old today."""
        birthday = date(self.today.year - age, month, day)
        if (month, day) > (self.today.month, self.today.day):
            birthday = birthday.replace(year=birthday.year - 1)
        return birthday

    def born_months_ago(self, months: int) -> date:
        return add_months(self.today, -months)

    @property
    def last_school_year_end(self) -> date:
        """The most recent 31 July before today."""
        year = (
            self.today.year if (self.today.month, self.today.day) > (7, 31) else self.today.year - 1
        )
        return date(year, 7, 31)

    @property
    def this_school_year_end(self) -> date:
        """The 31 July that ends the current school year (today, on 31 July itself)."""
        return school_year_end(self.today)


def first_school_day(dob: date) -> date:
    """Enrolment in primary school: the first weekday from the fourth birthday on."""
    return weekday_on_or_after(dob.replace(year=dob.year + 4))


def secondary_school_start(dob: date) -> date:
    """1 August of the year a pupil, twelve on 1 October, starts in secondary school."""
    year = dob.year + 12 if dob.month < 10 else dob.year + 13  # noqa: PLR2004 - October
    return date(year, 8, 1)
