"""Bodies and views of pupils."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import Replayable
from domain.pupil import Pupil


class GuardianView(msgspec.Struct, frozen=True):
    guardian_id: UUID
    has_authority: bool


class PupilState(msgspec.Struct, frozen=True, kw_only=True):
    """``name`` and ``date_of_birth`` are null for callers who may not see them."""

    name: str | None
    date_of_birth: date | None
    municipality_code: str
    school_code: str | None
    registered_at_school: str | None
    zorgplicht_deadline: date | None
    zorgplicht_extended: bool
    guardians: list[GuardianView]
    left_on: date | None
    data_shredded: bool

    @classmethod
    def of(cls, pupil: Pupil, *, personal: bool) -> PupilState:
        return cls(
            name=pupil.name if personal else None,
            date_of_birth=pupil.date_of_birth if personal else None,
            municipality_code=pupil.municipality_code,
            school_code=pupil.school_code,
            registered_at_school=pupil.registered_at_school,
            zorgplicht_deadline=pupil.zorgplicht_deadline,
            zorgplicht_extended=pupil.zorgplicht_extended,
            guardians=[GuardianView(g, a) for g, a in pupil.guardians.items()],
            left_on=pupil.left_on,
            data_shredded=pupil.data_shredded,
        )


class PupilEvent(EventView, frozen=True):
    """An event of a pupil."""

    aggregate = Pupil


class PupilRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: PupilState
    events: list[PupilEvent]
