"""A read model for the runner's tests: how many events each note stream has.

It is deliberately not idempotent (it adds to a counter), so an event applied twice shows up
as a wrong count, and it counts its own calls, so work done and rolled back shows up too.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from application.ports import RecordedEvent
from domain.ids import TenantId
from infrastructure.database import Connection, Pool, tenant_transaction
from projections.projection import TableNames, view_name
from tests.sample_aggregate import Note


class NoteCounts:
    def __init__(
        self, name: str | None = None, *, version: int = 1, fail_on_text: str | None = None
    ) -> None:
        self.name = name or f"note_counts_{secrets.token_hex(4)}"
        self.version = version
        self.tables = (self.name,)
        self.fail_on_text = fail_on_text
        self.calls: Counter[TenantId] = Counter()

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        table = tables[self.name]
        extra = ", first_position bigint" if self.version > 1 else ""
        ddl = (
            f"CREATE TABLE {table} (tenant_id text NOT NULL, stream_id uuid NOT NULL,"
            f" events integer NOT NULL, last_position bigint NOT NULL{extra},"
            " PRIMARY KEY (tenant_id, stream_id))"
        )
        return [ddl]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        self.calls[tenant_id] += len(events)
        counts: Counter[UUID] = Counter()
        last: dict[UUID, int] = {}
        for recorded in events:
            event = recorded.event
            if isinstance(event, Note.Written) and event.text == self.fail_on_text:
                raise ValueError(f"cannot count a note that says {event.text!r}")
            counts[recorded.stream_id] += 1
            last[recorded.stream_id] = recorded.position
        table = tables[self.name]
        await conn.execute(
            f"INSERT INTO {table} AS t (tenant_id, stream_id, events, last_position)"  # noqa: S608
            " SELECT $1, s, n, p FROM unnest($2::uuid[], $3::int[], $4::bigint[]) AS u(s, n, p)"
            " ON CONFLICT (tenant_id, stream_id) DO UPDATE"
            " SET events = t.events + excluded.events, last_position = excluded.last_position",
            tenant_id,
            list(counts),
            list(counts.values()),
            [last[stream] for stream in counts],
        )


async def fetch_note_counts(pool: Pool, name: str, tenant_id: TenantId) -> dict[UUID, int]:
    """The query a real read model would offer: through the view, so the active build."""
    async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
        rows = await conn.fetch(f"SELECT stream_id, events FROM {view_name(name)}")  # noqa: S608
    return {row["stream_id"]: row["events"] for row in rows}
