"""Marks event fields that hold personal data, and whose data key encrypts them.

Use as ``name: Annotated[str, PERSONAL]``. Fields are grouped by how long the law lets them be
kept, each group under its own data key, so that one group can be shredded when its term ends
while another is still kept:

- ``PERSONAL``: the subject's own details (a pupil's name and date of birth), under the key of
  the event's ``pupil_id`` when it has one, else of the stream it belongs to;
- ``DOSSIER``: what a case file holds about the child (questions, advices, notes), under the
  key of the case's stream: kept for a term after the case closed (domain.md §1.12);
- ``DECISION``: the reasons of a beschikking, under a key of the case's decisions: on legal
  hold until the tenant has adopted a selection list.

All personal fields of one event belong to one group.
"""

from __future__ import annotations

import typing
from enum import StrEnum
from typing import Annotated, Final, get_origin
from uuid import UUID, uuid5


class PersonalKind(StrEnum):
    SUBJECT = "subject"
    DOSSIER = "dossier"
    DECISION = "decision"


class PersonalData:
    """Annotation marker: the annotated field holds personal data of this kind."""

    def __init__(self, kind: PersonalKind = PersonalKind.SUBJECT) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return "PERSONAL" if self.kind is PersonalKind.SUBJECT else self.kind.value.upper()


PERSONAL: Final = PersonalData()
DOSSIER: Final = PersonalData(PersonalKind.DOSSIER)
DECISION: Final = PersonalData(PersonalKind.DECISION)


def personal_fields(event_class: type) -> dict[str, PersonalKind]:
    """The personal fields of an event class and their kinds."""
    hints = typing.get_type_hints(event_class, include_extras=True)
    return {
        name: marker.kind
        for name, hint in hints.items()
        if get_origin(hint) is Annotated
        for marker in hint.__metadata__
        if isinstance(marker, PersonalData)
    }


def personal_kind(event_class: type) -> PersonalKind | None:
    """The one kind of personal data an event class holds; None if it holds none."""
    kinds = set(personal_fields(event_class).values())
    if len(kinds) > 1:
        raise TypeError(
            f"{event_class.__qualname__} mixes personal data of kinds {sorted(kinds)}: "
            "one event's personal fields share one data key"
        )
    return kinds.pop() if kinds else None


def key_subject(kind: PersonalKind, stream_id: UUID, pupil_id: UUID | None) -> UUID:
    """Whose data key encrypts personal data of ``kind`` in an event of ``stream_id``."""
    if kind is PersonalKind.SUBJECT:
        return pupil_id if pupil_id is not None else stream_id
    if kind is PersonalKind.DOSSIER:
        return stream_id
    return uuid5(stream_id, "decision")
