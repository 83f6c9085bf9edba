"""``/v1/tenants/{swv_code}/services`` and ``…/service-requests``: dienstverlening, voorzieningen.

The swv-admin keeps the catalogue of services (consultation, training, observation) and
provisions (run with the municipalities, which may pay a share); a school asks for one, for
itself or one of its pupils; the loket grants hours or refuses, and records what was delivered.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from api import authorisation
from api.auth import Principal, Role
from api.command_routes import CommandRoute, command_router
from api.dependencies import Store
from api.personal_reads import CASE_HANDLING, personal
from api.routes.as_of import AS_OF_READ_ERRORS, REPLAY, ReplayDependency
from api.routes.read_models import ERRORS, WHOLE_LOG, PoolDependency, provide_pool, served
from api.schemas.common import aggregate_read
from api.schemas.headers import ETAG
from api.schemas.services import (
    ServiceCatalogueRead,
    ServiceRequestRead,
    ServiceRequestState,
)
from application import commands as c
from application.handlers import services as h
from application.handling import LoadedStream
from application.queries import aggregate_history
from domain.service import ServiceCatalogue, ServiceRequest, catalogue_stream_id
from projections.as_of import services_overview_as_of
from projections.service_requests import ServicesOverview, fetch_services_overview

PATH = "/v1/tenants/{swv_code:str}/services"
REQUESTS_PATH = "/v1/tenants/{swv_code:str}/service-requests"
RequestId = FromPath[UUID]

COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.OfferService,
        handler=h.offer_service,
        guard=authorisation.configures_tenant,
        operation_id="offerService",
        summary="Add a service or provision to the tenant's catalogue",
        examples={
            "Observation": {
                "code": "observatie",
                "name": "Observatie in de klas",
                "kind": "DIENSTVERLENING",
                "for_pupils": True,
            }
        },
    ),
    CommandRoute(
        method="DELETE",
        path="/{code:str}",
        command=c.WithdrawService,
        handler=h.withdraw_service,
        guard=authorisation.configures_tenant,
        operation_id="withdrawService",
        summary="Withdraw a service from the catalogue (requests made stay as they are)",
    ),
]

REQUEST_COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.RequestService,
        handler=h.request_service,
        guard=authorisation.records_for_pupils,
        operation_id="requestService",
        summary="Ask for a service: for a pupil where the service is about one",
        description="A school asks for itself and its own pupils; the loket for any school.",
        examples={
            "Observation of a pupil": {
                "service_code": "observatie",
                "pupil_id": "f5db4dbf-44f7-581f-bf90-a69c25a6167f",
                "question": "Wat heeft deze leerling nodig in de groep?",
            }
        },
        creates="service-requests/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{service_request_id:uuid}/grant",
        command=c.GrantService,
        handler=h.grant_service,
        guard=authorisation.processes_cases,
        operation_id="grantService",
        summary="Grant hours, with each municipality's share of a provision",
        examples={
            "Forty hours, half paid by Woerden": {
                "hours": 40,
                "provider": "Onderwijs-zorgteam De Brug",
                "start_on": "2025-09-01",
                "end_on": "2026-07-17",
                "municipal_shares": [{"municipality_code": "GM0632", "percent": 50}],
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/{service_request_id:uuid}/refusal",
        command=c.RefuseService,
        handler=h.refuse_service,
        guard=authorisation.processes_cases,
        operation_id="refuseService",
        summary="Refuse the request, with reasons",
        examples={"Within basic support": {"reasons": "Valt binnen de basisondersteuning."}},
    ),
    CommandRoute(
        method="POST",
        path="/{service_request_id:uuid}/withdrawal",
        command=c.WithdrawServiceRequest,
        handler=h.withdraw_service_request,
        guard=authorisation.records_for_pupils,
        operation_id="withdrawServiceRequest",
        summary="Withdraw the request before it is decided",
        examples={"No longer needed": {"withdrawn_on": "2025-09-15"}},
    ),
    CommandRoute(
        method="POST",
        path="/{service_request_id:uuid}/deliveries",
        command=c.RecordServiceDelivery,
        handler=h.record_service_delivery,
        guard=authorisation.processes_cases,
        operation_id="recordServiceDelivery",
        summary="Record hours delivered; together never more than granted",
        examples={"Six hours": {"hours": 6, "delivered_on": "2025-09-30"}},
    ),
]

SchoolYear = Annotated[
    int, QueryParameter(ge=2000, le=2100, description="The year the school year starts in.")
]


class ServiceCatalogueController(Controller):
    path = "/"
    tags = ("services",)
    dependencies = {"pool": Provide(provide_pool, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/",
        summary="The tenant's catalogue of services and provisions",
        guards=[authorisation.or_as_of(authorisation.reads_configuration)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getServiceCatalogue",
    )
    async def read(
        self, principal: NamedDependency[Principal], event_store: Store, replay: ReplayDependency
    ) -> ServiceCatalogueRead:
        tenant = principal.tenant_id
        events = await event_store.read_stream(
            tenant, catalogue_stream_id(tenant), to_position=replay.position
        )
        loaded = LoadedStream(catalogue_stream_id(tenant), events)
        catalogue = loaded.require(ServiceCatalogue) if loaded.events else None
        return ServiceCatalogueRead.of(catalogue, loaded.version, replayed_to=replay.moment)

    @get(
        "/overview",
        summary="Requests and hours per service in a school year, and municipal shares",
        description=(
            f"Counts and hours only. A school sees its own requests' figures. {WHOLE_LOG}"
        ),
        guards=[authorisation.or_as_of(authorisation.reads_caseload)],
        responses=ERRORS,
        dependencies=REPLAY,
        operation_id="getServicesOverview",
    )
    async def overview(
        self,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        replay: ReplayDependency,
        school_year: SchoolYear,
    ) -> ServicesOverview:
        tenant = principal.tenant_id
        staff = replay.as_of or principal.has(*authorisation.SWV_STAFF, Role.AUDITOR)
        school = None if staff else principal.school
        return await served(
            replay,
            pool,
            from_log=lambda log, position: services_overview_as_of(
                log, tenant, school_year, position=position, school_code=school
            ),
            from_table=lambda conn: fetch_services_overview(
                conn, tenant, school_year, school_code=school
            ),
        )


class ServiceRequestController(Controller):
    path = REQUESTS_PATH
    tags = ("services",)

    @get(
        "/{service_request_id:uuid}",
        response_headers=[ETAG],
        summary="A service request: state, version and events",
        description="The question and reasons only for the loket, the committee, the school.",
        guards=[authorisation.or_as_of(authorisation.reads_decisions)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getServiceRequest",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        service_request_id: RequestId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[ServiceRequestRead]:
        history = await aggregate_history(
            event_store,
            principal.tenant_id,
            ServiceRequest,
            service_request_id,
            to_position=replay.position,
        )
        request = history.aggregate
        schools = (request.school_code,)
        authorisation.ensure_can_read_decision(
            principal, "ServiceRequest", request.id, schools, as_of=replay.as_of
        )
        personal = authorisation.may_see_decision_details(principal, schools)
        return aggregate_read(
            ServiceRequestRead,
            history,
            ServiceRequestState.of(request),
            personal=personal,
            replayed_to=replay.moment,
        )


ServiceCommands = command_router(PATH, "services", COMMANDS, ServiceCatalogueController)
ServiceRequestCommands = command_router(REQUESTS_PATH, "services", REQUEST_COMMANDS)
