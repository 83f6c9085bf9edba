"""AbsenceCase aggregate: a pupil out of school (a thuiszitter), from the report to the return.

The signals it gives, and where each comes from (domain.md §1.6, §1.12):
- Leerplichtwet art. 21/21a: 16 hours of unauthorised absence within 4 consecutive school weeks
  are reported to DUO's verzuimregister without delay: due the first working day after the
  school week in which they add up.
- Langdurig relatief verzuim: enrolled and completely absent for 4 school weeks or more; with
  absoluut verzuim (enrolled nowhere, no exemption) what OCW counts as thuiszitters.
- The Thuiszitterspact's "no child at home longer than 3 months without an offer" is a policy
  ambition, not law: the months are the tenant's setting, and the signal says it is policy.
School weeks leave out the region's school holidays, which the tenant configures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import islice
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.atw import next_working_day
from domain.errors import InvalidValueError, PeriodError, StateConflictError, require_text
from domain.personal import PERSONAL

REPORTABLE_HOURS = 16  # Leerplichtwet art. 21a: within 4 consecutive school weeks
REPORTING_WINDOW_WEEKS = 4
LONG_TERM_WEEKS = 4  # langdurig relatief verzuim: 4 school weeks completely absent
MAX_HOURS_IN_A_WEEK = 7 * 24


class AbsenceKind(StrEnum):
    RELATIEF = "RELATIEF"  # enrolled, not attending
    ABSOLUUT = "ABSOLUUT"  # enrolled nowhere, no exemption


class Reporter(StrEnum):
    SCHOOL = "SCHOOL"
    LEERPLICHT = "LEERPLICHT"  # the attendance office (leerplichtambtenaar, RBL)


class AbsenceEnd(StrEnum):
    RETURNED_TO_SCHOOL = "RETURNED_TO_SCHOOL"
    ENROLLED_ELSEWHERE = "ENROLLED_ELSEWHERE"
    EXEMPTED = "EXEMPTED"  # vrijstelling, e.g. art. 5 onder a
    MOVED_AWAY = "MOVED_AWAY"


class AbsenceSignal(StrEnum):
    LEERPLICHT_REPORT = "LEERPLICHT_REPORT"  # law: report to DUO without delay
    LONG_TERM_ABSENCE = "LONG_TERM_ABSENCE"  # definition: 4 school weeks completely absent
    THUISZITTERSPACT = "THUISZITTERSPACT"  # policy: the tenant's months without an offer


class AbsenceCaseClosedError(StateConflictError):
    """The absence case was closed; record a new report if the pupil is out of school again."""


@dataclass(frozen=True, slots=True)
class Holiday:
    """A school holiday of the region, first and last day included."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise PeriodError(
                f"A holiday cannot end ({self.last_day}) before it starts.", fields=("holidays",)
            )


def week_of(day: date) -> date:
    """The Monday of the week ``day`` falls in."""
    return day - timedelta(days=day.weekday())


def is_school_week(monday: date, holidays: Sequence[Holiday]) -> bool:
    """Whether the week has a school day: a weekday outside every holiday."""
    weekdays = (monday + timedelta(days=i) for i in range(5))
    return any(not any(h.first_day <= day <= h.last_day for h in holidays) for day in weekdays)


def school_weeks_from(monday: date, holidays: Sequence[Holiday]) -> Iterator[date]:
    """The Mondays of the school weeks from ``monday`` on, holiday weeks left out."""
    week = week_of(monday)
    while True:
        if is_school_week(week, holidays):
            yield week
        week += timedelta(weeks=1)


def leerplicht_report_due(
    hours_by_week: Mapping[date, int],
    holidays: Sequence[Holiday],
    public_holidays: Sequence[date] = (),
) -> date | None:
    """When the unauthorised absence must be reported to DUO, or None while it need not be.

    The first school week that closes 4 consecutive school weeks with 16 hours or more; the
    report is due the first working day after that week.
    """
    if not hours_by_week:
        return None
    last = max(hours_by_week)
    window: list[int] = []
    for week in school_weeks_from(min(hours_by_week), holidays):
        if week > last:
            return None
        window = [*window, hours_by_week.get(week, 0)][-REPORTING_WINDOW_WEEKS:]
        if sum(window) >= REPORTABLE_HOURS:
            return next_working_day(week + timedelta(days=5), public_holidays)
    return None  # pragma: no cover - the generator never ends


def long_term_absence_from(absent_since: date, holidays: Sequence[Holiday]) -> date:
    """The day a complete absence since ``absent_since`` has lasted 4 school weeks (langdurig)."""
    later_weeks = school_weeks_from(week_of(absent_since) + timedelta(weeks=1), holidays)
    fourth = next(islice(later_weeks, LONG_TERM_WEEKS - 1, None))
    return fourth + timedelta(days=min(absent_since.weekday(), 4))


