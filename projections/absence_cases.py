"""Read model ``absence_cases``: thuiszitters per tenant, their signals, the monthly overview.

The fold is pure: a page of events turns the tenant's settings (school holidays, the
Thuiszitterspact months, from the Swv stream) and the absence cases it touches into their new
states. When the settings change, every open case's signals are computed again. Signals are
stored as dates (``absence_signals``), for the deadlines the loket sees, with whether Passend
recorded them as reached; the monthly overview counts from the folded states. Each case carries
the municipality its pupil lives in as the log knows it (``absence_pupils`` keeps the residence;
a move updates the pupil's open cases), for the thuiszitters per municipality. The states hold
pseudonymous ids, codes and dates only.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from application.queries import Replayable
from domain.absence import (
    AbsenceCase,
    AbsenceEnd,
    AbsenceFacts,
    AbsenceKind,
    AbsenceSignal,
    Holiday,
    absence_signals,
    long_term_absence_from,
    thuiszitterspact_signal_on,
)
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.swv import THUISZITTERSPACT_MONTHS, Swv
from infrastructure.database import Connection, tenant_read
from projections.cases import CaseKind, DeadlineKind
from projections.deadlines_due import DeadlinesDue, DueItem, Order, deadlines_due_in
from projections.disclosure import SUPPRESS_BELOW
from projections.municipality_figures import SUPPRESSED, PublishedCount
from projections.projection import EventFilter, TableNames, view_name

SETTINGS = "absence_settings"
CASES = "absence_cases"
SIGNALS = "absence_signals"
PUPILS = "absence_pupils"

_DDL = (
    """
CREATE TABLE {settings} (
  tenant_id text  NOT NULL PRIMARY KEY,
  state     jsonb NOT NULL
)
""",
    """
CREATE TABLE {cases} (
  tenant_id text    NOT NULL,
  case_id   uuid    NOT NULL,
  pupil_id  uuid    NOT NULL,
  open      boolean NOT NULL,
  state     jsonb   NOT NULL,
  PRIMARY KEY (tenant_id, case_id)
)
""",
    "CREATE INDEX ON {cases} (tenant_id, pupil_id)",
    """
CREATE TABLE {pupils} (
  tenant_id         text NOT NULL,
  pupil_id          uuid NOT NULL,
  municipality_code text NOT NULL,
  PRIMARY KEY (tenant_id, pupil_id)
)
""",
    """
CREATE TABLE {signals} (
  tenant_id   text NOT NULL,
  case_id     uuid NOT NULL,
  signal      text NOT NULL,
  due_on      date NOT NULL,
  pupil_id    uuid NOT NULL,
  school_code text,
  reached     boolean NOT NULL,
  PRIMARY KEY (tenant_id, case_id, signal)
)
""",
    "CREATE INDEX ON {signals} (tenant_id, due_on)",
)


class AbsenceSettingsState(msgspec.Struct, kw_only=True):
    holidays: dict[int, tuple[Holiday, ...]] = msgspec.field(default_factory=dict)
    pact_months: int = THUISZITTERSPACT_MONTHS

    @property
    def all_holidays(self) -> tuple[Holiday, ...]:
        return tuple(h for year in sorted(self.holidays) for h in self.holidays[year])


class AbsenceState(msgspec.Struct, kw_only=True):
    """One case's facts as far as the log has told them."""

    case_id: UUID
    pupil_id: UUID
    school_code: str | None
    kind: AbsenceKind
    absent_since: date
    completely_absent: bool
    reported_on: date
    municipality_code: str | None = None
    """Where the pupil lives, as the log knows it (while the case is open)."""
    hours_by_week: dict[date, int] = msgspec.field(default_factory=dict)
    reported_to_duo: bool = False
    offer_made_on: date | None = None
    ended_on: date | None = None
    end: AbsenceEnd | None = None
    reached: dict[AbsenceSignal, date] = msgspec.field(default_factory=dict)
    """The signals Passend recorded as reached, with their day."""

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    def signals(self, settings: AbsenceSettingsState) -> dict[AbsenceSignal, date]:
        if not self.is_open:
            return {}
        facts = AbsenceFacts(
            absent_since=self.absent_since,
            completely_absent=self.completely_absent,
            hours_by_week=self.hours_by_week,
            reported_to_duo=self.reported_to_duo,
            offer_made=self.offer_made_on is not None,
        )
        return absence_signals(
            facts, holidays=settings.all_holidays, pact_months=settings.pact_months
        )


