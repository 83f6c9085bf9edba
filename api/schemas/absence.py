"""Bodies of the absence-case reads: a thuiszitter's case with the signals it gives."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import LogMoment, Replayable
from domain.absence import AbsenceCase, AbsenceEnd, AbsenceKind, AbsenceSignal, Reporter
from domain.swv import Swv


class AbsenceCaseState(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    school_code: str | None
    kind: AbsenceKind
    absent_since: date
    completely_absent: bool
    reporter: Reporter
    reported_on: date
    unauthorised_hours_by_week: dict[date, int]
    reported_to_duo_on: date | None
    plan_review_on: date | None
    offer_made: bool
    ended_on: date | None
    end: AbsenceEnd | None
    signals: dict[AbsenceSignal, date]
    """Each signal the open case gives and the day it is due, with the tenant's holidays."""
    reached: dict[AbsenceSignal, date]
    """The signals whose day came while the case was open, as Passend recorded them."""

    @classmethod
    def of(cls, case: AbsenceCase, swv: Swv) -> AbsenceCaseState:
        return cls(
            pupil_id=case.pupil_id,
            school_code=case.school_code,
            kind=case.kind,
            absent_since=case.absent_since,
            completely_absent=case.completely_absent,
            reporter=case.reporter,
            reported_on=case.reported_on,
            unauthorised_hours_by_week=dict(sorted(case.hours_by_week.items())),
            reported_to_duo_on=case.reported_to_duo_on,
            plan_review_on=case.plan_review_on,
            offer_made=case.offer_made,
            ended_on=case.ended_on,
            end=case.end,
            signals=case.signals(holidays=swv.holidays, pact_months=swv.thuiszitterspact_months),
            reached=dict(case.reached),
        )


class AbsenceCaseEvent(EventView, frozen=True):
    """An event of an absence case."""

    aggregate = AbsenceCase


class AbsenceCaseRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: AbsenceCaseState
    events: list[AbsenceCaseEvent]


class SchoolHolidayView(msgspec.Struct, frozen=True):
    first_day: date
    last_day: date


class AbsenceSettings(Replayable, frozen=True, kw_only=True):
    """The tenant's settings the absence signals are computed with."""

    school_holidays: dict[int, list[SchoolHolidayView]]
    """Per school year (the year it starts in), the region's school holidays."""
    thuiszitterspact_months: int
    """Months without an offer before a case signals: the Thuiszitterspact's ambition, policy."""

    @classmethod
    def of(cls, swv: Swv, replayed_to: LogMoment | None = None) -> AbsenceSettings:
        return cls(
            school_holidays={
                year: [SchoolHolidayView(h.first_day, h.last_day) for h in holidays]
                for year, holidays in sorted(swv.school_holidays.items())
            },
            thuiszitterspact_months=swv.thuiszitterspact_months,
            replayed_to=replayed_to,
        )