def thuiszitterspact_signal_on(absent_since: date, months: int) -> date:
    """The day the tenant's Thuiszitterspact months without an offer have passed (policy)."""
    return deadlines.add_months(absent_since, months)


class AbsenceCase(Aggregate):
    TOPIC = "AbsenceCase"

    class Event(Aggregate.Event):
        pass

    class Reported(Event, Aggregate.Created):
        TOPIC = "AbsenceReported.v1"
        pupil_id: UUID
        school_code: str | None
        kind: AbsenceKind
        absent_since: date
        completely_absent: bool
        reporter: Reporter
        reported_on: date
        reported_by: str
        reported_at: datetime

    Created = Reported

    class SignalReached(Event):
        """A signal's day came while the case was open; recorded by Passend itself, once."""

        TOPIC = "AbsenceSignalReached.v1"
        pupil_id: UUID
        signal: AbsenceSignal
        due_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: AbsenceCase) -> None:
            aggregate.reached[self.signal] = self.due_on

    class HoursReported(Event):
        TOPIC = "AbsenceHoursReported.v1"
        pupil_id: UUID
        week: date
        unauthorised_hours: int
        reported_by: str
        reported_at: datetime

        def apply(self, aggregate: AbsenceCase) -> None:
            aggregate.hours_by_week[self.week] = self.unauthorised_hours

    class ReportedToDuo(Event):
        TOPIC = "AbsenceReportedToDuo.v1"
        pupil_id: UUID
        reported_on: date
        reported_by: str
        reported_at: datetime

        def apply(self, aggregate: AbsenceCase) -> None:
            aggregate.reported_to_duo_on = self.reported_on

    class PlanRecorded(Event):
        TOPIC = "AbsencePlanRecorded.v1"
        pupil_id: UUID
        plan: Annotated[str, PERSONAL]
        agreed_on: date
        review_on: date
        offer_made: bool
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: AbsenceCase) -> None:
            aggregate.plan_review_on = self.review_on
            aggregate.offer_made = aggregate.offer_made or self.offer_made

    class Closed(Event):
        TOPIC = "AbsenceCaseClosed.v1"
        pupil_id: UUID
        ended_on: date
        end: AbsenceEnd
        closed_by: str
        closed_at: datetime

        def apply(self, aggregate: AbsenceCase) -> None:
            aggregate.ended_on = self.ended_on
            aggregate.end = self.end

    def __init__(  # noqa: PLR0913 - the fields of AbsenceReported
        self,
        *,
        pupil_id: UUID,
        school_code: str | None,
        kind: AbsenceKind,
        absent_since: date,
        completely_absent: bool,
        reporter: Reporter,
        reported_on: date,
        reported_by: str,
        reported_at: datetime,
    ) -> None:
        self.pupil_id = pupil_id
        self.school_code = school_code
        self.kind = kind
        self.absent_since = absent_since
        self.completely_absent = completely_absent
        self.reporter = reporter
        self.reported_on = reported_on
        self.hours_by_week: dict[date, int] = {}
        self.reported_to_duo_on: date | None = None
        self.plan_review_on: date | None = None
        self.offer_made = False
        self.ended_on: date | None = None
        self.end: AbsenceEnd | None = None
        self.reached: dict[AbsenceSignal, date] = {}

    @classmethod
    def report(  # noqa: PLR0913 - a report's facts
        cls,
        *,
        case_id: UUID,
        pupil_id: UUID,
        school_code: str | None,
        absent_since: date,
        completely_absent: bool,
        reporter: Reporter,
        reported_on: date,
        by: str,
        at: datetime,
    ) -> AbsenceCase:
        """Open a case: enrolled at ``school_code`` (relatief verzuim), or nowhere (absoluut)."""
        if reported_on < absent_since:
            raise PeriodError(
                f"An absence since {absent_since} cannot have been reported on {reported_on}.",
                fields=("reported_on",),
            )
        kind = AbsenceKind.RELATIEF if school_code else AbsenceKind.ABSOLUUT
        return cls._create(
            cls.Reported,
            id=case_id,
            pupil_id=pupil_id,
            school_code=school_code,
            kind=kind,
            absent_since=absent_since,
            completely_absent=completely_absent or kind is AbsenceKind.ABSOLUUT,
            reporter=reporter,
            reported_on=reported_on,
            reported_by=by,
            reported_at=at,
        )

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    def _require_open(self) -> None:
        if not self.is_open:
            raise AbsenceCaseClosedError(f"This absence case was closed on {self.ended_on}.")

    def report_hours(self, *, week: date, unauthorised_hours: int, by: str, at: datetime) -> None:
        """The unauthorised hours of absence in one school week (the latest report counts)."""
        self._require_open()
        if not 0 <= unauthorised_hours <= MAX_HOURS_IN_A_WEEK:
            raise InvalidValueError(
                f"{unauthorised_hours} hours in one week is not possible: give 0 to"
                f" {MAX_HOURS_IN_A_WEEK}.",
                fields=("unauthorised_hours",),
            )
        if week.weekday() != 0:
            raise InvalidValueError(
                f"A school week is named by its Monday; {week} is not one.", fields=("week",)
            )
        self.trigger_event(
            self.HoursReported,
            pupil_id=self.pupil_id,
            week=week,
            unauthorised_hours=unauthorised_hours,
            reported_by=by,
            reported_at=at,
        )

    def record_report_to_duo(self, *, reported_on: date, by: str, at: datetime) -> None:
        self._require_open()
        self.trigger_event(
            self.ReportedToDuo,
            pupil_id=self.pupil_id,
            reported_on=reported_on,
            reported_by=by,
            reported_at=at,
        )

    def record_plan(  # noqa: PLR0913 - a plan's facts
        self,
        *,
        plan: str,
        agreed_on: date,
        review_on: date,
        offer_made: bool,
        by: str,
        at: datetime,
    ) -> None:
        """The plan to get the pupil back to school; ``offer_made`` when it offers a place."""
        self._require_open()
        if review_on < agreed_on:
            raise PeriodError(
                f"A plan agreed on {agreed_on} cannot be reviewed on {review_on}.",
                fields=("review_on",),
            )
        self.trigger_event(
            self.PlanRecorded,
            pupil_id=self.pupil_id,
            plan=require_text(plan, "The plan", field="plan"),
            agreed_on=agreed_on,
            review_on=review_on,
            offer_made=offer_made,
            recorded_by=by,
            recorded_at=at,
        )

    def close(self, *, ended_on: date, end: AbsenceEnd, by: str, at: datetime) -> None:
        self._require_open()
        if ended_on < self.absent_since:
            raise PeriodError(
                f"An absence since {self.absent_since} cannot have ended on {ended_on}.",
                fields=("ended_on",),
            )
        self.trigger_event(
            self.Closed,
            pupil_id=self.pupil_id,
            ended_on=ended_on,
            end=end,
            closed_by=by,
            closed_at=at,
        )

    def record_reached_signals(
        self,
        *,
        today: date,
        holidays: Sequence[Holiday],
        pact_months: int,
        by: str,
        at: datetime,
    ) -> None:
        """Record each signal whose day is ``today`` or before and that was not recorded yet.

        Nothing for a closed case; a signal is recorded once, even if its day moves later.
        """
        due = self.signals(holidays=holidays, pact_months=pact_months)
        for signal, due_on in sorted(due.items(), key=lambda item: (item[1], item[0])):
            if due_on <= today and signal not in self.reached:
                self.trigger_event(
                    self.SignalReached,
                    pupil_id=self.pupil_id,
                    signal=signal,
                    due_on=due_on,
                    recorded_by=by,
                    recorded_at=at,
                )

    def signals(
        self,
        *,
        holidays: Sequence[Holiday],
        pact_months: int,
        public_holidays: Sequence[date] = (),
    ) -> dict[AbsenceSignal, date]:
        """Each signal this open case gives, with the day it is due; none once closed."""
        if not self.is_open:
            return {}
        return absence_signals(
            AbsenceFacts(
                absent_since=self.absent_since,
                completely_absent=self.completely_absent,
                hours_by_week=self.hours_by_week,
                reported_to_duo=self.reported_to_duo_on is not None,
                offer_made=self.offer_made,
            ),
            holidays=holidays,
            pact_months=pact_months,
            public_holidays=public_holidays,
        )


@dataclass(frozen=True, slots=True)
class AbsenceFacts:
    """What the signals of an open case are computed from (the aggregate's or a read model's)."""

    absent_since: date
    completely_absent: bool
    hours_by_week: Mapping[date, int]
    reported_to_duo: bool
    offer_made: bool


def absence_signals(
    facts: AbsenceFacts,
    *,
    holidays: Sequence[Holiday],
    pact_months: int,
    public_holidays: Sequence[date] = (),
) -> dict[AbsenceSignal, date]:
    """Each signal an open case with these facts gives, with the day it is due."""
    due: dict[AbsenceSignal, date] = {}
    report = leerplicht_report_due(facts.hours_by_week, holidays, public_holidays)
    if report is not None and not facts.reported_to_duo:
        due[AbsenceSignal.LEERPLICHT_REPORT] = report
    if facts.completely_absent:
        due[AbsenceSignal.LONG_TERM_ABSENCE] = long_term_absence_from(facts.absent_since, holidays)
    if not facts.offer_made:
        due[AbsenceSignal.THUISZITTERSPACT] = thuiszitterspact_signal_on(
            facts.absent_since, pact_months
        )
    return due