@dataclass
class AbsenceBook:
    """The tenant's settings and the cases a page touches, folded forward."""

    settings: AbsenceSettingsState
    cases: dict[UUID, AbsenceState]
    residences: dict[UUID, str] = field(default_factory=dict)
    """Where the page's pupils live; a move is applied to the pupil's open cases."""
    changed: set[UUID] = field(default_factory=set)
    changed_pupils: set[UUID] = field(default_factory=set)
    settings_changed: bool = False

    def fold(self, events: Iterable[RecordedEvent]) -> None:
        for recorded in events:
            self._apply(recorded.stream_id, recorded.event)

    def _apply(self, stream_id: UUID, event: object) -> None:
        replace = msgspec.structs.replace
        match event:
            case Swv.SchoolHolidaysSet():
                self.settings.holidays[event.school_year] = event.holidays
                self.settings_changed = True
                return
            case Swv.ThuiszitterspactSignalSet():
                self.settings.pact_months = event.months
                self.settings_changed = True
                return
            case Pupil.Registered() | Pupil.ResidenceChanged():
                self._move(stream_id, event.municipality_code)
                return
            case AbsenceCase.Reported():
                case = AbsenceState(
                    case_id=stream_id,
                    pupil_id=event.pupil_id,
                    school_code=event.school_code,
                    kind=event.kind,
                    absent_since=event.absent_since,
                    completely_absent=event.completely_absent,
                    reported_on=event.reported_on,
                    municipality_code=self.residences.get(event.pupil_id),
                )
            case AbsenceCase.HoursReported():
                hours = {
                    **self._case(stream_id).hours_by_week,
                    event.week: event.unauthorised_hours,
                }
                case = replace(self._case(stream_id), hours_by_week=hours)
            case AbsenceCase.ReportedToDuo():
                case = replace(self._case(stream_id), reported_to_duo=True)
            case AbsenceCase.PlanRecorded():
                before = self._case(stream_id)
                offered = before.offer_made_on or (event.agreed_on if event.offer_made else None)
                case = replace(before, offer_made_on=offered)
            case AbsenceCase.Closed():
                case = replace(self._case(stream_id), ended_on=event.ended_on, end=event.end)
            case AbsenceCase.SignalReached():
                before = self._case(stream_id)
                case = replace(before, reached={**before.reached, event.signal: event.due_on})
            case _:
                return
        self.cases[stream_id] = case
        self.changed.add(stream_id)

    def _move(self, pupil_id: UUID, municipality_code: str) -> None:
        self.residences[pupil_id] = municipality_code
        self.changed_pupils.add(pupil_id)
        for case in list(self.cases.values()):
            if case.pupil_id == pupil_id and case.is_open:
                self.cases[case.case_id] = msgspec.structs.replace(
                    case, municipality_code=municipality_code
                )
                self.changed.add(case.case_id)

    def _case(self, case_id: UUID) -> AbsenceState:
        try:
            return self.cases[case_id]
        except KeyError:
            raise LookupError(f"no absence case {case_id} in this tenant's log") from None


def touches(recorded: RecordedEvent) -> bool:
    return _touching(recorded.event)


_touching = EventFilter(
    AbsenceCase.Event,
    Swv.SchoolHolidaysSet,
    Swv.ThuiszitterspactSignalSet,
    Pupil.Registered,
    Pupil.ResidenceChanged,
)


def _settings_change(recorded: RecordedEvent) -> bool:
    return isinstance(recorded.event, Swv.SchoolHolidaysSet | Swv.ThuiszitterspactSignalSet)


_settings_decoder = msgspec.json.Decoder(AbsenceSettingsState)
_case_decoder = msgspec.json.Decoder(AbsenceState)
_encoder = msgspec.json.Encoder()


