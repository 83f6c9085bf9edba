"""Read model ``school_caseload``: per school, its pupils' open cases and what is due next.

A case shows in the caseload of the school that submitted its request (and a TLV also at the
school where it was redeemed), as the API's access rules have it. Open cases are undecided
requests, TLVs that are issued or redeemed, arrangements not ended early, objections not yet
decided, and written registrations still waiting for a place (the zorgplicht term). Whether a
TLV or arrangement still runs, and what is overdue, depends on the day: the query takes it.
Rows hold pseudonymous ids, codes and dates only: shredding a pupil leaves nothing to purge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import groupby
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from application.ports import RecordedEvent
from application.queries import Replayable
from domain.ids import TenantId
from infrastructure.database import Connection, tenant_read
from projections.cases import (
    Case,
    CaseKind,
    CaseStatus,
    Deadline,
    DeadlineKind,
    cases_to_load,
    fold_page,
)
from projections.projection import TableNames, view_name

Row = Mapping[str, Any] | asyncpg.Record
"""A row as the query returns it, or as an in-memory read makes it."""
TABLE = "school_caseload"

# The last day an open case is on a caseload: a TLV's or arrangement's end, which no event
# marks (an ended one stays is_open), other kinds until they close. An expression, not a
# column: the query reads the active build while a rebuild of another version is made, and
# `projections rebuild --tenant` copies rows with SELECT *, which a generated column refuses.
# No COALESCE: under row-level security a condition is an index condition only if PostgreSQL
# knows it leaks nothing, and it does not count COALESCE among those (CASE and IS NULL it does),
# so with COALESCE the index served the tenant alone and every ended case was read and dropped.
_CURRENT_UNTIL = """(CASE WHEN kind NOT IN ('TLV', 'ARRANGEMENT') THEN 'infinity'::date
      WHEN ends_on IS NULL THEN '-infinity'::date ELSE ends_on END)"""

_DDL = """
CREATE TABLE {table} (
  tenant_id          text    NOT NULL,
  case_id            uuid    NOT NULL,
  kind               text    NOT NULL,
  pupil_id           uuid    NOT NULL,
  school_codes       text[]  NOT NULL,
  subject            text,
  status             text    NOT NULL,
  is_open            boolean NOT NULL,
  opened_on          date    NOT NULL,
  ends_on            date,
  next_deadline      date,
  next_deadline_kind text,
  state              jsonb   NOT NULL,
  PRIMARY KEY (tenant_id, case_id)
)
"""


class SchoolCaseloadProjection:
    name = "school_caseload"
    version = 6
    tables = (TABLE,)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        table = tables[TABLE]
        # The tenant's current cases, filtered by school: an index on the school codes alone
        # finds every tenant's cases of a code, which the planner combined with the tenant's
        # and row-level security then threw away (117 ms at 150 tenants, 2M events). By
        # the last day a case is current too, since ended TLVs and arrangements stay open:
        # with (tenant_id) alone a decade's history read four times the rows of two years'
        # (10M events: the caseload's p50 13-14 ms against 8 at 2M).
        return [
            _DDL.format(table=table),
            f"CREATE INDEX ON {table} (tenant_id, {_CURRENT_UNTIL}) WHERE is_open",
        ]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        table = tables[TABLE]
        ids = cases_to_load(tenant_id, events)
        if not ids:
            return
        rows = await conn.fetch(
            f"SELECT state FROM {table} WHERE tenant_id = $1 AND case_id = ANY($2::uuid[])",  # noqa: S608
            tenant_id,
            ids,
        )
        page = fold_page(tenant_id, events, (r[0] for r in rows))
        if page.cases:
            columns = zip(*map(_row, page.cases, page.deadlines, page.states), strict=True)
            await conn.execute(_UPSERT.format(table=table), tenant_id, *map(list, columns))


# One statement a page, the cases as arrays: a row each (executemany) cost the server a bind
# and an execute per case. The schools are the request's and the redeeming one's, if any.
_UPSERT = """
INSERT INTO {table} AS t (tenant_id, case_id, kind, pupil_id, school_codes, subject, status,
                          is_open, opened_on, ends_on, next_deadline, next_deadline_kind, state)
SELECT $1, id, kind, pupil, array_remove(ARRAY[school, redeemed_at], NULL), subject, status,
       open, opened_on, ends_on, due_on, due_kind, state
  FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::bool[], $10::date[], $11::date[], $12::date[], $13::text[],
              $14::jsonb[])
       AS u(id, kind, pupil, school, redeemed_at, subject, status, open, opened_on, ends_on,
            due_on, due_kind, state)
