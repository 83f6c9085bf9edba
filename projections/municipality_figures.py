"""Read model ``municipality_figures``: counts per municipality of residence and month.

Requests by type, decisions by type, outcome, term and (for TLVs) funding category, arrangements
by type (how many, and their hours or euro cents), objections by timeliness and outcome, where
pupils went after VO/VSO (outflow), and the days from receipt to decision. A fact
counts for the municipality the pupil lived in when it was recorded, under exactly one key: no
published figure is the sum of others, so the only sums a reader can form are school year =
its months, which :mod:`projections.disclosure` protects.

Privacy (domain.md §1.10): no pupil id, case id, name or date of birth is stored here, not even
in a helper table. The residence a fact needs is looked up in the tenant's own event log, read
up to the event being applied: the pupil's last ``PupilRegistered`` / ``PupilResidenceChanged``
before it. That keeps rebuilds equal to incremental updates (the log before a position never
changes) without a per-pupil table a join could re-identify. The same look-up finds a request's
type and an arrangement's type when a later event of the stream needs them. The look-up reads
the v1 payload fields ``municipality_code``, ``arrangement_type``, ``tlv_type``, ``unit`` and
``received_on``;
it refuses any other schema version, so a new event version fails loudly here until this model
learns it. The table holds exact counts; queries publish them through the disclosure rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from application.queries import Replayable
from domain.arrangement import Arrangement
from domain.ids import TenantId
from domain.objection import Objection
from domain.pupil import Pupil
from domain.support_request import SupportRequest
from domain.transition import Outflow
from infrastructure.database import Connection, tenant_read
from projections.disclosure import SUPPRESS_BELOW, Counted, Visibility, protect
from projections.projection import EventFilter, TableNames, view_name

TABLE = "municipality_figures"
SUPPRESSED: Literal["<5"] = "<5"

_DDL = """
CREATE TABLE {table} (
  tenant_id         text    NOT NULL,
  municipality_code text    NOT NULL,
  month             date    NOT NULL,
  metric            text    NOT NULL,
  subject           text    NOT NULL,
  detail            text    NOT NULL,
  term              text    NOT NULL,
  category          text    NOT NULL,
  count             integer NOT NULL,
  amount            bigint  NOT NULL,
  PRIMARY KEY (tenant_id, municipality_code, month, metric, subject, detail, term, category)
)
"""


class Metric(StrEnum):
    """What a cell counts; ``subject`` and ``detail`` say which kind of it."""

    REQUESTS_SUBMITTED = "REQUESTS_SUBMITTED"  # subject: request type
    # subject: request type; detail: GRANTED/REFUSED; term: WITHIN_TERM/PAST_TERM; category: a
    # granted TLV's LOW/MEDIUM/HIGH. Decisions within term, TLVs granted by type and category
    # are sums of these cells: published as separate figures they would betray hidden ones.
    REQUESTS_DECIDED = "REQUESTS_DECIDED"
    ARRANGEMENTS_GRANTED = "ARRANGEMENTS_GRANTED"  # subject: type; detail: HOURS/EUROS
    ARRANGEMENTS_EXTENDED = "ARRANGEMENTS_EXTENDED"  # subject: type; detail: HOURS/EUROS
    OBJECTIONS_LODGED = "OBJECTIONS_LODGED"  # subject: TLV type or ARRANGEMENT; detail: timing
    OBJECTIONS_DECIDED = "OBJECTIONS_DECIDED"  # detail: UPHELD/PARTLY_UPHELD/REJECTED
    OUTFLOW = "OUTFLOW"  # subject: destination (ARBEID, DAGBESTEDING, VERVOLGONDERWIJS)
    # Every decision again, its days from receipt in ``amount``: published only as the mean
    # days (:class:`DecisionTime`), never as a count, which would be the sum of REQUESTS_DECIDED.
    DECISION_DAYS = "DECISION_DAYS"


_NEEDS_RESIDENCE = (
    SupportRequest.Submitted,
    SupportRequest.Granted,
    SupportRequest.Refused,
    Arrangement.Granted,
    Arrangement.Extended,
    Objection.Lodged,
    Objection.Decided,
    Outflow.Recorded,
)
_counted = EventFilter(*_NEEDS_RESIDENCE)
_NEEDS_STREAM_TYPE = (SupportRequest.Granted, SupportRequest.Refused, Arrangement.Extended)

_LOOKUP = """
SELECT u.ord, r.event_type AS residence_type, r.schema_version AS residence_version,
       r.municipality_code, f.event_type AS first_type, f.schema_version AS first_version,
       f.arrangement_type, f.tlv_type, f.unit, f.received_on
  FROM unnest($2::uuid[], $3::bigint[], $4::uuid[]) WITH ORDINALITY AS u(pupil, pos, stream, ord)
  LEFT JOIN LATERAL (
        SELECT e.event_type, e.schema_version,
               e.payload ->> 'municipality_code' AS municipality_code
          FROM public.events e
         WHERE e.tenant_id = $1 AND e.stream_id = u.pupil AND e.position < u.pos
           AND e.event_type IN ('PupilRegistered', 'PupilResidenceChanged')
         ORDER BY e.position DESC
         LIMIT 1) r ON true
  LEFT JOIN LATERAL (
        SELECT e.event_type, e.schema_version, e.payload ->> 'arrangement_type' AS arrangement_type,
               e.payload ->> 'tlv_type' AS tlv_type, e.payload ->> 'unit' AS unit,
               e.payload ->> 'received_on' AS received_on
          FROM public.events e
         WHERE e.tenant_id = $1 AND e.stream_id = u.stream AND e.stream_version = 1) f ON true
 ORDER BY u.ord
