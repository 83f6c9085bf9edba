"""Read model ``deadlines_due``: per tenant, every date something falls due, for the loket.

Decision terms (Awb, moved on by suspensions), objection terms, LBT requests, TLV redemption
and end dates, arrangement ends and zorgplicht terms, computed with ``domain.deadlines`` from
the facts in the events. The projector stores dates only; which of them are overdue depends on
the day, so the query takes it. Acts not done by their date are overdue; a term that has ended
(an objection term, a TLV's or an arrangement's end) simply drops out of the list.

Table ``deadline_cases`` keeps each case's folded state; ``deadlines_due`` has one row per case
and kind of deadline, which is what the query sorts by date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any
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
    Deadline,
    DeadlineKind,
    cases_to_load,
    fold_page,
)
from projections.projection import TableNames, view_name

Row = Mapping[str, Any] | asyncpg.Record
"""A row as the query returns it, or as an in-memory read makes it."""
CASES = "deadline_cases"
DEADLINES = "deadlines_due"
MAX_LIMIT = 5_000
DEFAULT_LIMIT = 100
"""The list's page unless the caller asks for more (up to ``MAX_LIMIT``), as the other lists'
of this API: every pupil on it is named in the read's access-log entry, and 500, the page
before, was a third of the API's CPU for that read at 2M events (#16)."""

_DDL = (
    """
CREATE TABLE {cases} (
  tenant_id text  NOT NULL,
  case_id   uuid  NOT NULL,
  state     jsonb NOT NULL,
  PRIMARY KEY (tenant_id, case_id)
)
""",
    """
CREATE TABLE {deadlines} (
  tenant_id   text NOT NULL,
  case_id     uuid NOT NULL,
  kind        text NOT NULL,
  due_on      date NOT NULL,
  case_kind   text NOT NULL,
  pupil_id    uuid NOT NULL,
  school_code text NOT NULL,
  subject     text,
  PRIMARY KEY (tenant_id, case_id, kind)
)
""",
    "CREATE INDEX ON {deadlines} (tenant_id, due_on)",
)


class DeadlinesDueProjection:
    name = "deadlines_due"
    version = 2
    tables = (CASES, DEADLINES)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        return [ddl.format(cases=tables[CASES], deadlines=tables[DEADLINES]) for ddl in _DDL]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        ids = cases_to_load(tenant_id, events)
        if not ids:
            return
        cases, deadlines = tables[CASES], tables[DEADLINES]
        rows = await conn.fetch(
            f"SELECT state FROM {cases} WHERE tenant_id = $1 AND case_id = ANY($2::uuid[])",  # noqa: S608
            tenant_id,
            ids,
        )
        page = fold_page(tenant_id, events, (r[0] for r in rows))
        if not page.cases:
            return
        changed = [case.case_id for case in page.cases]
        # one statement a table, the rows as arrays (a statement a row cost a bind and an
        # execute each): the changed cases, then their deadlines replaced
        await conn.execute(
            f"INSERT INTO {cases} (tenant_id, case_id, state)"  # noqa: S608
            " SELECT $1, * FROM unnest($2::uuid[], $3::jsonb[])"
            " ON CONFLICT (tenant_id, case_id) DO UPDATE SET state = excluded.state",
            tenant_id,
            changed,
            page.states,
        )
        await conn.execute(
            f"DELETE FROM {deadlines} WHERE tenant_id = $1 AND case_id = ANY($2::uuid[])",  # noqa: S608
            tenant_id,
            changed,
        )
        due = [
            _row(case, d)
            for case, of_case in zip(page.cases, page.deadlines, strict=True)
            for d in of_case
        ]
        if due:
            await conn.execute(
                f"INSERT INTO {deadlines} (tenant_id, case_id, kind, due_on, case_kind,"  # noqa: S608
                " pupil_id, school_code, subject) SELECT $1, * FROM unnest($2::uuid[],"
                " $3::text[], $4::date[], $5::text[], $6::uuid[], $7::text[], $8::text[])",
                tenant_id,
                *map(list, zip(*due, strict=True)),
            )


def _row(case: Case, due: Deadline) -> tuple[object, ...]:
    return (
        case.case_id,
        due.kind,
        due.due_on,
        case.kind,
        case.pupil_id,
        case.school_code,
        case.subject,
    )


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


class DueItem(msgspec.Struct, frozen=True, kw_only=True):
    """One date something falls due on one case; ``overdue`` when an act is past its date."""

    due_on: date
    kind: DeadlineKind
    overdue: bool
    case_id: UUID
    case_kind: CaseKind
    pupil_id: UUID
    school_code: str | None  # None: an absence case of a pupil enrolled nowhere
    subject: str | None


