"""How long a tenant keeps personal data, and the record of what its terms destroyed.

The rules (domain.md §1.12 and §5), as data: a case's dossier is kept at most 3 years after the
case closed (a tenant may choose fewer, not more); the reasons of a decision (beschikking) are on
legal hold until the tenant records an adopted selection list, and kept for that list's term
after the decision, never destroyed before; a pupil's own details go when none of its dossiers
and decisions is kept any more and its last activity is a dossier term ago. Each subject shredded
by a term is one ``SubjectShredded`` event naming the rule applied. Pure: today comes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValueError
from domain.personal import PersonalKind

RETENTION_STREAMS = UUID("5d0e1c8a-3f4b-4b9e-8e61-7a2c9d4f0b15")

DOSSIER_YEARS = range(1, 4)
"""A dossier is kept at most 3 years after its case closed (TLV dossier data, §1.12)."""
DEFAULT_DOSSIER_YEARS = 3
DECISION_YEARS = range(7, 21)
"""An adopted selection list keeps decisions at least 7 years (the sector's proposal)."""


def retention_stream_id(tenant_id: str) -> UUID:
    """The one retention stream of a tenant."""
    return uuid5(RETENTION_STREAMS, tenant_id)


def add_years(day: date, years: int) -> date:
    """``day`` that many years later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True, slots=True)
class Subject:
    """Personal data under one data key, and the dates its term counts from.

    ``closed_on`` is None while the case it belongs to is open; ``last_activity`` is the latest
    business date of anything concerning it.
    """

    subject_id: UUID
    kind: PersonalKind
    pupil_id: UUID
    stream_id: UUID
    closed_on: date | None
    last_activity: date


@dataclass(frozen=True, slots=True)
class Due:
    """A subject whose term has passed, with the rule that says so."""

    subject: Subject
    rule: str
    term_started_on: date
    due_on: date


class Retention(Aggregate):
    """A tenant's retention terms, its selection list, and the subjects its terms shredded."""

    TOPIC = "Retention"

    class Event(Aggregate.Event):
        pass

    class Opened(Event, Aggregate.Created):
        TOPIC = "RetentionOpened.v1"
        tenant_id: str
        opened_by: str
        opened_at: datetime

    Created = Opened

    class TermsSet(Event):
        TOPIC = "RetentionTermsSet.v1"
        dossier_years: int
        set_by: str
        set_at: datetime

        def apply(self, aggregate: Retention) -> None:
            aggregate.dossier_years = self.dossier_years

    class SelectionListAdopted(Event):
        TOPIC = "SelectionListAdopted.v1"
        list_name: str
        adopted_on: date
        decision_years: int
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Retention) -> None:
            aggregate.selection_list = self.list_name
            aggregate.decision_years = self.decision_years

    class SubjectShredded(Event):
        TOPIC = "RetentionSubjectShredded.v1"
        subject_id: UUID
        kind: PersonalKind
        pupil_id: UUID
        stream_id: UUID
        rule: str
        term_started_on: date
        due_on: date
        shredded_on: date
        shredded_by: str
        shredded_at: datetime

        def apply(self, aggregate: Retention) -> None:
            aggregate.shredded.add(self.subject_id)

    def __init__(self, *, tenant_id: str, opened_by: str, opened_at: datetime) -> None:
        self.tenant_id = tenant_id
        self.dossier_years = DEFAULT_DOSSIER_YEARS
        self.decision_years: int | None = None
        self.selection_list: str | None = None
        self.shredded: set[UUID] = set()

    @classmethod
    def open(cls, *, tenant_id: str, by: str, at: datetime) -> Retention:
        return cls._create(
            cls.Opened,
            id=retention_stream_id(tenant_id),
            tenant_id=tenant_id,
            opened_by=by,
            opened_at=at,
            timestamp=at,
        )

    def set_terms(self, *, dossier_years: int, by: str, at: datetime) -> None:
        if dossier_years not in DOSSIER_YEARS:
            raise InvalidValueError(
                f"dossier_years must be from {DOSSIER_YEARS.start} to {DOSSIER_YEARS.stop - 1}: "
                "dossier data may be kept at most 3 years after the case closed",
                fields=("dossier_years",),
            )
        self.trigger_event(
            self.TermsSet, dossier_years=dossier_years, set_by=by, set_at=at, timestamp=at
        )

    def adopt_selection_list(
        self, *, list_name: str, adopted_on: date, decision_years: int, by: str, at: datetime
    ) -> None:
        if not list_name.strip():
            raise InvalidValueError(
                "list_name must name the adopted selection list", fields=("list_name",)
            )
        if decision_years not in DECISION_YEARS:
            raise InvalidValueError(
                f"decision_years must be from {DECISION_YEARS.start} to "
                f"{DECISION_YEARS.stop - 1}: decisions are kept at least the list's 7 years",
                fields=("decision_years",),
            )
        self.trigger_event(
            self.SelectionListAdopted,
            list_name=list_name.strip(),
            adopted_on=adopted_on,
            decision_years=decision_years,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def due(self, subjects: list[Subject], today: date) -> list[Due]:
        """Every subject not yet shredded whose term ended on or before ``today``."""
        by_pupil: dict[UUID, list[Subject]] = {}
        for subject in subjects:
            by_pupil.setdefault(subject.pupil_id, []).append(subject)
        found: list[Due] = []
        for subject in subjects:
            if subject.subject_id in self.shredded:
                continue
            if subject.kind is PersonalKind.SUBJECT:
                due = self._pupil_due(subject, by_pupil[subject.pupil_id])
            else:
                due = self._case_due(subject)
            if due is not None and due.due_on <= today:
                found.append(due)
        return found

    def term_of(self, subject: Subject, related: list[Subject]) -> tuple[str, date | None]:
        """The rule that keeps ``subject``, and the day its term ends (None: not yet known)."""
        due = (
            self._pupil_due(subject, related)
            if subject.kind is PersonalKind.SUBJECT
            else self._case_due(subject)
        )
        if due is not None:
            return due.rule, due.due_on
        if subject.kind is PersonalKind.DECISION and subject.closed_on is not None:
            return "decision: on legal hold until the tenant adopts a selection list", None
        if subject.kind is PersonalKind.SUBJECT:
            return "pupil: kept while a case is open or a decision is on legal hold", None
        return f"dossier: kept while the case is open, then {self.dossier_years} years", None

    def _case_due(self, subject: Subject) -> Due | None:
        if subject.closed_on is None:
            return None
        if subject.kind is PersonalKind.DOSSIER:
            years = self.dossier_years
            rule = f"dossier: {years} years after the case closed"
        elif self.decision_years is None:
            return None  # legal hold: no selection list adopted
        else:
            years = self.decision_years
            rule = f"decision: {years} years after the decision ({self.selection_list})"
        return Due(subject, rule, subject.closed_on, add_years(subject.closed_on, years))

    def _pupil_due(self, pupil: Subject, related: list[Subject]) -> Due | None:
        ends = [add_years(pupil.last_activity, self.dossier_years)]
        for other in related:
            if other is pupil or other.subject_id in self.shredded:
                continue
            term = self._case_due(other)
            if term is None:
                return None  # a case still open or on legal hold still names the pupil
            ends.append(term.due_on)
        due_on = max(ends)
        rule = (
            f"pupil: {self.dossier_years} years after the last activity, "
            "and none of its dossiers or decisions kept"
        )
        return Due(pupil, rule, pupil.last_activity, due_on)

    def record_shredded(self, due: Due, *, today: date, by: str, at: datetime) -> None:
        if due.subject.subject_id in self.shredded:
            return
        if due.due_on > today:
            raise InvalidValueError(
                f"subject {due.subject.subject_id} is not due until {due.due_on}",
                fields=("subject_id",),
            )
        subject = due.subject
        self.trigger_event(
            self.SubjectShredded,
            subject_id=subject.subject_id,
            kind=subject.kind,
            pupil_id=subject.pupil_id,
            stream_id=subject.stream_id,
            rule=due.rule,
            term_started_on=due.term_started_on,
            due_on=due.due_on,
            shredded_on=today,
            shredded_by=by,
            shredded_at=at,
            timestamp=at,
        )
