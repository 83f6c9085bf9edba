"""Read model ``handovers``: a tenant's handovers to other SWVs and those that came in.

The fold is pure: one row per handover, outgoing (``Handover``) or incoming
(``IncomingHandover``), with the other SWV, the state and the dates; pseudonymous ids, codes
and dates only. What a handover carries is read on the handover itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from application.queries import Replayable
from domain.ids import TenantId
from domain.transition import Handover, HandoverState, IncomingHandover
from infrastructure.database import Connection, tenant_read
from projections.projection import EventFilter, TableNames, view_name

HANDOVERS = "handovers"
MAX_LIMIT = 1_000

_DDL = (
    """
CREATE TABLE {handovers} (
  tenant_id   text  NOT NULL,
  handover_id uuid  NOT NULL,
  state       jsonb NOT NULL,
  PRIMARY KEY (tenant_id, handover_id)
)
""",
)


class Direction(StrEnum):
    OUTGOING = "OUTGOING"
    INCOMING = "INCOMING"


class HandoverRow(msgspec.Struct, frozen=True, kw_only=True):
    handover_id: UUID
    direction: Direction
    pupil_id: UUID
    other_swv: str
    state: HandoverState
    consent_given_on: date
    answered_on: date | None = None


def evolve(  # noqa: PLR0911 - one branch per event type, flat on purpose
    row: HandoverRow | None, stream_id: UUID, event: object
) -> HandoverRow | None:
    """One handover's row after ``event`` (pure); None for events of other streams."""
    replace = msgspec.structs.replace
    match event:
        case Handover.Prepared():
            return HandoverRow(
                handover_id=stream_id,
                direction=Direction.OUTGOING,
                pupil_id=event.pupil_id,
                other_swv=event.receiving_swv,
                state=HandoverState.PREPARED,
                consent_given_on=event.consent_given_on,
            )
        case IncomingHandover.Received():
            return HandoverRow(
                handover_id=stream_id,
                direction=Direction.INCOMING,
                pupil_id=event.pupil_id,
                other_swv=event.sending_swv,
                state=HandoverState.DELIVERED,
                consent_given_on=event.consent_given_on,
            )
    if row is None:
        return None
    match event:
        case Handover.Delivered():
            return replace(row, state=HandoverState.DELIVERED)
        case Handover.Exported():
            return replace(row, state=HandoverState.EXPORTED)
        case Handover.Answered():
            state = HandoverState.ACCEPTED if event.accepted else HandoverState.DECLINED
            return replace(row, state=state, answered_on=event.answered_on)
        case IncomingHandover.Accepted():
            return replace(row, state=HandoverState.ACCEPTED, answered_on=event.accepted_on)
        case IncomingHandover.Declined():
            return replace(row, state=HandoverState.DECLINED, answered_on=event.declined_on)
    return row


def fold(rows: dict[UUID, HandoverRow], events: Iterable[RecordedEvent]) -> dict[UUID, HandoverRow]:
    changed: dict[UUID, HandoverRow] = {}
    for recorded in events:
        row = evolve(rows.get(recorded.stream_id), recorded.stream_id, recorded.event)
        if row is not None:
            rows[recorded.stream_id] = changed[recorded.stream_id] = row
    return changed


def _touches(recorded: RecordedEvent) -> bool:
    return _handover_event(recorded.event)


_handover_event = EventFilter(Handover.Event, IncomingHandover.Event)


_decoder = msgspec.json.Decoder(HandoverRow)
_encoder = msgspec.json.Encoder()


class HandoversProjection:
    name = "handovers"
    version = 1
    tables = (HANDOVERS,)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        return [ddl.format(handovers=tables[HANDOVERS]) for ddl in _DDL]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        page = [r for r in events if _touches(r)]
        if not page:
            return
        table = tables[HANDOVERS]
        found = await conn.fetch(
            f"SELECT state FROM {table} WHERE tenant_id = $1 AND handover_id = ANY($2::uuid[])",  # noqa: S608
            tenant_id,
            list({r.stream_id for r in page}),
        )
        rows = {row.handover_id: row for row in (_decoder.decode(r["state"]) for r in found)}
        changed = fold(rows, page)
        # one statement a page, the rows as arrays
        await conn.execute(
            f"INSERT INTO {table} (tenant_id, handover_id, state)"  # noqa: S608
            " SELECT $1, * FROM unnest($2::uuid[], $3::jsonb[])"
            " ON CONFLICT (tenant_id, handover_id) DO UPDATE SET state = excluded.state",
            tenant_id,
            [row.handover_id for row in changed.values()],
            [_encoder.encode(row) for row in changed.values()],
        )


class HandoverList(Replayable, frozen=True, kw_only=True):
    items: list[HandoverRow]


async def fetch_handovers(
    conn: Connection, tenant_id: TenantId, *, direction: Direction | None, limit: int
) -> HandoverList:
    """The tenant's handovers, the latest consent first."""
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(f"SELECT state FROM {view_name(HANDOVERS)}")  # noqa: S608
    return handover_list(
        (_decoder.decode(r["state"]) for r in rows), direction=direction, limit=limit
    )


def handover_list(
    items: Iterable[HandoverRow], *, direction: Direction | None, limit: int
) -> HandoverList:
    """The handovers in one direction or both, the latest consent first (pure)."""
    wanted = [i for i in items if direction in {None, i.direction}]
    wanted.sort(key=lambda i: (i.consent_given_on, str(i.handover_id)), reverse=True)
    return HandoverList(items=wanted[:limit])
