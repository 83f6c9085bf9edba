"""Legal terms as pure functions of recorded facts. The last day of a term is the day returned.

A statutory term that ends on a Saturday, Sunday or algemeen erkende feestdag runs on to the
next working day (Algemene termijnenwet, domain/atw.py); days the Crown designated under Atw
art. 3 lid 3 are passed in. How the law counts each term is in domain.md §1.12.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.atw import next_working_day
from domain.errors import InvalidValueError

AWB_DECISION_TERM = timedelta(weeks=8)  # Awb art. 4:13 lid 2, from receipt
ZORGPLICHT_TERM = timedelta(weeks=6)  # WPO art. 40 lid 4: 6 weeks, once extendable
ZORGPLICHT_EXTENSION = timedelta(weeks=4)
OBJECTION_TERM = timedelta(weeks=6)  # Awb art. 6:7, from the day after the decision was sent
POSTAL_GRACE = timedelta(weeks=1)  # Awb art. 6:9 lid 2: posted in time, received within a week
OBJECTION_DECISION_TERM = timedelta(weeks=6)  # Awb art. 7:10 lid 1
OBJECTION_DECISION_TERM_WITH_COMMITTEE = timedelta(weeks=12)  # with an advisory committee (LBT)
OBJECTION_DECISION_POSTPONEMENT = timedelta(weeks=6)  # Awb art. 7:10 lid 3, once, with notice
ATW_LONGEST_TERM = timedelta(weeks=12)  # domain.md §1.12: the Atw shift not for longer terms
LBT_REQUEST_TERM = timedelta(weeks=2)  # LBT reglement: ask advice within 2 weeks of receipt
TLV_REDEMPTION_MONTHS = 12
# Dates a record may name. Far enough apart for any pupil's career and any term counted from it,
# and far enough from the calendar's end (9999-12-31) that counting a term never runs off it.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)

_DAY = timedelta(days=1)


class PauseCount(StrEnum):
    """Whether the day an application is completed still pauses the decision term (Awb 4:15).

    Case law is unsettled; the shorter pause is the safe reading, so it is the default and a
    tenant may choose the longer one.
    """

    COMPLETION_DAY_RUNS = "COMPLETION_DAY_RUNS"  # the term runs again on the completion day
    COMPLETION_DAY_PAUSED = "COMPLETION_DAY_PAUSED"  # it runs again the day after


@dataclass(frozen=True, slots=True)
class Pause:
    """An Awb 4:5 invitation to complete an application, and its completion if it came.

    The decision term stands still from the day after ``invited_on`` until the application is
    completed or the completion term (``complete_by``) has passed (Awb 4:15 lid 1 a).
    ``complete_by`` is None only on invitations recorded before the term was asked for.
    """

    invited_on: date
    complete_by: date | None
    completed_on: date | None = None
    count: PauseCount = PauseCount.COMPLETION_DAY_RUNS

    def days(self) -> int | None:
        """Days the term stands still; None while it stands still with no end in sight."""
        runs_again = self.runs_again_on()
        if runs_again is None:
            return None
        return max(0, (runs_again - (self.invited_on + _DAY)).days)

    def runs_again_on(self) -> date | None:
        """The first day the term runs again; for an open pause, once its completion term ends."""
        completed_in_time = self.completed_on is not None and (
            self.complete_by is None or self.completed_on <= self.complete_by
        )
        if completed_in_time and self.completed_on is not None:
            paused_too = self.count is PauseCount.COMPLETION_DAY_PAUSED
            return self.completed_on + (_DAY if paused_too else timedelta())
        if self.complete_by is not None:
            return self.complete_by + _DAY
        return None


def days_paused(pauses: Iterable[Pause]) -> int | None:
    """All the pauses' days together; None if one stands still with no end in sight."""
    total = 0
    for pause in pauses:
        days = pause.days()
        if days is None:
            return None
        total += days
    return total