class AbsenceCasesProjection:
    name = "absence_cases"
    version = 2
    tables = (SETTINGS, CASES, SIGNALS, PUPILS)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        names = {
            "settings": tables[SETTINGS],
            "cases": tables[CASES],
            "signals": tables[SIGNALS],
            "pupils": tables[PUPILS],
        }
        return [ddl.format(**names) for ddl in _DDL]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        page = [r for r in events if touches(r)]
        if not page:
            return
        settings_table, cases_table = tables[SETTINGS], tables[CASES]
        row = await conn.fetchval(
            f"SELECT state FROM {settings_table} WHERE tenant_id = $1",  # noqa: S608
            tenant_id,
        )
        settings = AbsenceSettingsState() if row is None else _settings_decoder.decode(row)
        if any(_settings_change(r) for r in page):
            rows = await conn.fetch(
                f"SELECT state FROM {cases_table} WHERE tenant_id = $1 AND open",  # noqa: S608
                tenant_id,
            )
        else:
            moved = [r.stream_id for r in page if isinstance(r.event, Pupil.ResidenceChanged)]
            rows = await conn.fetch(
                f"SELECT state FROM {cases_table}"  # noqa: S608
                " WHERE tenant_id = $1 AND (case_id = ANY($2::uuid[])"
                " OR (open AND pupil_id = ANY($3::uuid[])))",
                tenant_id,
                list({r.stream_id for r in page}),
                moved,
            )
        reporting = [r.event.pupil_id for r in page if isinstance(r.event, AbsenceCase.Reported)]
        residences = {
            r["pupil_id"]: r["municipality_code"]
            for r in await conn.fetch(
                f"SELECT pupil_id, municipality_code FROM {tables[PUPILS]}"  # noqa: S608
                " WHERE tenant_id = $1 AND pupil_id = ANY($2::uuid[])",
                tenant_id,
                reporting,
            )
        }
        book = AbsenceBook(
            settings,
            {c.case_id: c for c in (_case_decoder.decode(r["state"]) for r in rows)},
            residences,
        )
        book.fold(page)
        if book.settings_changed:
            await conn.execute(
                f"INSERT INTO {settings_table} (tenant_id, state) VALUES ($1, $2)"  # noqa: S608
                " ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state",
                tenant_id,
                _encoder.encode(book.settings),
            )
        # one statement a table and page, the rows as arrays
        await conn.execute(
            f"INSERT INTO {tables[PUPILS]} (tenant_id, pupil_id, municipality_code)"  # noqa: S608
            " SELECT $1, * FROM unnest($2::uuid[], $3::text[]) ON CONFLICT (tenant_id, pupil_id)"
            " DO UPDATE SET municipality_code = excluded.municipality_code",
            tenant_id,
            list(book.changed_pupils),
            [book.residences[p] for p in book.changed_pupils],
        )
        recompute = set(book.cases) if book.settings_changed else book.changed
        await self._write(conn, tenant_id, tables, book, recompute)

    async def _write(
        self,
        conn: Connection,
        tenant_id: TenantId,
        tables: TableNames,
        book: AbsenceBook,
        recompute: set[UUID],
    ) -> None:
        cases = [book.cases[case_id] for case_id in recompute]
        await conn.execute(
            f"INSERT INTO {tables[CASES]} (tenant_id, case_id, pupil_id, open, state)"  # noqa: S608
            " SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::bool[], $5::jsonb[])"
            " ON CONFLICT (tenant_id, case_id)"
            " DO UPDATE SET open = excluded.open, state = excluded.state",
            tenant_id,
            [c.case_id for c in cases],
            [c.pupil_id for c in cases],
            [c.is_open for c in cases],
            [_encoder.encode(c) for c in cases],
        )
        await conn.execute(
            f"DELETE FROM {tables[SIGNALS]} WHERE tenant_id = $1"  # noqa: S608
            " AND case_id = ANY($2::uuid[])",
            tenant_id,
            list(recompute),
        )
        signals = [
            (c.case_id, signal.value, due_on, c.pupil_id, c.school_code, signal in c.reached)
            for c in cases
            for signal, due_on in c.signals(book.settings).items()
        ]
        if signals:
            await conn.execute(
                f"INSERT INTO {tables[SIGNALS]} (tenant_id, case_id, signal, due_on, pupil_id,"  # noqa: S608
                " school_code, reached) SELECT $1, * FROM unnest($2::uuid[], $3::text[],"
                " $4::date[], $5::uuid[], $6::text[], $7::bool[])",
                tenant_id,
                *map(list, zip(*signals, strict=True)),
            )


# Queries


class AbsenceSignalDue(msgspec.Struct, frozen=True, kw_only=True):
    signal: AbsenceSignal
    due_on: date
    case_id: UUID
    pupil_id: UUID
    school_code: str | None


_SIGNALS_DUE = f"""
SELECT signal, due_on, case_id, pupil_id, school_code FROM {view_name(SIGNALS)}
 WHERE ($1::date IS NULL OR due_on <= $1)
   AND ($2::text[] IS NULL OR signal = ANY($2::text[]))
 ORDER BY due_on {{order}}, signal, case_id
 LIMIT $3
"""  # noqa: S608 - the view name is a checked identifier, the order one of two keywords


