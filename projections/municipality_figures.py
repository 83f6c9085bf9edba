"""Read model ``municipality_figures``: counts per municipality of residence and month.

Requests by type and outcome, decisions within and past their term, arrangements by type (how
many, and their hours or euro cents), TLVs by type and category, objections by timeliness and
outcome. A fact counts for the municipality the pupil lived in when it was recorded.

Privacy (domain.md §1.10): no pupil id, case id, name or date of birth is stored here, not even
in a helper table. The residence a fact needs is looked up in the tenant's own event log, read
up to the event being applied: the pupil's last ``PupilRegistered`` / ``PupilResidenceChanged``
before it. That keeps rebuilds equal to incremental updates (the log before a position never
changes) without a per-pupil table a join could re-identify. The same look-up finds a request's
type and an arrangement's type when a later event of the stream needs them. The look-up reads
the v1 payload fields ``municipality_code``, ``arrangement_type``, ``tlv_type`` and ``unit``;
it refuses any other schema version, so a new event version fails loudly here until this model
learns it. The table holds exact counts; queries publish counts from 1 to 4 as ``"<5"`` and
leave out the amounts of such cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from domain.arrangement import Arrangement
from domain.ids import TenantId
from domain.objection import Objection
from domain.support_request import SupportRequest
from domain.tlv import Tlv
from infrastructure.database import Connection, tenant_transaction
from projections.projection import TableNames, view_name

TABLE = "municipality_figures"
SUPPRESSED: Literal["<5"] = "<5"
SUPPRESS_BELOW = 5

_DDL = """
CREATE TABLE {table} (
  tenant_id         text    NOT NULL,
  municipality_code text    NOT NULL,
  month             date    NOT NULL,
  metric            text    NOT NULL,
  subject           text    NOT NULL,
  detail            text    NOT NULL,
  count             integer NOT NULL,
  amount            bigint  NOT NULL,
  PRIMARY KEY (tenant_id, municipality_code, month, metric, subject, detail)
)
"""


class Metric(StrEnum):
    """What a cell counts; ``subject`` and ``detail`` say which kind of it."""

    REQUESTS_SUBMITTED = "REQUESTS_SUBMITTED"  # subject: request type
    REQUESTS_DECIDED = "REQUESTS_DECIDED"  # subject: request type; detail: GRANTED/REFUSED
    DECISIONS_IN_TERM = "DECISIONS_IN_TERM"  # detail: WITHIN_TERM/PAST_TERM
    ARRANGEMENTS_GRANTED = "ARRANGEMENTS_GRANTED"  # subject: type; detail: HOURS/EUROS
    ARRANGEMENTS_EXTENDED = "ARRANGEMENTS_EXTENDED"  # subject: type; detail: HOURS/EUROS
    TLVS_GRANTED = "TLVS_GRANTED"  # subject: SBO/SO/VSO; detail: LOW/MEDIUM/HIGH or empty
    OBJECTIONS_LODGED = "OBJECTIONS_LODGED"  # subject: TLV type or ARRANGEMENT; detail: timing
    OBJECTIONS_DECIDED = "OBJECTIONS_DECIDED"  # detail: UPHELD/PARTLY_UPHELD/REJECTED


_NEEDS_RESIDENCE = (
    SupportRequest.Submitted,
    SupportRequest.Granted,
    SupportRequest.Refused,
    Arrangement.Granted,
    Arrangement.Extended,
    Tlv.Granted,
    Objection.Lodged,
    Objection.Decided,
)
_NEEDS_STREAM_TYPE = (SupportRequest.Granted, SupportRequest.Refused, Arrangement.Extended)

_LOOKUP = """
SELECT u.ord, r.event_type AS residence_type, r.schema_version AS residence_version,
       r.municipality_code, f.event_type AS first_type, f.schema_version AS first_version,
       f.arrangement_type, f.tlv_type, f.unit
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
               e.payload ->> 'tlv_type' AS tlv_type, e.payload ->> 'unit' AS unit
          FROM public.events e
         WHERE e.tenant_id = $1 AND e.stream_id = u.stream AND e.stream_version = 1) f ON true
 ORDER BY u.ord
"""

_UPSERT = """
INSERT INTO {table} AS t (tenant_id, municipality_code, month, metric, subject, detail, count,
                          amount)
SELECT $1, m, mo, me, s, d, c, a
  FROM unnest($2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::int[],
              $8::bigint[]) AS u(m, mo, me, s, d, c, a)
ON CONFLICT (tenant_id, municipality_code, month, metric, subject, detail) DO UPDATE
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


_Key = tuple[str, date, Metric, str, str]


class MunicipalityFiguresProjection:
    name = "municipality_figures"
    version = 1
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
        counted = [r for r in events if isinstance(r.event, _NEEDS_RESIDENCE)]
        if not counted:
            return
        facts = await _look_up(conn, tenant_id, counted)
        cells: defaultdict[_Key, list[int]] = defaultdict(lambda: [0, 0])
        for recorded, known in zip(counted, facts, strict=True):
            for metric, when, subject, detail, amount in _figures(recorded.event, known):
                cell = cells[
                    (known.municipality_code, when.replace(day=1), metric, subject, detail)
                ]
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
            )
        )
    return facts


