"""Privacy routes: a pupil's subject access report; disclosures of a case to a municipality.

``…/pupils/{id}/subject-access`` (and ``/page``): everything held about a pupil, as JSON and as
a readable page. ``POST …/support-requests/{id}/disclosures`` records a per-case disclosure to
the pupil's municipality under a named legal basis; ``GET …/municipalities/{code}/disclosures``
is what that municipality may then see: exactly the disclosed fields, nothing else.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.command_routes import CommandRoute, command_router
from api.dependencies import ClockDependency, Store
from api.page_templates import page_template
from api.personal_reads import DISCLOSED, PERSONAL_FIELDS, SUBJECT_ACCESS, personal
from api.routes.read_models import provide_pool
from api.schemas.common import READ_ERRORS
from api.schemas.privacy import DisclosedCaseView, DisclosuresView, SubjectAccessView
from application.commands import RecordDisclosure
from application.handlers.disclosures import disclosed_cases, record_disclosure
from application.ports import Clock, EventStore
from application.subject_access import SubjectAccessReport, subject_access
from partners.recipients import deliveries_about


async def _report(
    state: State, store: EventStore, principal: Principal, pupil_id: UUID, clock: Clock
) -> SubjectAccessReport:
    """The report, with what partners were delivered about the pupil."""
    async with provide_pool(state).acquire() as conn:
        deliveries = await deliveries_about(conn, principal.tenant_id, pupil_id)
    return await subject_access(store, principal.tenant_id, pupil_id, clock, deliveries)


class PrivacyController(Controller):
    path = "/v1/tenants/{swv_code:str}/pupils/{pupil_id:uuid}/subject-access"
    tags = ("privacy",)
    guards = [authorisation.answers_subject_access]  # noqa: RUF012 - Litestar's own attribute

    @get(
        "/",
        summary="Everything held about a pupil (AVG art. 15), decrypted",
        description="With purposes, legal bases, recipients and retention dates. "
        "The privacy officer only.",
        responses=READ_ERRORS,
        opt=personal("subject-access", SUBJECT_ACCESS),
    )
    async def subject_access(
        self,
        pupil_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        event_store: Store,
        clock: ClockDependency,
        state: State,
    ) -> SubjectAccessView:
        report = await _report(state, event_store, principal, pupil_id, clock)
        return SubjectAccessView.of(report)

    @get(
        "/page",
        summary="Everything held about a pupil (AVG art. 15), as a readable page",
        media_type=MediaType.HTML,
        responses=READ_ERRORS,
        opt=personal("subject-access", SUBJECT_ACCESS, fields=tuple(sorted(PERSONAL_FIELDS))),
    )
    async def subject_access_page(
        self,
        pupil_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        event_store: Store,
        clock: ClockDependency,
        state: State,
    ) -> Response[str]:
        report = await _report(state, event_store, principal, pupil_id, clock)
        page = page_template("subject_access.html.j2").render(view=SubjectAccessView.of(report))
        return Response(page, media_type=MediaType.HTML)


DISCLOSURES_PATH = "/v1/tenants/{swv_code:str}/support-requests"

COMMANDS = [
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/disclosures",
        command=RecordDisclosure,
        handler=record_disclosure,
        guard=authorisation.processes_cases,
        operation_id="recordDisclosure",
        summary="Disclose a case to the pupil's municipality, naming the legal basis and fields",
        description="Without a disclosure a municipality sees figures only.",
        examples={
            "For leerplicht": {
                "municipality_code": "GM0632",
                "legal_basis": "LEERPLICHT",
                "fields": ["name", "date_of_birth", "school_code"],
            }
        },
        creates="municipalities/{municipality_code}/disclosures",
    )
]
DisclosureCommands = command_router(DISCLOSURES_PATH, "privacy", COMMANDS)


class DisclosureController(Controller):
    path = "/v1/tenants/{swv_code:str}"
    tags = ("privacy",)

    @get(
        "/municipalities/{municipality_code:str}/disclosures",
        summary="The cases disclosed to a municipality, with exactly the fields disclosed",
        guards=[authorisation.reads_disclosures],
        responses=READ_ERRORS,
        opt=personal("list", DISCLOSED),
    )
    async def disclosures(
        self,
        municipality_code: FromPath[str],
        principal: NamedDependency[Principal],
        event_store: Store,
    ) -> DisclosuresView:
        authorisation.ensure_can_read_disclosures(principal, municipality_code)
        cases = await disclosed_cases(event_store, principal.tenant_id, municipality_code)
        return DisclosuresView(
            municipality_code=municipality_code,
            cases=[
                DisclosedCaseView(
                    case_id=c.case_id,
                    pupil_id=c.pupil_id,
                    legal_basis=c.legal_basis,
                    disclosed_on=c.disclosed_on,
                    data=c.data,
                )
                for c in cases
            ],
        )