async def fetch_deadlines_with_signals(  # noqa: PLR0913 - the filters of one list
    conn: Connection,
    tenant_id: TenantId,
    *,
    as_of: date,
    until: date | None,
    kinds: Sequence[DeadlineKind] | None,
    order: Order,
    limit: int,
) -> DeadlinesDue:
    """The deadlines list with every signal of an open case due by ``until`` among them.

    Both read in one tenant transaction: one BEGIN, tenant setting and COMMIT rather than two
    of each, three round trips of the list's nine. A signal stays listed once its day has
    passed: it asks for an act until the case changes.
    """
    # filtered by kind before the limit and sorted as the list is, so that the limit keeps
    # the signals that come first in the list, not the earliest of every kind
    query = _SIGNALS_DUE.format(order="DESC" if order is Order.DESC else "ASC")
    wanted = None if kinds is None else [kind.value for kind in kinds]
    async with tenant_read(conn, tenant_id):
        due = await deadlines_due_in(
            conn, as_of=as_of, until=until, kinds=kinds, order=order, limit=limit
        )
        # one more: the list is truncated
        rows = await conn.fetch(query, until, wanted, limit + 1)
    signals = [
        AbsenceSignalDue(
            signal=AbsenceSignal(r["signal"]),
            due_on=r["due_on"],
            case_id=r["case_id"],
            pupil_id=r["pupil_id"],
            school_code=r["school_code"],
        )
        for r in rows
    ]
    return with_absence_signals(due, signals, order=order, limit=limit)


class AbsenceMonth(msgspec.Struct, frozen=True, kw_only=True):
    """One month's thuiszitters: counts of cases, no pupil data."""

    month: str  # "2025-09"
    open_at_end: int
    relatief: int
    absoluut: int
    langdurig_relatief: int
    """Enrolled and completely absent for 4 school weeks or more at the end of the month."""
    past_thuiszitterspact: int
    """Open at the end of the month, past the tenant's pact months without an offer (policy)."""
    reported: int
    closed: int


class MonthlyAbsenceOverview(Replayable, frozen=True, kw_only=True):
    school_year: int
    thuiszitterspact_months: int
    months: list[AbsenceMonth]


