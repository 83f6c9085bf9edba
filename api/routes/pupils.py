"""``/v1/tenants/{swv_code}/pupils``: registering pupils and recording their school career."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.command_routes import CommandRoute, command_router
from api.dependencies import Store
from api.personal_reads import CASE_HANDLING, personal
from api.routes.as_of import AS_OF_READ_ERRORS, REPLAY, ReplayDependency
from api.schemas.common import aggregate_read
from api.schemas.headers import ETAG
from api.schemas.pupils import PupilRead, PupilState
from application import commands as c
from application.handlers import pupils as h
from application.queries import aggregate_history
from domain.pupil import Pupil

PATH = "/v1/tenants/{swv_code:str}/pupils"
PupilId = FromPath[UUID]


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.RegisterPupil,
        handler=h.register_pupil,
        guard=authorisation.records_for_pupils,
        operation_id="registerPupil",
        summary="Register a pupil",
        description="A school registers its own pupils, enrolled at itself; the loket any.",
        examples={
            "A pupil enrolled at a school": {
                "name": "Sam de Vries",
                "date_of_birth": "2017-05-12",
                "municipality_code": "GM0632",
                "school_code": "17XF00",
            }
        },
        creates="pupils/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/corrections",
        command=c.CorrectPupilDetails,
        handler=h.correct_pupil_details,
        guard=authorisation.records_for_pupils,
        operation_id="correctPupilDetails",
        summary="Correct a pupil's name or date of birth",
        examples={
            "A corrected birth date": {"name": "Sam de Vries", "date_of_birth": "2017-05-21"}
        },
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/residence-changes",
        command=c.ChangePupilResidence,
        handler=h.change_pupil_residence,
        guard=authorisation.records_for_pupils,
        operation_id="changePupilResidence",
        summary="Record that a pupil moved to another municipality",
        examples={"A move": {"municipality_code": "GM1904", "moved_on": "2025-02-01"}},
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/school-registrations",
        command=c.RecordSchoolRegistration,
        handler=h.record_school_registration,
        guard=authorisation.records_for_pupils,
        operation_id="recordSchoolRegistration",
        summary="Record a written registration at a school (the zorgplicht term starts)",
        examples={"A registration": {"school_code": "17XG00", "registered_on": "2025-03-03"}},
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/zorgplicht-extensions",
        command=c.ExtendZorgplichtTerm,
        handler=h.extend_zorgplicht_term,
        guard=authorisation.records_for_pupils,
        operation_id="extendZorgplichtTerm",
        summary="Extend the zorgplicht term once, by 4 weeks",
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/enrolments",
        command=c.EnrolPupil,
        handler=h.enrol_pupil,
        guard=authorisation.records_for_pupils,
        operation_id="enrolPupil",
        summary="Enrol a pupil at a school (at another school: a move)",
        examples={"An enrolment": {"school_code": "17XG00", "enrolled_on": "2025-04-01"}},
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/guardians",
        command=c.AddGuardian,
        handler=h.add_guardian,
        guard=authorisation.records_for_pupils,
        operation_id="addGuardian",
        summary="Add a guardian (a reference, no personal data)",
        examples={
            "A parent with authority": {
                "guardian_id": "5f0c8e52-6d1e-4a8a-9d43-2f1b3c4d5e6f",
                "has_authority": True,
            }
        },
    ),
    CommandRoute(
        method="PUT",
        path="/{pupil_id:uuid}/guardians/{guardian_id:uuid}",
        command=c.ChangeGuardianAuthority,
        handler=h.change_guardian_authority,
        guard=authorisation.records_for_pupils,
        operation_id="changeGuardianAuthority",
        summary="Change whether a guardian has parental authority",
        examples={"Authority ends": {"has_authority": False}},
    ),
    CommandRoute(
        method="DELETE",
        path="/{pupil_id:uuid}/guardians/{guardian_id:uuid}",
        command=c.RemoveGuardian,
        handler=h.remove_guardian,
        guard=authorisation.records_for_pupils,
        operation_id="removeGuardian",
        summary="Remove a guardian",
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/leaving",
        command=c.RecordPupilLeaving,
        handler=h.record_pupil_leaving,
        guard=authorisation.records_for_pupils,
        operation_id="recordPupilLeaving",
        summary="Record that a pupil left the SWV",
        examples={"To secondary school": {"reason": "TRANSFER_TO_VO", "left_on": "2025-07-31"}},
    ),
    CommandRoute(
        method="POST",
        path="/{pupil_id:uuid}/shredding",
        command=c.ShredPupilData,
        handler=h.shred_pupil_data,
        guard=authorisation.processes_cases,
        operation_id="shredPupilData",
        summary="Shred a pupil's personal data (destroys its key; decisions stay)",
    ),
]


class PupilController(Controller):
    path = PATH
    tags = ("pupils",)

    @get(
        "/{pupil_id:uuid}",
        response_headers=[ETAG],
        summary="A pupil: current state, version and events",
        description="Name and date of birth only for the loket, committee and the own school.",
        guards=[authorisation.or_as_of(authorisation.reads_pupils)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getPupil",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        pupil_id: PupilId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[PupilRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, Pupil, pupil_id, to_position=replay.position
        )
        pupil = history.aggregate
        authorisation.ensure_can_read_pupil(principal, pupil, as_of=replay.as_of)
        personal = authorisation.may_see_pupil_details(principal, pupil)
        return aggregate_read(
            PupilRead,
            history,
            PupilState.of(pupil, personal=personal),
            personal=personal,
            replayed_to=replay.moment,
        )


PupilCommands = command_router(PATH, "pupils", COMMANDS)
