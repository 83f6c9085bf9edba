"""Builders of sample events for the event store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.ports import EventMetadata, NewEvent
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