"""

_UPSERT = """
INSERT INTO {table} AS t (tenant_id, municipality_code, month, metric, subject, detail, term,
                          category, count, amount)
SELECT $1, m, mo, me, s, d, te, ca, c, a
  FROM unnest($2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::int[], $10::bigint[]) AS u(m, mo, me, s, d, te, ca, c, a)
ON CONFLICT (tenant_id, municipality_code, month, metric, subject, detail, term, category)
DO UPDATE
   SET count = t.count + excluded.count, amount = t.amount + excluded.amount
"""


class FiguresLookupError(ValueError):
    """The log does not say what a figure needs (or says it in a version not known here)."""


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the log said before an event: the pupil's residence, the stream's first event."""

    municipality_code: str
    request_type: str | None
    arrangement_type: str | None
    unit: str | None
    received_on: date | None = None


_Key = tuple[str, date, Metric, str, str, str, str]


class MunicipalityFiguresProjection:
    name = "municipality_figures"
    version = 3
    tables = (TABLE,)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        return [_DDL.format(table=tables[TABLE])]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        counted = [r for r in events if _counted(r.event)]
        if not counted:
            return
        facts = await _look_up(conn, tenant_id, counted)
        cells: defaultdict[_Key, list[int]] = defaultdict(lambda: [0, 0])
        for recorded, known in zip(counted, facts, strict=True):
            for metric, when, key, amount in _figures(recorded.event, known):
                cell = cells[(known.municipality_code, when.replace(day=1), metric, *key)]
                cell[0] += 1
                cell[1] += amount
        keys = list(cells)
        await conn.execute(
            _UPSERT.format(table=tables[TABLE]),
            tenant_id,
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2].value for k in keys],
            [k[3] for k in keys],
            [k[4] for k in keys],
            [k[5] for k in keys],
            [k[6] for k in keys],
            [cells[k][0] for k in keys],
            [cells[k][1] for k in keys],
        )


async def _look_up(
    conn: Connection, tenant_id: TenantId, counted: Sequence[RecordedEvent]
) -> list[_Facts]:
    rows = await conn.fetch(
        _LOOKUP,
        tenant_id,
        [_pupil_of(r) for r in counted],
        [r.position for r in counted],
        [r.stream_id for r in counted],
    )
    facts = []
    for recorded, row in zip(counted, rows, strict=True):
        if row["municipality_code"] is None or row["residence_version"] != 1:
            raise FiguresLookupError(
                f"no v1 residence of the pupil before position {recorded.position}"
            )
        needs_type = isinstance(recorded.event, _NEEDS_STREAM_TYPE)
        if needs_type and row["first_version"] != 1:
            raise FiguresLookupError(
                f"the stream of the event at position {recorded.position} does not start with a"
                " known v1 event"
            )
        tlv_type = row["tlv_type"]
        facts.append(
            _Facts(
                municipality_code=row["municipality_code"],
                request_type=_request_type(tlv_type, row["arrangement_type"]),
                arrangement_type=row["arrangement_type"],
                unit=row["unit"],
                received_on=_day(row["received_on"]),
            )
        )
    return facts


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _pupil_of(recorded: RecordedEvent) -> UUID:
    pupil_id: UUID = recorded.event.pupil_id  # type: ignore[attr-defined]
    return pupil_id


def _request_type(tlv_type: str | None, arrangement_type: str | None) -> str:
    return f"TLV-{tlv_type}" if tlv_type else arrangement_type or ""


_Figure = tuple[Metric, date, tuple[str, str, str, str], int]