TRUNCATED = (
    "True when more items match than `limit` gave: the list stops at the limit, in the order"
    " asked, and leaves the rest out. Ask again with a larger `limit` (at most 5000), or"
    " narrow the list with `until` or `kind` (an earlier `until` lists the first days in"
    " full), until it is false."
)


class DeadlinesDue(Replayable, frozen=True, kw_only=True):
    as_of: date
    until: date | None
    items: list[DueItem]
    truncated: Annotated[bool, msgspec.Meta(description=TRUNCATED)] = False


_QUERY = f"""
SELECT due_on, kind, case_id, case_kind, pupil_id, school_code, subject
  FROM {view_name(DEADLINES)}
 WHERE (due_on >= $1 OR kind = ANY($2::text[]))
   AND ($3::date IS NULL OR due_on <= $3)
   AND ($4::text[] IS NULL OR kind = ANY($4::text[]))
 ORDER BY due_on {{order}}, kind, case_id
 LIMIT $5
"""  # noqa: S608 - the view name is a checked identifier, the order one of two keywords

_ACTS = [kind.value for kind in DeadlineKind if kind.is_act]


async def fetch_deadlines_due(  # noqa: PLR0913 - the filters of one list
    conn: Connection,
    tenant_id: TenantId,
    *,
    as_of: date,
    until: date | None = None,
    kinds: Sequence[DeadlineKind] | None = None,
    order: Order = Order.ASC,
    limit: int = DEFAULT_LIMIT,
) -> DeadlinesDue:
    """What falls due up to ``until`` (or ever), overdue acts included, sorted by date."""
    async with tenant_read(conn, tenant_id):
        return await deadlines_due_in(
            conn, as_of=as_of, until=until, kinds=kinds, order=order, limit=limit
        )


async def deadlines_due_in(  # noqa: PLR0913 - the filters of one list
    conn: Connection,
    *,
    as_of: date,
    until: date | None = None,
    kinds: Sequence[DeadlineKind] | None = None,
    order: Order = Order.ASC,
    limit: int = DEFAULT_LIMIT,
) -> DeadlinesDue:
    """:func:`fetch_deadlines_due` in the tenant transaction ``conn`` is in."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    query = _QUERY.format(order="DESC" if order is Order.DESC else "ASC")
    wanted = None if kinds is None else [kind.value for kind in kinds]
    rows = await conn.fetch(query, as_of, _ACTS, until, wanted, limit + 1)  # one more: truncated?
    return DeadlinesDue(
        as_of=as_of,
        until=until,
        items=[_item(row, as_of) for row in rows[:limit]],
        truncated=len(rows) > limit,
    )


def deadlines_of(  # noqa: PLR0913 - the filters of one list, as fetch_deadlines_due
    cases: Iterable[Case],
    *,
    as_of: date,
    until: date | None = None,
    kinds: Sequence[DeadlineKind] | None = None,
    order: Order = Order.ASC,
    limit: int = DEFAULT_LIMIT,
) -> DeadlinesDue:
    """The list from folded cases, as ``fetch_deadlines_due`` reads it from the table."""
    rows = [
        _columns(case, due)
        for case in cases
        for due in case.deadlines()
        if (due.due_on >= as_of or due.kind.is_act)
        and (until is None or due.due_on <= until)
        and (kinds is None or due.kind in kinds)
    ]
    rows.sort(key=lambda row: (row["kind"], row["case_id"]))
    rows.sort(key=lambda row: row["due_on"], reverse=order is Order.DESC)  # stable: ties as SQL
    return DeadlinesDue(
        as_of=as_of,
        until=until,
        items=[_item(row, as_of) for row in rows[:limit]],
        truncated=len(rows) > limit,
    )


def _columns(case: Case, due: Deadline) -> dict[str, Any]:
    """One deadline of a case as the query's columns."""
    return {
        "due_on": due.due_on,
        "kind": due.kind,
        "case_id": case.case_id,
        "case_kind": case.kind,
        "pupil_id": case.pupil_id,
        "school_code": case.school_code,
        "subject": case.subject,
    }


def _item(row: Row, as_of: date) -> DueItem:
    kind = DeadlineKind(row["kind"])
    return DueItem(
        due_on=row["due_on"],
        kind=kind,
        overdue=kind.is_act and row["due_on"] < as_of,
        case_id=row["case_id"],
        case_kind=CaseKind(row["case_kind"]),
        pupil_id=row["pupil_id"],
        school_code=row["school_code"],
        subject=row["subject"],
    )