ON CONFLICT (tenant_id, case_id) DO UPDATE
   SET school_codes = excluded.school_codes, subject = excluded.subject,
       status = excluded.status, is_open = excluded.is_open, opened_on = excluded.opened_on,
       ends_on = excluded.ends_on, next_deadline = excluded.next_deadline,
       next_deadline_kind = excluded.next_deadline_kind, state = excluded.state
"""


def _row(case: Case, deadlines: list[Deadline], state: bytes) -> tuple[object, ...]:
    due = case.next_deadline(deadlines)
    return (
        case.case_id,
        case.kind,
        case.pupil_id,
        case.school_code,
        case.redeemed_at or None,  # as Case.school_codes: an empty one names no school
        case.subject,
        case.status,
        case.is_open,
        case.opened_on,
        case.ends_on,
        due.due_on if due else None,
        due.kind if due else None,
        state,
    )


class CaseloadEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One open case; ``overdue`` when its next act was due before the day asked about."""

    case_id: UUID
    kind: CaseKind
    subject: str | None
    status: CaseStatus
    opened_on: date
    ends_on: date | None
    next_deadline: date | None
    next_deadline_kind: DeadlineKind | None
    overdue: bool


class PupilCaseload(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    next_deadline: date | None
    cases: list[CaseloadEntry]


class SchoolCaseload(Replayable, frozen=True, kw_only=True):
    """A school's pupils with open cases, the most urgent pupil first."""

    school_code: str
    as_of: date
    pupils: list[PupilCaseload]


_QUERY = f"""
SELECT pupil_id, case_id, kind, subject, status, opened_on, ends_on, next_deadline,
       next_deadline_kind
  FROM {view_name(TABLE)}
 WHERE is_open AND {_CURRENT_UNTIL} >= $2 AND school_codes @> ARRAY[$1::text]
 ORDER BY pupil_id, next_deadline NULLS LAST, kind, case_id
"""  # noqa: S608 - the view name is a checked identifier


async def fetch_school_caseload(
    conn: Connection, tenant_id: TenantId, school_code: str, *, as_of: date
) -> SchoolCaseload:
    """The school's caseload as of ``as_of``: TLVs and arrangements that ended are left out."""
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(_QUERY, school_code, as_of)
    return _caseload(rows, school_code, as_of)


def caseload_of(cases: Iterable[Case], school_code: str, *, as_of: date) -> SchoolCaseload:
    """The caseload from folded cases, as ``fetch_school_caseload`` reads it from the table."""
    rows = sorted(
        (
            _columns(case)
            for case in cases
            if case.is_open
            and school_code in case.school_codes
            and (
                case.kind not in {CaseKind.TLV, CaseKind.ARRANGEMENT}
                or (case.ends_on is not None and case.ends_on >= as_of)
            )
        ),
        key=lambda row: (
            row["pupil_id"],
            row["next_deadline"] is None,
            row["next_deadline"] or as_of,
            row["kind"],
            row["case_id"],
        ),
    )
    return _caseload(rows, school_code, as_of)


def _columns(case: Case) -> dict[str, Any]:
    """A case as the query's columns."""
    due = case.next_deadline()
    return {
        "pupil_id": case.pupil_id,
        "case_id": case.case_id,
        "kind": case.kind,
        "subject": case.subject,
        "status": case.status,
        "opened_on": case.opened_on,
        "ends_on": case.ends_on,
        "next_deadline": due.due_on if due else None,
        "next_deadline_kind": due.kind if due else None,
    }


def _caseload(rows: Sequence[Row], school_code: str, as_of: date) -> SchoolCaseload:
    pupils = []
    for pupil_id, group in groupby(rows, key=lambda row: row["pupil_id"]):
        cases = [_entry(row, as_of) for row in group]
        dates = [c.next_deadline for c in cases if c.next_deadline is not None]
        pupils.append(
            PupilCaseload(pupil_id=pupil_id, next_deadline=min(dates, default=None), cases=cases)
        )
    pupils.sort(key=lambda p: (p.next_deadline is None, p.next_deadline or as_of, str(p.pupil_id)))
    return SchoolCaseload(school_code=school_code, as_of=as_of, pupils=pupils)


def _entry(row: Row, as_of: date) -> CaseloadEntry:
    deadline_kind = DeadlineKind(row["next_deadline_kind"]) if row["next_deadline_kind"] else None
    due: date | None = row["next_deadline"]
    return CaseloadEntry(
        case_id=row["case_id"],
        kind=CaseKind(row["kind"]),
        subject=row["subject"],
        status=CaseStatus(row["status"]),
        opened_on=row["opened_on"],
        ends_on=row["ends_on"],
        next_deadline=due,
        next_deadline_kind=deadline_kind,
        overdue=deadline_kind is not None
        and deadline_kind.is_act
        and due is not None
        and due < as_of,
    )
