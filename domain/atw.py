"""The Algemene termijnenwet's calendar: which days a statutory term may not end on.

Atw art. 1: a term that ends on a Saturday, Sunday or algemeen erkende feestdag runs on to the
next day that is none of these. Art. 3 names the feestdagen (lid 1), adds Goede Vrijdag (lid 2)
and lets the Crown designate more days by decree (lid 3), published every few years; those are
passed in, since no formula yields them. Pure: Easter comes from ``dateutil``'s computus, the
other days from the statute's own rules, without I/O (the ``holidays`` package would do it too,
but loads some 300 modules, about 45 MB in every process, for one country's list).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

from dateutil.easter import easter

_SATURDAY = 5
_SUNDAY = 6
# Fixed-date feestdagen: de Nieuwjaarsdag, de vijfde mei (every year, not only every fifth as
# the national celebration) and de beide Kerstdagen.
_FIXED_DAYS = ((1, 1), (5, 5), (12, 25), (12, 26))
# Days after Easter Sunday: Goede Vrijdag (lid 2), de Christelijke tweede Paasdag, de
# Hemelvaartsdag, de Christelijke tweede Pinksterdag.
_EASTER_OFFSETS = (-2, 1, 39, 50)
_FIRST_KINGS_DAY = 2014  # Willem-Alexander's birthday; Queen Beatrix's day (30 April) before
_SUNDAY_KEPT_BEFORE_SINCE = 1980


def _kings_day(year: int) -> date:
    """De dag waarop de verjaardag van de Koning wordt gevierd (until 2013 the Queen's).

    27 April from 2014, 30 April before; on a Sunday it is kept the day before (from 1980; the
    Sunday rule before then moved it to the Monday, and no case of this system's is that old).
    """
    birthday = date(year, 4, 27) if year >= _FIRST_KINGS_DAY else date(year, 4, 30)
    if birthday.weekday() != _SUNDAY:
        return birthday
    moved = -1 if year >= _SUNDAY_KEPT_BEFORE_SINCE else 1
    return birthday + timedelta(days=moved)


@lru_cache(maxsize=512)
def feestdagen(year: int) -> frozenset[date]:
    """The algemeen erkende feestdagen of ``year`` with Goede Vrijdag (Atw art. 3 lid 1, 2).

    Easter Sunday and Whit Sunday are feestdagen too, but Sundays anyway, so not listed.
    """
    sunday = easter(year)
    days = {sunday + timedelta(days=offset) for offset in _EASTER_OFFSETS}
    days.update(date(year, month, day) for month, day in _FIXED_DAYS)
    days.add(_kings_day(year))
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