def _figures(event: object, known: _Facts) -> list[_Figure]:  # noqa: PLR0911 - one per event type
    match event:
        case SupportRequest.Submitted():
            kind = _request_type(event.tlv_type, event.arrangement_type)
            return [(Metric.REQUESTS_SUBMITTED, event.received_on, (kind, "", "", ""), 0)]
        case SupportRequest.Granted() | SupportRequest.Refused():
            granted = isinstance(event, SupportRequest.Granted)
            category = event.funding_category if isinstance(event, SupportRequest.Granted) else None
            key = (
                known.request_type or "",
                "GRANTED" if granted else "REFUSED",
                "WITHIN_TERM" if event.decided_within_term else "PAST_TERM",
                category.value if category else "",
            )
            decided = [(Metric.REQUESTS_DECIDED, event.decided_on, key, 0)]
            if known.received_on is None:
                return decided
            days = (event.decided_on - known.received_on).days
            return [*decided, (Metric.DECISION_DAYS, event.decided_on, ("", "", "", ""), days)]
        case Arrangement.Granted():
            key = (event.arrangement_type, event.unit.value, "", "")
            return [(Metric.ARRANGEMENTS_GRANTED, event.decided_on, key, event.amount)]
        case Arrangement.Extended():
            key = (known.arrangement_type or "", known.unit or "", "", "")
            return [(Metric.ARRANGEMENTS_EXTENDED, event.decided_on, key, event.amount_added)]
        case Objection.Lodged():
            contested = event.tlv_type.value if event.tlv_type else "ARRANGEMENT"
            timing = "IN_TIME" if event.in_time else "LATE"
            return [(Metric.OBJECTIONS_LODGED, event.received_on, (contested, timing, "", ""), 0)]
        case Objection.Decided():
            key = ("", event.outcome.value, "", "")
            return [(Metric.OBJECTIONS_DECIDED, event.decided_on, key, 0)]
        case Outflow.Recorded():
            key = (event.destination.value, "", "", "")
            return [(Metric.OUTFLOW, event.left_on, key, 0)]
    return []


class Granularity(StrEnum):
    MONTH = "month"
    SCHOOL_YEAR = "school_year"  # 1 August to 31 July, e.g. "2024-2025"


PublishedCount = int | Literal["<5"]


class FigureCell(msgspec.Struct, frozen=True, kw_only=True):
    """One count: a number, or ``"<5"`` for 1 to 4 (see :mod:`projections.disclosure`).

    ``amount`` (hours or euro cents, as ``detail`` says) only for arrangements, and only where the
    count is published.
    """

    period: str
    metric: Metric
    subject: str | None
    detail: str | None
    term: str | None
    category: str | None
    count: PublishedCount
    amount: int | None


class DecisionTime(msgspec.Struct, frozen=True, kw_only=True):
    """The mean days from receipt to decision of a period's decisions; ``"<5"`` for 1 to 4.

    Periods are published and withheld as the cells are; the number of decisions is not
    published here (it is the sum of the REQUESTS_DECIDED cells).
    """

    period: str
    mean_days: int | Literal["<5"]


class MunicipalityFigures(Replayable, frozen=True, kw_only=True):
    municipality_code: str
    granularity: Granularity
    suppressed_below: int
    cells: list[FigureCell]
    time_to_decision: list[DecisionTime]


_QUERY = f"""
SELECT month, metric, subject, detail, term, category, count, amount
  FROM {view_name(TABLE)}
 WHERE municipality_code = $1
"""  # noqa: S608 - the view name is a checked identifier

_WITH_AMOUNTS = frozenset(
    {Metric.ARRANGEMENTS_GRANTED, Metric.ARRANGEMENTS_EXTENDED, Metric.DECISION_DAYS}
)
_CellKey = tuple[Metric, str, str, str, str]
_PUBLISHED_AS: dict[Visibility, PublishedCount] = {
    Visibility.SMALL: SUPPRESSED,
}


def school_year(month: date) -> str:
    """The school year (1 August to 31 July) a month falls in, e.g. ``"2024-2025"``."""
    first = month.year if month.month >= 8 else month.year - 1  # noqa: PLR2004 - August
    return f"{first}-{first + 1}"


def _cell(period: str, key: _CellKey, counted: Counted, seen: Visibility) -> FigureCell:
    metric, subject, detail, term, category = key
    shown = seen is Visibility.PUBLISHED
    return FigureCell(
        period=period,
        metric=metric,
        subject=subject or None,
        detail=detail or None,
        term=term or None,
        category=category or None,
        count=counted.count if shown else _PUBLISHED_AS[seen],
        amount=counted.amount if shown else None,
    )


