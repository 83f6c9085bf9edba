"""``/v1/tenants/{swv_code}/arrangements``: extra support granted on a granted request."""

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
from api.routes.support_requests import load_request
from api.schemas.common import aggregate_read
from api.schemas.decisions import ArrangementRead, ArrangementState
from api.schemas.headers import ETAG
from application import commands as c
from application.handlers import arrangements as h
from application.queries import aggregate_history
from domain.arrangement import Arrangement

PATH = "/v1/tenants/{swv_code:str}/arrangements"
ArrangementId = FromPath[UUID]


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.GrantArrangement,
        handler=h.grant_arrangement,
        guard=authorisation.decides,
        operation_id="grantArrangement",
        summary="Grant the arrangement a granted request asked for",
        examples={
            "Forty hours": {
                "support_request_id": "3b7f3c1e-9a41-5f0e-8d62-1c2b3a4d5e6f",
                "provider": "Ambulante dienst De Brug",
                "amount": 40,
                "start_on": "2025-04-01",
            }
        },
        creates="arrangements/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{arrangement_id:uuid}/extensions",
        command=c.ExtendArrangement,
        handler=h.extend_arrangement,
        guard=authorisation.decides,
        operation_id="extendArrangement",
        summary="Extend an arrangement, optionally adding hours or money",
        examples={
            "Twenty hours more": {
                "end_on": "2026-01-31",
                "reason": "Doelen nog niet bereikt.",
                "amount_added": 20,
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/{arrangement_id:uuid}/early-end",
        command=c.EndArrangementEarly,
        handler=h.end_arrangement_early,
        guard=authorisation.records_for_pupils,
        operation_id="endArrangementEarly",
        summary="End an arrangement early (the school reports it is no longer needed)",
        examples={"Goals met": {"ended_on": "2025-06-30", "reason": "Doelen bereikt."}},
    ),
    CommandRoute(
        method="POST",
        path="/{arrangement_id:uuid}/evaluations",
        command=c.EvaluateArrangement,
        handler=h.evaluate_arrangement,
        guard=authorisation.records_for_pupils,
        operation_id="evaluateArrangement",
        summary="Record the school's or the parents' evaluation",
        examples={
            "By the school": {
                "party": "SCHOOL",
                "goal_attainment": "PARTLY_MET",
                "notes": "Leest beter.",
            }
        },
    ),
]


class ArrangementController(Controller):
    path = PATH
    tags = ("arrangements",)

    @get(
        "/{arrangement_id:uuid}",
        response_headers=[ETAG],
        summary="An arrangement: current state, version and events",
        guards=[authorisation.or_as_of(authorisation.reads_decisions)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getArrangement",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        arrangement_id: ArrangementId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[ArrangementRead]:
        history = await aggregate_history(
            event_store,
            principal.tenant_id,
            Arrangement,
            arrangement_id,
            to_position=replay.position,
        )
        arrangement = history.aggregate
        request = await load_request(
            event_store, principal.tenant_id, arrangement.support_request_id
        )
        schools = (request.school_code,)
        authorisation.ensure_can_read_decision(
            principal, "Arrangement", arrangement.id, schools, as_of=replay.as_of
        )
        personal = authorisation.may_see_decision_details(principal, schools)
        return aggregate_read(
            ArrangementRead,
            history,
            ArrangementState.of(arrangement),
            personal=personal,
            replayed_to=replay.moment,
        )


ArrangementCommands = command_router(PATH, "arrangements", COMMANDS)
