"""Pupil aggregate: a tenant-local, pseudonymous pupil and their school career in the SWV.

Name and date of birth are personal and encrypted per pupil; guardians are references only.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.errors import (
    EnrolmentError,
    GuardianError,
    InvalidValueError,
    PupilHasLeftError,
    ZorgplichtError,
    require_text,
)
from domain.personal import PERSONAL
from domain.swv import School, check_municipality_code


class LeavingReason(StrEnum):
    TRANSFER_TO_VO = "TRANSFER_TO_VO"
    MOVED_OUT_OF_REGION = "MOVED_OUT_OF_REGION"
    LEFT_EDUCATION = "LEFT_EDUCATION"
    OTHER = "OTHER"


class Pupil(Aggregate):
    TOPIC = "Pupil"

    class Event(Aggregate.Event):
        pass

    class Registered(Event, Aggregate.Created):
        TOPIC = "PupilRegistered.v1"
        name: Annotated[str, PERSONAL]
        date_of_birth: Annotated[date, PERSONAL]
        municipality_code: str
        registered_by: str
        registered_at: datetime

    Created = Registered

    class DetailsCorrected(Event):
        TOPIC = "PupilDetailsCorrected.v1"
        name: Annotated[str, PERSONAL]
        date_of_birth: Annotated[date, PERSONAL]
        corrected_by: str
        corrected_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.name = self.name
            aggregate.date_of_birth = self.date_of_birth

    class ResidenceChanged(Event):
        TOPIC = "PupilResidenceChanged.v1"
        municipality_code: str
        moved_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.municipality_code = self.municipality_code

    class SchoolRegistrationReceived(Event):
        TOPIC = "SchoolRegistrationReceived.v1"
        school_code: str
        registered_on: date
        zorgplicht_ends_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.registered_at_school = self.school_code
            aggregate.registered_on = self.registered_on
            aggregate.zorgplicht_ends_on = self.zorgplicht_ends_on
            aggregate.zorgplicht_extended = False

    class ZorgplichtTermExtended(Event):
        TOPIC = "ZorgplichtTermExtended.v1"
        school_code: str
        zorgplicht_ends_on: date
        extended_by: str
        extended_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.zorgplicht_ends_on = self.zorgplicht_ends_on
            aggregate.zorgplicht_extended = True

    class Enrolled(Event):
        TOPIC = "PupilEnrolled.v1"
        school_code: str
        previous_school_code: str | None
        enrolled_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.school_code = self.school_code
            aggregate.registered_at_school = None
            aggregate.zorgplicht_ends_on = None

    class GuardianAdded(Event):
        TOPIC = "GuardianAdded.v1"
        guardian_id: UUID
        has_authority: bool
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.guardians[self.guardian_id] = self.has_authority

    class GuardianAuthorityChanged(Event):
        TOPIC = "GuardianAuthorityChanged.v1"
        guardian_id: UUID
        has_authority: bool
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.guardians[self.guardian_id] = self.has_authority

    class GuardianRemoved(Event):
        TOPIC = "GuardianRemoved.v1"
        guardian_id: UUID
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            del aggregate.guardians[self.guardian_id]

    class LeftSwv(Event):
        TOPIC = "PupilLeftSwv.v1"
        reason: LeavingReason
        left_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.left_on = self.left_on
            aggregate.school_code = None

    class ParentalConsentRecorded(Event):
        """The parents consented to sharing this pupil's events with one partner."""

        TOPIC = "ParentalConsentRecorded.v1"
        partner: str
        given_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.consents.add(self.partner)

    class ParentalConsentWithdrawn(Event):
        TOPIC = "ParentalConsentWithdrawn.v1"
        partner: str
        withdrawn_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.consents.discard(self.partner)

    class DataShredded(Event):
        TOPIC = "PupilDataShredded.v1"
        shredded_by: str
        shredded_at: datetime

        def apply(self, aggregate: Pupil) -> None:
            aggregate.name = None
            aggregate.date_of_birth = None
            aggregate.data_shredded = True

    def __init__(
        self, *, name: str | None, date_of_birth: date | None, municipality_code: str
    ) -> None:
        self.name = name  # None when read back after shredding
        self.date_of_birth = date_of_birth
        self.municipality_code = municipality_code
        self.school_code: str | None = None
        self.registered_at_school: str | None = None
        self.zorgplicht_ends_on: date | None = None
        self.registered_on: date | None = None
        self.zorgplicht_extended = False
        self.guardians: dict[UUID, bool] = {}
        self.left_on: date | None = None
        self.data_shredded = False
        self.consents: set[str] = set()

    @classmethod
    def register(  # noqa: PLR0913 - who the pupil is and where they live
        cls,
        *,
        pupil_id: UUID,
        name: str,
        date_of_birth: date,
        municipality_code: str,
        by: str,
        at: datetime,
    ) -> Pupil:
        if date_of_birth >= at.date():
            raise InvalidValueError(
                f"A date of birth of {date_of_birth} lies in the future: check it.",
                fields=("date_of_birth",),
            )
        return cls._create(
            cls.Registered,
            id=pupil_id,
            name=require_text(name, "The pupil's name", field="name"),
            date_of_birth=date_of_birth,
            municipality_code=check_municipality_code(municipality_code, field="municipality_code"),
            registered_by=by,
            registered_at=at,
            timestamp=at,
        )

    @property
    def has_left(self) -> bool:
        return self.left_on is not None

    @property
    def zorgplicht_deadline(self) -> date | None:
        """Last day for the school of registration to offer a place; None if none is pending."""
        return self.zorgplicht_ends_on

    @property
    def temporary_enrolment_on(self) -> date | None:
        """The day the pupil is enrolled at the school of registration if it has not decided."""
        if self.registered_at_school is None or self.registered_on is None:
            return None
        return deadlines.temporary_enrolment_on(self.registered_on)

    def check_active(self) -> None:
        if self.left_on is not None:
            raise PupilHasLeftError(
                f"Pupil {self.id} left the SWV on {self.left_on}; register them again if they "
                "come back."
            )

    def correct_details(self, *, name: str, date_of_birth: date, by: str, at: datetime) -> None:
        self.check_active()
        self.trigger_event(
            self.DetailsCorrected,
            name=require_text(name, "The pupil's name", field="name"),
            date_of_birth=date_of_birth,
            corrected_by=by,
            corrected_at=at,
            timestamp=at,
        )

    def change_residence(
        self, *, municipality_code: str, moved_on: date, by: str, at: datetime
    ) -> None:
        self.check_active()
        self.trigger_event(
            self.ResidenceChanged,
            municipality_code=check_municipality_code(municipality_code, field="municipality_code"),
            moved_on=moved_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def register_at_school(
        self, *, school: School, registered_on: date, by: str, at: datetime
    ) -> None:
        """Parents registered the pupil in writing: the school's zorgplicht term starts."""
        self.check_active()
        if self.school_code == school.code:
            raise EnrolmentError(
                f"Pupil {self.id} is already enrolled at {school.code}.", fields=("school_code",)
            )
        self.trigger_event(
            self.SchoolRegistrationReceived,
            school_code=school.code,
            registered_on=registered_on,
            zorgplicht_ends_on=deadlines.zorgplicht_deadline(registered_on),
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def extend_zorgplicht_term(self, *, by: str, at: datetime) -> None:
        """The school takes its one 4-week extension to find a suitable place."""
        self.check_active()
        if self.registered_at_school is None or self.zorgplicht_ends_on is None:
            raise ZorgplichtError(
                f"No school registration of pupil {self.id} is pending.", fields=("pupil_id",)
            )
        if self.zorgplicht_extended:
            raise ZorgplichtError(
                "The zorgplicht term was extended before; it can be extended only once. "
                "Enrol the pupil, or find another school that offers a place.",
                fields=("pupil_id",),
            )
        self.trigger_event(
            self.ZorgplichtTermExtended,
            school_code=self.registered_at_school,
            zorgplicht_ends_on=(
                self.zorgplicht_ends_on + deadlines.ZORGPLICHT_EXTENSION
                if self.registered_on is None
                else deadlines.zorgplicht_deadline(self.registered_on, extended=True)
            ),
            extended_by=by,
            extended_at=at,
            timestamp=at,
        )

    def enrol(self, *, school: School, enrolled_on: date, by: str, at: datetime) -> None:
        """Enrol at a school; enrolling while at another school is a move between schools."""
        self.check_active()
        if self.school_code == school.code:
            raise EnrolmentError(
                f"Pupil {self.id} is already enrolled at {school.code}.", fields=("school_code",)
            )
        self.trigger_event(
            self.Enrolled,
            school_code=school.code,
            previous_school_code=self.school_code,
            enrolled_on=enrolled_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def add_guardian(
        self, *, guardian_id: UUID, has_authority: bool, by: str, at: datetime
    ) -> None:
        self.check_active()
        if guardian_id in self.guardians:
            raise GuardianError(
                f"Guardian {guardian_id} is already recorded for this pupil.",
                fields=("guardian_id",),
            )
        self.trigger_event(
            self.GuardianAdded,
            guardian_id=guardian_id,
            has_authority=has_authority,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def change_guardian_authority(
        self, *, guardian_id: UUID, has_authority: bool, by: str, at: datetime
    ) -> None:
        self.check_active()
        self._check_guardian(guardian_id)
        if self.guardians[guardian_id] == has_authority:
            raise GuardianError(
                f"Guardian {guardian_id}'s authority is already so recorded.",
                fields=("has_authority",),
            )
        self.trigger_event(
            self.GuardianAuthorityChanged,
            guardian_id=guardian_id,
            has_authority=has_authority,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def remove_guardian(self, *, guardian_id: UUID, by: str, at: datetime) -> None:
        self.check_active()
        self._check_guardian(guardian_id)
        self.trigger_event(
            self.GuardianRemoved,
            guardian_id=guardian_id,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def _check_guardian(self, guardian_id: UUID) -> None:
        if guardian_id not in self.guardians:
            raise GuardianError(
                f"Guardian {guardian_id} is not recorded for this pupil.", fields=("guardian_id",)
            )

    def leave(self, *, reason: LeavingReason, left_on: date, by: str, at: datetime) -> None:
        """The pupil leaves the SWV, e.g. for secondary school (a VO partnership)."""
        self.check_active()
        self.trigger_event(
            self.LeftSwv,
            reason=reason,
            left_on=left_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def record_parental_consent(
        self, *, partner: str, given_on: date, by: str, at: datetime
    ) -> None:
        """The parents consented to share this pupil's events with ``partner`` (a token subject)."""
        self.check_active()
        partner = require_text(partner, "The partner", field="partner")
        if partner in self.consents:
            raise GuardianError(
                f"Consent for {partner} is already recorded for this pupil.", fields=("partner",)
            )
        self.trigger_event(
            self.ParentalConsentRecorded,
            partner=partner,
            given_on=given_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def withdraw_parental_consent(
        self, *, partner: str, withdrawn_on: date, by: str, at: datetime
    ) -> None:
        if partner not in self.consents:
            raise GuardianError(
                f"No consent for {partner} is recorded for this pupil.", fields=("partner",)
            )
        self.trigger_event(
            self.ParentalConsentWithdrawn,
            partner=partner,
            withdrawn_on=withdrawn_on,
            recorded_by=by,
            recorded_at=at,
            timestamp=at,
        )

    def shred_personal_data(self, *, by: str, at: datetime) -> None:
        """Record that the pupil's data key is destroyed; the store does the destroying."""
        if self.data_shredded:
            raise InvalidValueError(
                f"The personal data of pupil {self.id} is already shredded.", fields=("pupil_id",)
            )
        self.trigger_event(self.DataShredded, shredded_by=by, shredded_at=at, timestamp=at)
