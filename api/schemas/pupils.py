"""Bodies and views of pupils."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView, RequestBody
from domain.pupil import LeavingReason, Pupil


class RegisterPupilBody(RequestBody, frozen=True, kw_only=True):
    """``school_code``: the school the pupil is enrolled at; a school caller's own by default.

    ``municipality_code`` is one of the SWV's municipalities, unless ``lives_outside_region``
    says the pupil lives across its border (then it is not one of them).
    """

    name: str
    date_of_birth: date
    municipality_code: str
    school_code: str | None = None
    enrolled_on: date | None = None
    lives_outside_region: bool = False


class CorrectPupilDetailsBody(RequestBody, frozen=True, kw_only=True):
    name: str
    date_of_birth: date


class ChangeResidenceBody(RequestBody, frozen=True, kw_only=True):
    municipality_code: str
    moved_on: date | None = None
    lives_outside_region: bool = False


class SchoolRegistrationBody(RequestBody, frozen=True, kw_only=True):
    school_code: str
    registered_on: date | None = None


class EnrolmentBody(RequestBody, frozen=True, kw_only=True):
    school_code: str
    enrolled_on: date | None = None


class AddGuardianBody(RequestBody, frozen=True, kw_only=True):
    guardian_id: UUID
    has_authority: bool


class GuardianAuthorityBody(RequestBody, frozen=True, kw_only=True):
    has_authority: bool


class LeavingBody(RequestBody, frozen=True, kw_only=True):
    reason: LeavingReason
    left_on: date | None = None


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


class PupilRead(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    state: PupilState
    events: list[EventView]
