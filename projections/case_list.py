"""Staff's list of cases by status, school, kind, type and deadline, paged; no names in it.

Reads the ``school_caseload`` read model, which holds every case with pseudonymous ids, codes
and dates only; :func:`case_list_of` answers the same query from cases folded in memory (as of
a position of the log).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

import msgspec

from application.queries import Replayable
from domain.ids import TenantId
from infrastructure.database import Connection, tenant_read
from projections.cases import Case, CaseKind, CaseStatus, DeadlineKind
from projections.projection import view_name
from projections.school_caseload import TABLE

MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000


class CaseListEntry(msgspec.Struct, frozen=True, kw_only=True):
    case_id: UUID
    pupil_id: UUID
    kind: CaseKind
    type: str | None
    status: CaseStatus
    school_codes: list[str]
    opened_on: date
    next_deadline: date | None
    next_deadline_kind: DeadlineKind | None


class CaseList(Replayable, frozen=True, kw_only=True):
    page: int
    page_size: int
    total: int
    cases: list[CaseListEntry]


class CaseFilter(msgspec.Struct, frozen=True, kw_only=True):
    status: CaseStatus | None = None
    school: str | None = None
    kind: CaseKind | None = None
    type: str | None = None
    due_by: date | None = None


_WHERE = """
 WHERE tenant_id = $1
   AND ($2::text IS NULL OR status = $2)
   AND ($3::text IS NULL OR school_codes @> ARRAY[$3::text])
   AND ($4::text IS NULL OR kind = $4)
   AND ($5::text IS NULL OR subject = $5)
   AND ($6::date IS NULL OR next_deadline <= $6)
"""
_PAGE = f"""
SELECT case_id, pupil_id, kind, subject, status, school_codes, opened_on, next_deadline,
       next_deadline_kind, count(*) OVER () AS total
  FROM {view_name(TABLE)} {_WHERE}
 ORDER BY next_deadline NULLS LAST, opened_on, case_id
 LIMIT $7 OFFSET $8
"""  # noqa: S608 - the view name is a checked identifier


async def fetch_case_list(
    conn: Connection, tenant_id: TenantId, where: CaseFilter, *, page: int, page_size: int
) -> CaseList:
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(
            _PAGE,
            tenant_id,
            where.status,
            where.school,
            where.kind,
            where.type,
            where.due_by,
            page_size,
            (page - 1) * page_size,
        )
    return CaseList(
        page=page,
        page_size=page_size,
        total=rows[0]["total"] if rows else 0,
        cases=[
            CaseListEntry(
                case_id=r["case_id"],
                pupil_id=r["pupil_id"],
                kind=CaseKind(r["kind"]),
                type=r["subject"],
                status=CaseStatus(r["status"]),
                school_codes=list(r["school_codes"]),
                opened_on=r["opened_on"],
                next_deadline=r["next_deadline"],
                next_deadline_kind=DeadlineKind(r["next_deadline_kind"])
                if r["next_deadline_kind"]
                else None,
            )
            for r in rows
        ],
    )


def _entry(case: Case) -> CaseListEntry:
    due = case.next_deadline()
    return CaseListEntry(
        case_id=case.case_id,
        pupil_id=case.pupil_id,
        kind=case.kind,
        type=case.subject,
        status=case.status,
        school_codes=list(case.school_codes),
        opened_on=case.opened_on,
        next_deadline=due.due_on if due else None,
        next_deadline_kind=due.kind if due else None,
    )


def _wanted(entry: CaseListEntry, where: CaseFilter) -> bool:
    return (
        where.status in {None, entry.status}
        and (where.school is None or where.school in entry.school_codes)
        and where.kind in {None, entry.kind}
        and where.type in {None, entry.type}
        and (
            where.due_by is None
            or (entry.next_deadline is not None and entry.next_deadline <= where.due_by)
        )
    )


def case_list_of(
    cases: Iterable[Case], where: CaseFilter, *, page: int, page_size: int
) -> CaseList:
    """What :func:`fetch_case_list` reads, from folded cases, in the query's order."""
    wanted = [e for e in map(_entry, cases) if _wanted(e, where)]
    wanted.sort(
        key=lambda e: (
            e.next_deadline is None,
            e.next_deadline or e.opened_on,
            e.opened_on,
            e.case_id,
        )
    )
    start = (page - 1) * page_size
    return CaseList(
        page=page, page_size=page_size, total=len(wanted), cases=wanted[start : start + page_size]
    )