def check_plausible_date(day: date, what: str, *, field: str) -> date:
    """``day`` if it lies between EARLIEST_DATE and LATEST_DATE; raises InvalidValueError."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidValueError(
            f"{what} {day} is not a plausible date: "
            f"give one from {EARLIEST_DATE} to {LATEST_DATE}.",
            fields=(field,),
        )
    return day


def check_not_after(day: date, today: date, what: str, *, field: str) -> date:
    """``day`` if it is not after ``today``: a thing that happened cannot happen tomorrow."""
    if day > today:
        raise InvalidValueError(
            f"{what} {day} lies in the future (today is {today}): record what happened once it "
            "has happened.",
            fields=(field,),
        )
    return day


def decision_deadline(
    received_on: date,
    *,
    pauses: Iterable[Pause] = (),
    extended_to: date | None = None,
    designated: Collection[date] = (),
) -> date | None:
    """The last day to decide on an application (Awb 4:13-4:15), None while it stands still.

    Eight weeks from receipt, plus the days 4:5 invitations paused it; a 4:14 notice names a
    new last day instead. A pause whose completion term has not yet passed counts as lasting
    until it does: the deadline if nothing more comes in.
    """
    paused = days_paused(pauses)
    if paused is None:
        return None
    last_day = received_on + AWB_DECISION_TERM + timedelta(days=paused)
    if extended_to is not None:
        last_day = max(last_day, extended_to)
    return next_working_day(last_day, designated)


def zorgplicht_deadline(
    registered_on: date, *, extended: bool = False, designated: Collection[date] = ()
) -> date:
    """The last day for the school to offer a place: 6 weeks, or 10 after the one extension."""
    term = ZORGPLICHT_TERM + (ZORGPLICHT_EXTENSION if extended else timedelta())
    return next_working_day(registered_on + term, designated)


def temporary_enrolment_on(registered_on: date, *, designated: Collection[date] = ()) -> date:
    """The day the pupil is enrolled at the school of registration if it has not decided.

    The day after the longest zorgplicht term (10 weeks) ends; the enrolment lasts until the
    school's decision (domain.md §1.2).
    """
    return zorgplicht_deadline(registered_on, extended=True, designated=designated) + _DAY


def objection_deadline(sent_on: date, *, designated: Collection[date] = ()) -> date:
    """The last day to object: the term starts the day after the decision was sent (Awb 6:8)."""
    return next_working_day(sent_on + OBJECTION_TERM, designated)


class Channel(StrEnum):
    """How a letter travelled: what decides whether its posting date or its arrival counts."""

    POST = "POST"
    EMAIL = "EMAIL"
    PORTAL = "PORTAL"
    HAND = "HAND"


class Timeliness(StrEnum):
    IN_TIME = "IN_TIME"  # received within the term, or before it started (Awb 6:10)
    POSTED_IN_TIME = "POSTED_IN_TIME"  # Awb 6:9 lid 2: posted in the term, arrived a week after
    LATE = "LATE"

    @property
    def is_timely(self) -> bool:
        return self is not Timeliness.LATE


def objection_timeliness(
    term_ends_on: date | None,
    *,
    received_on: date,
    channel: Channel,
    posted_on: date | None = None,
) -> Timeliness:
    """Whether an objection came in time (Awb 6:9, 6:10); ``term_ends_on`` None: not yet sent.

    A letter posted by the last day and received within a week after is timely; anything
    else must arrive by the last day.
    """
    if term_ends_on is None or received_on <= term_ends_on:
        return Timeliness.IN_TIME
    if (
        channel is Channel.POST
        and posted_on is not None
        and posted_on <= term_ends_on
        and received_on <= term_ends_on + POSTAL_GRACE
    ):
        return Timeliness.POSTED_IN_TIME
    return Timeliness.LATE


def objection_decision_deadline(  # noqa: PLR0913 - the facts Awb 7:10 counts from
    objection_term_ends_on: date,
    *,
    with_committee: bool,
    postponed: bool = False,
    repair_days: int = 0,
    agreed_until: date | None = None,
    designated: Collection[date] = (),
) -> date:
    """The last day to decide on an objection (Awb 7:10).

    Six weeks, twelve with an advisory committee such as the LBT, from the day after the
    objection term ends; once postponable by six weeks; longer only with the objector's
    consent (``agreed_until``). Repairs of defects (6:6) pause it. The Atw shift does not
    apply to a term longer than twelve weeks.
    """
    term = OBJECTION_DECISION_TERM_WITH_COMMITTEE if with_committee else OBJECTION_DECISION_TERM
    if postponed:
        term += OBJECTION_DECISION_POSTPONEMENT
    last_day = objection_term_ends_on + term + timedelta(days=repair_days)
    if agreed_until is not None:
        last_day = max(last_day, agreed_until)
    if term > ATW_LONGEST_TERM:
        return last_day
    return next_working_day(last_day, designated)


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