def _pupil_of(recorded: RecordedEvent) -> UUID:
    pupil_id: UUID = recorded.event.pupil_id  # type: ignore[attr-defined]
    return pupil_id


def _request_type(tlv_type: str | None, arrangement_type: str | None) -> str:
    return f"TLV-{tlv_type}" if tlv_type else arrangement_type or ""


_Figure = tuple[Metric, date, str, str, int]


def _figures(event: object, known: _Facts) -> list[_Figure]:  # noqa: PLR0911 - one per event type
    match event:
        case SupportRequest.Submitted():
            kind = _request_type(event.tlv_type, event.arrangement_type)
            return [(Metric.REQUESTS_SUBMITTED, event.received_on, kind, "", 0)]
        case SupportRequest.Granted() | SupportRequest.Refused():
            outcome = "GRANTED" if isinstance(event, SupportRequest.Granted) else "REFUSED"
            term = "WITHIN_TERM" if event.decided_within_term else "PAST_TERM"
            kind = known.request_type or ""
            return [
                (Metric.REQUESTS_DECIDED, event.decided_on, kind, outcome, 0),
                (Metric.DECISIONS_IN_TERM, event.decided_on, "", term, 0),
            ]
        case Arrangement.Granted():
            figure = (event.arrangement_type, event.unit.value, event.amount)
            return [(Metric.ARRANGEMENTS_GRANTED, event.decided_on, *figure)]
        case Arrangement.Extended():
            figure = (known.arrangement_type or "", known.unit or "", event.amount_added)
            return [(Metric.ARRANGEMENTS_EXTENDED, event.decided_on, *figure)]
        case Tlv.Granted():
            category = event.funding_category.value if event.funding_category else ""
            return [(Metric.TLVS_GRANTED, event.issued_on, event.tlv_type.value, category, 0)]
        case Objection.Lodged():
            contested = event.tlv_type.value if event.tlv_type else "ARRANGEMENT"
            timing = "IN_TIME" if event.in_time else "LATE"
            return [(Metric.OBJECTIONS_LODGED, event.received_on, contested, timing, 0)]
        case Objection.Decided():
            return [(Metric.OBJECTIONS_DECIDED, event.decided_on, "", event.outcome.value, 0)]
    return []


class Granularity(StrEnum):
    MONTH = "month"
    SCHOOL_YEAR = "school_year"  # 1 August to 31 July, e.g. "2024-2025"


PublishedCount = int | Literal["<5"]


def published_count(count: int) -> PublishedCount:
    """``count``, or ``"<5"`` for 1 to 4: a handful of pupils in a municipality is findable."""
    return SUPPRESSED if 0 < count < SUPPRESS_BELOW else count


class FigureCell(msgspec.Struct, frozen=True, kw_only=True):
    """One count; ``amount`` (hours or euro cents, as ``detail`` says) only for arrangements."""

    period: str
    metric: Metric
    subject: str | None
    detail: str | None
    count: PublishedCount
    amount: int | None


class MunicipalityFigures(msgspec.Struct, frozen=True, kw_only=True):
    municipality_code: str
    granularity: Granularity
    suppressed_below: int
    cells: list[FigureCell]


_PERIOD = {
    Granularity.MONTH: "to_char(month, 'YYYY-MM')",
    Granularity.SCHOOL_YEAR: (
        "to_char(month - interval '7 months', 'YYYY') || '-'"
        " || to_char(month + interval '5 months', 'YYYY')"
    ),
}
_QUERY = f"""
SELECT {{period}} AS period, metric, subject, detail, sum(count)::bigint AS count,
       sum(amount)::bigint AS amount
  FROM {view_name(TABLE)}
 WHERE municipality_code = $1
 GROUP BY 1, metric, subject, detail
 ORDER BY 1, metric, subject, detail
"""  # noqa: S608 - the view name is a checked identifier, the period one of two expressions

_WITH_AMOUNTS = frozenset({Metric.ARRANGEMENTS_GRANTED, Metric.ARRANGEMENTS_EXTENDED})


async def fetch_municipality_figures(
    conn: Connection,
    tenant_id: TenantId,
    municipality_code: str,
    *,
    granularity: Granularity = Granularity.SCHOOL_YEAR,
) -> MunicipalityFigures:
    """The municipality's figures per period, small counts suppressed; nothing about a pupil."""
    async with tenant_transaction(conn, tenant_id):
        rows = await conn.fetch(_QUERY.format(period=_PERIOD[granularity]), municipality_code)
    cells = []
    for row in rows:
        metric, count = Metric(row["metric"]), row["count"]
        published = published_count(count)
        shows_amount = metric in _WITH_AMOUNTS and published == count
        cells.append(
            FigureCell(
                period=row["period"],
                metric=metric,
                subject=row["subject"] or None,
                detail=row["detail"] or None,
                count=published,
                amount=row["amount"] if shows_amount else None,
            )
        )
    return MunicipalityFigures(
        municipality_code=municipality_code,
        granularity=granularity,
        suppressed_below=SUPPRESS_BELOW,
        cells=cells,
    )
