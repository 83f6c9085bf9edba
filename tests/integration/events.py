"""Builders of sample events for the event store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg

from application.ports import EventMetadata, NewEvent
from domain.ids import TenantId
from infrastructure.database import init_connection
from infrastructure.event_batches import prepare_batch
from infrastructure.event_store import APPEND_SQL, PostgresEventStore, append_arguments
from infrastructure.field_encryption import new_data_key
from tests.sample_aggregate import Note, open_note

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
META = EventMetadata(actor="user:test")


def note_events(
    count: int, *, note_id: UUID | None = None, author: str = "Anna", text: str = "x"
) -> list[NewEvent]:
    """A new note stream: its creation and ``count - 1`` writes."""
    note = open_note(note_id or uuid4(), T0, author=author)
    for index in range(count - 1):
        note.write(f"{text}{index}", timestamp=T0 + timedelta(minutes=index + 1))
    return [NewEvent(uuid4(), event) for event in note.collect_events()]


def more_events(note: Note, count: int) -> list[NewEvent]:
    for index in range(count):
        note.write(f"more{index}", timestamp=T0 + timedelta(hours=index + 1))
    return [NewEvent(uuid4(), event) for event in note.collect_events()]


async def append_without_commit(
    conn: asyncpg.Connection, store: PostgresEventStore, tenant: TenantId, events: list[NewEvent]
) -> asyncpg.transaction.Transaction:
    """Run the store's append statement in a transaction that is left open."""
    await init_connection(conn)
    prepared = prepare_batch(
        store.codec,
        tenant,
        events,
        expected_version=0,
        metadata=META,
        recorded_at=T0,
        data_keys={events[0].event.originator_id: new_data_key()},
    )
    transaction = conn.transaction()
    await transaction.start()
    await conn.fetch(APPEND_SQL, *append_arguments(tenant, prepared))
    return transaction