def publish(
    months: dict[tuple[_CellKey, date], Counted], granularity: Granularity
) -> list[FigureCell]:
    """The cells of one municipality at ``granularity``, through the disclosure rules."""
    years: defaultdict[tuple[_CellKey, str], dict[date, Counted]] = defaultdict(dict)
    for (key, month), counted in months.items():
        years[key, school_year(month)][month] = counted
    cells = []
    for (key, year), its_months in sorted(years.items()):
        amounts = [c.amount for c in its_months.values()]
        total = Counted(
            sum(c.count for c in its_months.values()),
            sum(a or 0 for a in amounts) if key[0] in _WITH_AMOUNTS else None,
        )
        year_seen, months_seen = protect(total, its_months)
        if granularity is Granularity.SCHOOL_YEAR:
            cells.append(_cell(year, key, total, year_seen))
            continue
        cells.extend(
            _cell(month.strftime("%Y-%m"), key, its_months[month], seen)
            for month, seen in sorted(months_seen.items())
            if seen is not Visibility.WITHHELD
        )
    return sorted(cells, key=lambda c: (c.period, c.metric, c.subject or "", c.detail or ""))


def _municipality_figures(
    code: str, months: dict[tuple[_CellKey, date], Counted], granularity: Granularity
) -> MunicipalityFigures:
    """The published figures: the cells, and the days to decision as means only."""
    days = {k: c for k, c in months.items() if k[0][0] is Metric.DECISION_DAYS}
    others = {k: c for k, c in months.items() if k[0][0] is not Metric.DECISION_DAYS}
    return MunicipalityFigures(
        municipality_code=code,
        granularity=granularity,
        suppressed_below=SUPPRESS_BELOW,
        cells=publish(others, granularity),
        time_to_decision=[
            DecisionTime(
                period=cell.period,
                mean_days=round(cell.amount / cell.count)
                if isinstance(cell.count, int) and cell.amount is not None
                else SUPPRESSED,
            )
            for cell in publish(days, granularity)
        ],
    )


async def fetch_municipality_figures(
    conn: Connection,
    tenant_id: TenantId,
    municipality_code: str,
    *,
    granularity: Granularity = Granularity.SCHOOL_YEAR,
) -> MunicipalityFigures:
    """The municipality's figures per period through the disclosure rules; nothing of a pupil."""
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(_QUERY, municipality_code)
    months = {
        (
            (Metric(r["metric"]), r["subject"], r["detail"], r["term"], r["category"]),
            r["month"],
        ): Counted(r["count"], r["amount"] if Metric(r["metric"]) in _WITH_AMOUNTS else None)
        for r in rows
    }
    return _municipality_figures(municipality_code, months, granularity)


def figures_of(
    events: Iterable[RecordedEvent],
    municipality_code: str,
    *,
    granularity: Granularity = Granularity.SCHOOL_YEAR,
) -> MunicipalityFigures:
    """The figures folded in memory from ``events`` (a log prefix), as the table would hold them.

    The residences and first events the look-up finds in the log are kept as the fold passes
    them, in memory only: nothing of a pupil outlives the call.
    """
    residence: dict[UUID, str] = {}
    first: dict[UUID, object] = {}
    months: defaultdict[tuple[_CellKey, date], list[int]] = defaultdict(lambda: [0, 0])
    for recorded in events:
        event = recorded.event
        first.setdefault(recorded.stream_id, event)
        if isinstance(event, Pupil.Registered | Pupil.ResidenceChanged):
            residence[recorded.stream_id] = event.municipality_code
        if not isinstance(event, _NEEDS_RESIDENCE):
            continue
        lived_in = residence.get(_pupil_of(recorded))
        if lived_in is None:
            raise FiguresLookupError(
                f"no residence of the pupil before position {recorded.position}"
            )
        if lived_in != municipality_code:
            continue
        opened_with = first[recorded.stream_id]
        tlv_type, arrangement_type, unit, received_on = (
            _text(getattr(opened_with, name, None))
            for name in ("tlv_type", "arrangement_type", "unit", "received_on")
        )
        known = _Facts(
            municipality_code=lived_in,
            request_type=_request_type(tlv_type, arrangement_type),
            arrangement_type=arrangement_type,
            unit=unit,
            received_on=_day(received_on),
        )
        for metric, when, key, amount in _figures(event, known):
            cell = months[(metric, *key), when.replace(day=1)]
            cell[0] += 1
            cell[1] += amount
    counted = {
        key: Counted(count, amount if key[0][0] in _WITH_AMOUNTS else None)
        for key, (count, amount) in months.items()
    }
    return _municipality_figures(municipality_code, counted, granularity)


def _text(value: object) -> str | None:
    """A payload value as the look-up's ``payload ->> field`` reads it."""
    return None if value is None else str(msgspec.to_builtins(value))
