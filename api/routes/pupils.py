"""``/v1/tenants/{swv_code}/pupils``: registering pupils and recording their school career."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.dependencies import Commands, Store
from api.schemas.common import (
    COMMAND_ERRORS,
    READ_ERRORS,
    CommandAccepted,
    accepted,
    etag,
    event_views,
    example,
    url,
)
from api.schemas.pupils import (
    AddGuardianBody,
    ChangeResidenceBody,
    CorrectPupilDetailsBody,
    EnrolmentBody,
    GuardianAuthorityBody,
    LeavingBody,
    PupilRead,
    PupilState,
    RegisterPupilBody,
    SchoolRegistrationBody,
)
from application.commands import (
    AddGuardian,
    ChangeGuardianAuthority,
    ChangePupilResidence,
    CorrectPupilDetails,
    EnrolPupil,
    ExtendZorgplichtTerm,
    RecordPupilLeaving,
    RecordSchoolRegistration,
    RegisterPupil,
    RemoveGuardian,
    ShredPupilData,
)
from application.handlers import pupils
from application.queries import aggregate_history
from domain.pupil import Pupil

PupilId = FromPath[UUID]
GuardianId = FromPath[UUID]


class PupilController(Controller):
    path = "/v1/tenants/{swv_code:str}/pupils"
    tags = ("pupils",)

    @post(
        "/",
        summary="Register a pupil",
        description="A school registers its own pupils, enrolled at itself; the loket any.",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
    )
    async def register(
        self,
        data: Annotated[
            RegisterPupilBody,
            example(
                {
                    "name": "Sam de Vries",
                    "date_of_birth": "2017-05-12",
                    "municipality_code": "GM0632",
                    "school_code": "12AB00",
                }
            ),
        ],
        principal: NamedDependency[Principal],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        outcome = await commands(
            pupils.register_pupil,
            RegisterPupil(
                name=data.name,
                date_of_birth=data.date_of_birth,
                municipality_code=data.municipality_code,
                school_code=data.school_code,
                enrolled_on=data.enrolled_on,
                lives_outside_region=data.lives_outside_region,
            ),
        )
        return accepted(outcome, location=url(principal, "pupils", outcome.aggregate_id))

    @get(
        "/{pupil_id:uuid}",
        summary="A pupil: current state, version and events",
        description="Name and date of birth only for the loket, committee and the own school.",
        guards=[authorisation.reads_pupils],
        responses=READ_ERRORS,
    )
    async def read(
        self,
        pupil_id: PupilId,
        principal: NamedDependency[Principal],
        event_store: Store,
    ) -> Response[PupilRead]:
        history = await aggregate_history(event_store, principal.tenant_id, Pupil, pupil_id)
        pupil = history.aggregate
        authorisation.ensure_can_read_pupil(principal, pupil)
        personal = authorisation.may_see_pupil_details(principal, pupil)
        return Response(
            PupilRead(
                id=pupil.id,
                version=history.version,
                state=PupilState.of(pupil, personal=personal),
                events=event_views(history.events, personal=personal),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{pupil_id:uuid}/corrections",
        summary="Correct a pupil's name or date of birth",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def correct(
        self,
        pupil_id: PupilId,
        data: Annotated[
            CorrectPupilDetailsBody,
            example({"name": "Sam de Vries", "date_of_birth": "2017-05-21"}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = CorrectPupilDetails(
            pupil_id=pupil_id, name=data.name, date_of_birth=data.date_of_birth
        )
        return accepted(await commands(pupils.correct_pupil_details, command))

    @post(
        "/{pupil_id:uuid}/residence-changes",
        summary="Record that a pupil moved to another municipality",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def change_residence(
        self,
        pupil_id: PupilId,
        data: Annotated[
            ChangeResidenceBody, example({"municipality_code": "GM1904", "moved_on": "2025-02-01"})
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ChangePupilResidence(
            pupil_id=pupil_id,
            municipality_code=data.municipality_code,
            moved_on=data.moved_on,
            lives_outside_region=data.lives_outside_region,
        )
        return accepted(await commands(pupils.change_pupil_residence, command))

    @post(
        "/{pupil_id:uuid}/school-registrations",
        summary="Record a written registration at a school (the zorgplicht term starts)",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def register_at_school(
        self,
        pupil_id: PupilId,
        data: Annotated[
            SchoolRegistrationBody,
            example({"school_code": "34CD00", "registered_on": "2025-03-03"}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RecordSchoolRegistration(
            pupil_id=pupil_id, school_code=data.school_code, registered_on=data.registered_on
        )
        return accepted(await commands(pupils.record_school_registration, command))

    @post(
        "/{pupil_id:uuid}/zorgplicht-extensions",
        summary="Extend the zorgplicht term once, by 4 weeks",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def extend_zorgplicht(
        self,
        pupil_id: PupilId,
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ExtendZorgplichtTerm(pupil_id=pupil_id)
        return accepted(await commands(pupils.extend_zorgplicht_term, command))

    @post(
        "/{pupil_id:uuid}/enrolments",
        summary="Enrol a pupil at a school (at another school: a move)",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def enrol(
        self,
        pupil_id: PupilId,
        data: Annotated[
            EnrolmentBody, example({"school_code": "34CD00", "enrolled_on": "2025-04-01"})
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = EnrolPupil(
            pupil_id=pupil_id, school_code=data.school_code, enrolled_on=data.enrolled_on
        )
        return accepted(await commands(pupils.enrol_pupil, command))

    @post(
        "/{pupil_id:uuid}/guardians",
        summary="Add a guardian (a reference, no personal data)",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def add_guardian(
        self,
        pupil_id: PupilId,
        data: Annotated[
            AddGuardianBody,
            example({"guardian_id": "5f0c8e52-6d1e-4a8a-9d43-2f1b3c4d5e6f", "has_authority": True}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AddGuardian(
            pupil_id=pupil_id, guardian_id=data.guardian_id, has_authority=data.has_authority
        )
        return accepted(await commands(pupils.add_guardian, command))

    @put(
        "/{pupil_id:uuid}/guardians/{guardian_id:uuid}",
        summary="Change whether a guardian has parental authority",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
    )
    async def change_guardian_authority(
        self,
        pupil_id: PupilId,
        guardian_id: GuardianId,
        data: Annotated[GuardianAuthorityBody, example({"has_authority": False})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ChangeGuardianAuthority(
            pupil_id=pupil_id, guardian_id=guardian_id, has_authority=data.has_authority
        )
        return accepted(await commands(pupils.change_guardian_authority, command))

    @delete(
        "/{pupil_id:uuid}/guardians/{guardian_id:uuid}",
        summary="Remove a guardian",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def remove_guardian(
        self,
        pupil_id: PupilId,
        guardian_id: GuardianId,
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RemoveGuardian(pupil_id=pupil_id, guardian_id=guardian_id)
        return accepted(await commands(pupils.remove_guardian, command))

    @post(
        "/{pupil_id:uuid}/leaving",
        summary="Record that a pupil left the SWV",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def leave(
        self,
        pupil_id: PupilId,
        data: Annotated[
            LeavingBody, example({"reason": "TRANSFER_TO_VO", "left_on": "2025-07-31"})
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RecordPupilLeaving(pupil_id=pupil_id, reason=data.reason, left_on=data.left_on)
        return accepted(await commands(pupils.record_pupil_leaving, command))

    @post(
        "/{pupil_id:uuid}/shredding",
        summary="Shred a pupil's personal data (destroys its key; decisions stay)",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def shred(
        self,
        pupil_id: PupilId,
        commands: Commands,
    ) -> Response[CommandAccepted]:
        return accepted(await commands(pupils.shred_pupil_data, ShredPupilData(pupil_id=pupil_id)))