def months_of(school_year: int) -> list[tuple[date, date]]:
    """The first and last day of each month of a school year, August to July."""
    result = []
    for offset in range(12):
        year, month = school_year + (offset + 7) // 12, (offset + 7) % 12 + 1
        result.append(
            (date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        )
    return result


def monthly_overview(
    school_year: int, settings: AbsenceSettingsState, cases: Iterable[AbsenceState]
) -> MonthlyAbsenceOverview:
    """The monthly overview an SWV reports, from the folded cases (pure)."""
    cases = list(cases)
    holidays = settings.all_holidays
    long_term: Mapping[UUID, date | None] = {
        c.case_id: long_term_absence_from(c.absent_since, holidays)
        if c.completely_absent and c.kind is AbsenceKind.RELATIEF
        else None
        for c in cases
    }
    months = []
    for first, last in months_of(school_year):
        open_ = [
            c for c in cases if c.absent_since <= last and (c.ended_on is None or c.ended_on > last)
        ]
        langdurig = [c for c in open_ if (d := long_term[c.case_id]) is not None and d <= last]
        past_pact = [
            c
            for c in open_
            if thuiszitterspact_signal_on(c.absent_since, settings.pact_months) <= last
            and (c.offer_made_on is None or c.offer_made_on > last)
        ]
        months.append(
            AbsenceMonth(
                month=f"{first:%Y-%m}",
                open_at_end=len(open_),
                relatief=sum(c.kind is AbsenceKind.RELATIEF for c in open_),
                absoluut=sum(c.kind is AbsenceKind.ABSOLUUT for c in open_),
                langdurig_relatief=len(langdurig),
                past_thuiszitterspact=len(past_pact),
                reported=sum(first <= c.reported_on <= last for c in cases),
                closed=sum(c.ended_on is not None and first <= c.ended_on <= last for c in cases),
            )
        )
    return MonthlyAbsenceOverview(
        school_year=school_year, thuiszitterspact_months=settings.pact_months, months=months
    )


async def fetch_monthly_overview(
    conn: Connection, tenant_id: TenantId, school_year: int, *, municipality_code: str | None = None
) -> MonthlyAbsenceOverview:
    """The tenant's monthly overview, or that of the cases of pupils living in one municipality.

    These are exact counts: what is published per municipality goes through
    :func:`thuiszitters_in`.
    """
    async with tenant_read(conn, tenant_id):
        settings_row = await conn.fetchval(f"SELECT state FROM {view_name(SETTINGS)}")  # noqa: S608
        rows = await conn.fetch(f"SELECT state FROM {view_name(CASES)}")  # noqa: S608
    settings = (
        AbsenceSettingsState() if settings_row is None else _settings_decoder.decode(settings_row)
    )
    cases = (_case_decoder.decode(r["state"]) for r in rows)
    return overview_of(school_year, settings, cases, municipality_code=municipality_code)


def overview_of(
    school_year: int,
    settings: AbsenceSettingsState,
    cases: Iterable[AbsenceState],
    *,
    municipality_code: str | None = None,
) -> MonthlyAbsenceOverview:
    """The overview of the cases open in the school year (of one municipality's pupils) (pure)."""
    first, last = date(school_year, 8, 1), date(school_year + 1, 7, 31)
    return monthly_overview(
        school_year,
        settings,
        [
            c
            for c in cases
            if c.absent_since <= last
            and (c.ended_on is None or c.ended_on >= first)
            and (municipality_code is None or c.municipality_code == municipality_code)
        ],
    )


class MunicipalityThuiszitters(msgspec.Struct, frozen=True, kw_only=True):
    """One month's thuiszitters living in a municipality, counts 1 to 4 published as ``"<5"``.

    Two figures per month, neither the sum of published others: the open cases at the end of
    the month, and those of them past the tenant's Thuiszitterspact months without an offer.
    """

    month: str
    open_at_end: PublishedCount
    past_thuiszitterspact: PublishedCount


def published(count: int) -> PublishedCount:
    """A count as the municipal figures publish it: 0, 5 or more, or ``"<5"`` for 1 to 4."""
    return count if count == 0 or count >= SUPPRESS_BELOW else SUPPRESSED


def thuiszitters_in(overview: MonthlyAbsenceOverview) -> list[MunicipalityThuiszitters]:
    """A municipality's monthly overview as it may be published: no small counts."""
    return [
        MunicipalityThuiszitters(
            month=m.month,
            open_at_end=published(m.open_at_end),
            past_thuiszitterspact=published(m.past_thuiszitterspact),
        )
        for m in overview.months
    ]


async def cases_with_signals_to_record(
    conn: Connection, tenant_id: TenantId, *, on: date
) -> list[UUID]:
    """The open cases with a signal due on ``on`` or before that Passend has not recorded yet."""
    query = (
        f"SELECT DISTINCT case_id FROM {view_name(SIGNALS)}"  # noqa: S608
        " WHERE due_on <= $1 AND NOT reached ORDER BY case_id"
    )
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(query, on)
    return [r["case_id"] for r in rows]


def signals_due(
    book: AbsenceBook,
    *,
    until: date | None,
    kinds: Sequence[DeadlineKind] | None,
    order: Order,
    limit: int,
) -> list[AbsenceSignalDue]:
    """The signals :func:`fetch_deadlines_with_signals` reads, from a book folded in memory."""
    due = [
        AbsenceSignalDue(
            signal=signal,
            due_on=due_on,
            case_id=case.case_id,
            pupil_id=case.pupil_id,
            school_code=case.school_code,
        )
        for case in book.cases.values()
        for signal, due_on in case.signals(book.settings).items()
        if (until is None or due_on <= until)
        and (kinds is None or DeadlineKind(signal.value) in kinds)
    ]
    due.sort(key=lambda s: (s.signal.value, str(s.case_id)))
    due.sort(key=lambda s: s.due_on, reverse=order is Order.DESC)  # stable: ties as SQL
    return due[:limit]


def with_absence_signals(
    due: DeadlinesDue, signals: Iterable[AbsenceSignalDue], *, order: Order, limit: int
) -> DeadlinesDue:
    """The deadlines list with the absence signals among them, in its order, to its limit.

    ``signals`` are those of the list's kinds, in its order, at most ``limit + 1``, as
    :func:`signals_due` and the query of :func:`fetch_deadlines_with_signals` give them.
    """
    items = list(due.items)
    items.extend(
        DueItem(
            due_on=s.due_on,
            kind=DeadlineKind(s.signal.value),
            overdue=s.due_on < due.as_of,
            case_id=s.case_id,
            case_kind=CaseKind.ABSENCE,
            pupil_id=s.pupil_id,
            school_code=s.school_code,
            subject=None,
        )
        for s in signals
    )
    # as the SQL sorts each: by date as asked, ties by kind and case ascending either way
    items.sort(key=lambda i: (i.kind.value, str(i.case_id)))
    items.sort(key=lambda i: i.due_on, reverse=order is Order.DESC)  # stable: ties as SQL
    truncated = due.truncated or len(items) > limit
    return msgspec.structs.replace(due, items=items[:limit], truncated=truncated)
