"""The Algemene termijnenwet's calendar: which days a statutory term may not end on.

Atw art. 1: a term that ends on a Saturday, Sunday or algemeen erkende feestdag runs on to the
next day that is none of these. Art. 3 names the feestdagen (lid 1), adds Goede Vrijdag (lid 2)
and lets the Crown designate more days by decree (lid 3), published every few years; those are
passed in, since no formula yields them. Pure: the ``holidays`` package computes the Easter- and
weekday-dependent days for a year, without I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

import holidays

_SATURDAY = 5
# Fixed-date feestdagen; "de vijfde mei" counts every year, not only every fifth as in the package.
_FIXED_DAYS = ((1, 1), (5, 5), (12, 25), (12, 26))

# The package's names for the days Atw art. 3 lid 1 and 2 list; it also knows Easter Sunday and
# Whit Sunday, which are Sundays anyway, and Liberation Day only in years divisible by five.
_ATW_DAYS = frozenset(
    {
        "New Year's Day",
        "Good Friday",
        "Easter Monday",
        "King's Day",
        "Queen's Day",
        "Ascension Day",
        "Pentecost Monday",
        "Christmas Day",
        "Second Day of Christmas",
    }
)


@lru_cache(maxsize=512)
def feestdagen(year: int) -> frozenset[date]:
    """The algemeen erkende feestdagen of ``year`` with Goede Vrijdag (Atw art. 3 lid 1, 2).

    The package knows the Dutch calendar from 1966 to 2100; outside those years (no case of
    this system's) only the fixed-date days are known.
    """
    calendar = holidays.country_holidays("NL", years=year, language="en_US")
    days = {day for day, name in calendar.items() if any(n in _ATW_DAYS for n in name.split("; "))}
    days.update(date(year, month, day) for month, day in _FIXED_DAYS)
    return frozenset(days)


def is_working_day(day: date, designated: Collection[date] = ()) -> bool:
    """Neither a weekend day, nor a feestdag, nor a day designated under Atw art. 3 lid 3."""
    return day.weekday() < _SATURDAY and day not in feestdagen(day.year) and day not in designated


def next_working_day(day: date, designated: Collection[date] = ()) -> date:
    """``day`` itself if a term may end on it, else the first day after it that it may end on."""
    if not designated:
        return _next_working_day(day)
    while not is_working_day(day, designated):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=8192)
def _next_working_day(day: date) -> date:
    # Every deadline of every case is counted again whenever a read model writes the case:
    # a rebuild asks about the same few thousand days over and over.
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
