"""A small aggregate for the event store's tests, independent of the real domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.personal import PERSONAL


class Note(Aggregate):
    TOPIC = "TestNote"
    id: UUID

    class Created(Aggregate.Created):
        TOPIC = "TestNoteCreated.v1"

    class Event(Aggregate.Event):
        pass

    class Opened(Created):
        TOPIC = "TestNoteOpened.v1"
        title: str
        author_name: Annotated[str, PERSONAL]

    class Written(Event):
        TOPIC = "TestNoteWritten.v1"
        text: str

    @event(Opened)
    def __init__(self, title: str, author_name: str, timestamp: datetime) -> None:
        self.title = title
        self.author_name: str | None = author_name
        self.texts: list[str] = []

    @event(Written)
    def write(self, text: str, timestamp: datetime) -> None:
        self.texts.append(text)


def open_note(note_id: UUID, at: datetime, *, title: str = "t", author: str = "Anna") -> Note:
    return Note(id=note_id, title=title, author_name=author, timestamp=at)  # type: ignore[call-arg]
