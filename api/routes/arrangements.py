"""``/v1/tenants/{swv_code}/arrangements``: extra support granted on a granted request."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.dependencies import Commands, Store
from api.routes.support_requests import load_request
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
from api.schemas.decisions import (
    ArrangementExtensionBody,
    ArrangementRead,
    ArrangementState,
    EarlyEndBody,
    EvaluationBody,
    GrantArrangementBody,
)
from application.commands import (
    EndArrangementEarly,
    EvaluateArrangement,
    ExtendArrangement,
    GrantArrangement,
)
from application.handlers import arrangements
from application.queries import aggregate_history
from domain.arrangement import Arrangement

ArrangementId = FromPath[UUID]


class ArrangementController(Controller):
    path = "/v1/tenants/{swv_code:str}/arrangements"
    tags = ("arrangements",)

    @post(
        "/",
        summary="Grant the arrangement a granted request asked for",
        guards=[authorisation.decides],
        responses=COMMAND_ERRORS,
    )
    async def grant(
        self,
        data: Annotated[
            GrantArrangementBody,
            example(
                {
                    "support_request_id": "3b7f3c1e-9a41-5f0e-8d62-1c2b3a4d5e6f",
                    "provider": "Ambulante dienst De Brug",
                    "amount": 40,
                    "start_on": "2025-04-01",
                }
            ),
        ],
        principal: NamedDependency[Principal],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = GrantArrangement(
            support_request_id=data.support_request_id,
            provider=data.provider,
            amount=data.amount,
            start_on=data.start_on,
            end_on=data.end_on,
            decided_on=data.decided_on,
        )
        outcome = await commands(arrangements.grant_arrangement, command)
        return accepted(outcome, location=url(principal, "arrangements", outcome.aggregate_id))

    @get(
        "/{arrangement_id:uuid}",
        summary="An arrangement: current state, version and events",
        guards=[authorisation.reads_decisions],
        responses=READ_ERRORS,
    )
    async def read(
        self,
        arrangement_id: ArrangementId,
        principal: NamedDependency[Principal],
        event_store: Store,
    ) -> Response[ArrangementRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, Arrangement, arrangement_id
        )
        arrangement = history.aggregate
        request = await load_request(
            event_store, principal.tenant_id, arrangement.support_request_id
        )
        schools = (request.school_code,)
        authorisation.ensure_can_read_decision(principal, "Arrangement", arrangement.id, schools)
        personal = authorisation.may_see_decision_details(principal, schools)
        return Response(
            ArrangementRead(
                id=arrangement.id,
                version=history.version,
                state=ArrangementState.of(arrangement),
                events=event_views(history.events, personal=personal),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{arrangement_id:uuid}/extensions",
        summary="Extend an arrangement, optionally adding hours or money",
        guards=[authorisation.decides],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def extend(
        self,
        arrangement_id: ArrangementId,
        data: Annotated[
            ArrangementExtensionBody,
            example(
                {"end_on": "2026-01-31", "reason": "Doelen nog niet bereikt.", "amount_added": 20}
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ExtendArrangement(
            arrangement_id=arrangement_id,
            end_on=data.end_on,
            reason=data.reason,
            amount_added=data.amount_added,
            decided_on=data.decided_on,
        )
        return accepted(await commands(arrangements.extend_arrangement, command))

    @post(
        "/{arrangement_id:uuid}/early-end",
        summary="End an arrangement early (the school reports it is no longer needed)",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def end_early(
        self,
        arrangement_id: ArrangementId,
        data: Annotated[
            EarlyEndBody, example({"ended_on": "2025-06-30", "reason": "Doelen bereikt."})
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = EndArrangementEarly(
            arrangement_id=arrangement_id, ended_on=data.ended_on, reason=data.reason
        )
        return accepted(await commands(arrangements.end_arrangement_early, command))

    @post(
        "/{arrangement_id:uuid}/evaluations",
        summary="Record the school's or the parents' evaluation",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def evaluate(
        self,
        arrangement_id: ArrangementId,
        data: Annotated[
            EvaluationBody,
            example({"party": "SCHOOL", "goal_attainment": "PARTLY_MET", "notes": "Leest beter."}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = EvaluateArrangement(
            arrangement_id=arrangement_id,
            party=data.party,
            goal_attainment=data.goal_attainment,
            notes=data.notes,
            evaluated_on=data.evaluated_on,
        )
        return accepted(await commands(arrangements.evaluate_arrangement, command))
