"""``…/handovers``, ``…/incoming-handovers`` and ``…/outflows``: transitions between SWVs.

The sending SWV's staff hand a pupil's decisions to the SWV of the pupil's next school, as far
as the parents consented; on the platform it arrives as an incoming handover that the receiving
staff accept or decline, and the answer comes back. Each tenant reads its own side only. An SWV
off the platform gets the handover as a package signed with the sending tenant's log key.
Outflow records where a pupil went after VO/VSO.
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
from api.routes.audit import LogDependency, provide_transparency_log
from api.routes.read_models import ERRORS, WHOLE_LOG, PoolDependency, provide_pool, served
from api.schemas.common import aggregate_read, problems
from api.schemas.handovers import (
    HandoverPackage,
    HandoverRead,
    HandoverView,
    IncomingHandoverRead,
    IncomingHandoverState,
    OutflowRead,
    OutflowState,
)
from api.schemas.headers import ETAG
from application import commands as c
from application.handlers import handovers as h
from application.queries import aggregate_history
from domain.transition import Handover, HandoverError, HandoverState, IncomingHandover, Outflow
from projections.as_of import handovers_as_of
from projections.handovers import MAX_LIMIT, Direction, HandoverList, fetch_handovers

PATH = "/v1/tenants/{swv_code:str}/handovers"
INCOMING_PATH = "/v1/tenants/{swv_code:str}/incoming-handovers"
OUTFLOW_PATH = "/v1/tenants/{swv_code:str}/outflows"

reads_handovers = authorisation.requires(*authorisation.SWV_STAFF, Role.AUDITOR)

COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.PrepareHandover,
        handler=h.prepare_handover,
        guard=authorisation.processes_cases,
        operation_id="prepareHandover",
        summary="Hand a pupil's decisions to another SWV, as the parents consented",
        description=(
            "Carries the pupil's name, date of birth and municipality, the TLVs and running "
            "arrangements named, and the support question; nothing else. An SWV on the "
            "platform receives it at once (state DELIVERED); for one off the platform, export "
            "it as a signed package."
        ),
        examples={
            "To the VO partnership": {
                "pupil_id": "f5db4dbf-44f7-581f-bf90-a69c25a6167f",
                "receiving_swv": "VO2604",
                "consent_given_on": "2026-04-20",
                "consent_channel": "WRITTEN",
                "support_question": "Welke ondersteuning heeft Sam nodig in de brugklas?",
                "tlv_ids": [],
                "arrangement_ids": [],
            }
        },
        creates="handovers/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{handover_id:uuid}/export",
        command=c.ExportHandover,
        handler=h.export_handover,
        guard=authorisation.processes_cases,
        operation_id="exportHandover",
        summary="Hand over as a signed package (the receiving SWV is off the platform)",
    ),
]

INCOMING_COMMANDS = [
    CommandRoute(
        method="POST",
        path="/{incoming_handover_id:uuid}/acceptance",
        command=c.AcceptHandover,
        handler=h.accept_handover,
        guard=authorisation.processes_cases,
        operation_id="acceptHandover",
        summary="Accept: the pupil is registered here; the sending SWV hears",
        description="The new pupil's id is in ``also_changed``.",
        examples={"Accepted": {"accepted_on": "2026-05-04"}},
    ),
    CommandRoute(
        method="POST",
        path="/{incoming_handover_id:uuid}/decline",
        command=c.DeclineHandover,
        handler=h.decline_handover,
        guard=authorisation.processes_cases,
        operation_id="declineHandover",
        summary="Decline, with the reason; the sending SWV hears",
        examples={"Lives elsewhere": {"reason": "De leerling woont in een andere regio."}},
    ),
]

OUTFLOW_COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.RecordOutflow,
        handler=h.record_outflow,
        guard=authorisation.records_for_pupils,
        operation_id="recordOutflow",
        summary="Record where a pupil went after VO/VSO (for the figures)",
        examples={
            "Further education": {
                "pupil_id": "f5db4dbf-44f7-581f-bf90-a69c25a6167f",
                "destination": "VERVOLGONDERWIJS",
                "left_on": "2026-07-17",
            }
        },
        creates="outflows/{id}",
    ),
]


def _personal(principal: Principal) -> bool:
    return principal.has(*authorisation.SWV_STAFF)


class HandoverController(Controller):
    path = "/"  # below the command router: reads and commands share the path
    tags = ("handovers",)
    dependencies = {  # noqa: RUF012
        "pool": Provide(provide_pool, sync_to_thread=False),
        "transparency_log": Provide(provide_transparency_log, sync_to_thread=False),
    }

    @get(
        "/",
        summary="The tenant's handovers, outgoing and incoming, the latest consent first",
        description=WHOLE_LOG,
        guards=[authorisation.or_as_of(reads_handovers)],
        responses=ERRORS,
        dependencies=REPLAY,
        operation_id="listHandovers",
        opt=personal("list", CASE_HANDLING),
    )
    async def list_handovers(
        self,
        *,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        replay: ReplayDependency,
        direction: Annotated[
            Direction | None, QueryParameter(description="Only outgoing or incoming ones.")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
    ) -> HandoverList:
        tenant = principal.tenant_id
        return await served(
            replay,
            pool,
            from_log=lambda log, position: handovers_as_of(
                log, tenant, position=position, direction=direction, limit=limit
            ),
            from_table=lambda conn: fetch_handovers(conn, tenant, direction=direction, limit=limit),
        )

    @get(
        "/{handover_id:uuid}",
        response_headers=[ETAG],
        summary="A handover: what it carries, its state, version and events",
        description="As of a moment: the handover's own stream, read up to there.",
        guards=[authorisation.or_as_of(reads_handovers)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getHandover",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        handover_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[HandoverRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, Handover, handover_id, to_position=replay.position
        )
        personal = _personal(principal)
        return aggregate_read(
            HandoverRead,
            history,
            HandoverView.of(history.aggregate, personal=personal),
            personal=personal,
            replayed_to=replay.moment,
        )

    @get(
        "/{handover_id:uuid}/package",
        summary="The exported handover as a package signed with the tenant's log key",
        guards=[authorisation.processes_cases],
        responses={**problems(400, 401, 403, 404, 409), 503: ERRORS[503]},
        operation_id="getHandoverPackage",
        opt=personal("read", CASE_HANDLING),
    )
    async def package(
        self,
        handover_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        event_store: Store,
        transparency_log: LogDependency,
    ) -> HandoverPackage:
        tenant = principal.tenant_id
        handover = (await aggregate_history(event_store, tenant, Handover, handover_id)).aggregate
        if handover.state is not HandoverState.EXPORTED:
            raise HandoverError("Export the handover first: only an exported one has a package.")
        package = h.package_of(handover)
        digest = h.package_digest(package)
        body = f"{h.PACKAGE_FORMAT}\nhandover {handover.id}\n{digest}\n"
        signer = transparency_log.signer(tenant)
        return HandoverPackage(
            pupil_id=handover.pupil_id,
            format=h.PACKAGE_FORMAT,
            package=package.decode(),
            digest=digest,
            signature=f"{body}\n{signer.signature_line(body)}",
            key=signer.verifier.vkey,
        )


class IncomingHandoverController(Controller):
    path = INCOMING_PATH
    tags = ("handovers",)

    @get(
        "/{incoming_handover_id:uuid}",
        response_headers=[ETAG],
        summary="A handover from another SWV: what it carries, the answer, version and events",
        description="As of a moment: the handover's own stream, read up to there.",
        guards=[authorisation.or_as_of(reads_handovers)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getIncomingHandover",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        incoming_handover_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[IncomingHandoverRead]:
        history = await aggregate_history(
            event_store,
            principal.tenant_id,
            IncomingHandover,
            incoming_handover_id,
            to_position=replay.position,
        )
        personal = _personal(principal)
        return aggregate_read(
            IncomingHandoverRead,
            history,
            IncomingHandoverState.of(history.aggregate, personal=personal),
            personal=personal,
            replayed_to=replay.moment,
        )


class OutflowController(Controller):
    path = OUTFLOW_PATH
    tags = ("handovers",)

    @get(
        "/{outflow_id:uuid}",
        response_headers=[ETAG],
        summary="Where a pupil went after VO/VSO",
        description="As of a moment: the outflow's own stream, read up to there.",
        guards=[authorisation.or_as_of(reads_handovers)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getOutflow",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        outflow_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[OutflowRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, Outflow, outflow_id, to_position=replay.position
        )
        return aggregate_read(
            OutflowRead,
            history,
            OutflowState.of(history.aggregate),
            personal=_personal(principal),
            replayed_to=replay.moment,
        )


HandoverCommands = command_router(PATH, "handovers", COMMANDS, HandoverController)
IncomingHandoverCommands = command_router(INCOMING_PATH, "handovers", INCOMING_COMMANDS)
OutflowCommands = command_router(OUTFLOW_PATH, "handovers", OUTFLOW_COMMANDS)
