"""``/v1/tenants/{swv_code}/objections``: bezwaar, the LBT's advice, and the decision on it.

Deciding an objection may grant, revise or revoke a TLV; its id is then in ``also_changed``.
"""

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
    LbtAdviceBody,
    LbtAdviceRequestBody,
    LodgeObjectionBody,
    ObjectionDecisionBody,
    ObjectionRead,
    ObjectionState,
)
from application.commands import DecideObjection, LodgeObjection, RecordLbtAdvice, RequestLbtAdvice
from application.handlers import objections
from application.queries import aggregate_history
from domain.objection import Objection

ObjectionId = FromPath[UUID]


class ObjectionController(Controller):
    path = "/v1/tenants/{swv_code:str}/objections"
    tags = ("objections",)

    @post(
        "/",
        summary="Lodge an objection against a decision (a late one is declared inadmissible)",
        description="The loket records anybody's; a school objects as the board, to its own.",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
    )
    async def lodge(
        self,
        data: Annotated[
            LodgeObjectionBody,
            example(
                {
                    "support_request_id": "3b7f3c1e-9a41-5f0e-8d62-1c2b3a4d5e6f",
                    "objector": "PARENTS",
                    "grounds": "Wij vinden dat onze zoon op het SBO beter op zijn plek is.",
                }
            ),
        ],
        principal: NamedDependency[Principal],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = LodgeObjection(
            support_request_id=data.support_request_id,
            objector=data.objector,
            grounds=data.grounds,
            received_on=data.received_on,
            lateness_excuse=data.lateness_excuse,
            channel=data.channel,
            posted_on=data.posted_on,
        )
        outcome = await commands(objections.lodge_objection, command)
        return accepted(outcome, location=url(principal, "objections", outcome.aggregate_id))

    @get(
        "/{objection_id:uuid}",
        summary="An objection: current state, version and events",
        guards=[authorisation.reads_decisions],
        responses=READ_ERRORS,
    )
    async def read(
        self, objection_id: ObjectionId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[ObjectionRead]:
        history = await aggregate_history(event_store, principal.tenant_id, Objection, objection_id)
        objection = history.aggregate
        request = await load_request(event_store, principal.tenant_id, objection.support_request_id)
        schools = (request.school_code,)
        authorisation.ensure_can_read_decision(principal, "Objection", objection.id, schools)
        personal = authorisation.may_see_decision_details(principal, schools)
        return Response(
            ObjectionRead(
                id=objection.id,
                version=history.version,
                state=ObjectionState.of(objection),
                events=event_views(history.events, personal=personal),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{objection_id:uuid}/lbt-advice-requests",
        summary="Record that the LBT was asked for advice (within 2 weeks)",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def request_lbt_advice(
        self,
        objection_id: ObjectionId,
        data: Annotated[LbtAdviceRequestBody, example({"requested_on": "2025-04-08"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RequestLbtAdvice(objection_id=objection_id, requested_on=data.requested_on)
        return accepted(await commands(objections.request_lbt_advice, command))

    @post(
        "/{objection_id:uuid}/lbt-advices",
        summary="Record the LBT's advice",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def record_lbt_advice(
        self,
        objection_id: ObjectionId,
        data: Annotated[
            LbtAdviceBody,
            example({"recommended_outcome": "REJECTED", "advice": "Het bezwaar is ongegrond."}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RecordLbtAdvice(
            objection_id=objection_id,
            recommended_outcome=data.recommended_outcome,
            advice=data.advice,
            received_on=data.received_on,
        )
        return accepted(await commands(objections.record_lbt_advice, command))

    @post(
        "/{objection_id:uuid}/decision",
        summary="Decide the objection, and what it does to the TLV",
        guards=[authorisation.decides],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def decide(
        self,
        objection_id: ObjectionId,
        data: Annotated[
            ObjectionDecisionBody,
            example({"outcome": "REJECTED", "reasons": "Wij volgen het advies van de LBT."}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = DecideObjection(
            objection_id=objection_id,
            outcome=data.outcome,
            reasons=data.reasons,
            decided_on=data.decided_on,
            tlv_consequence=data.tlv_consequence,
            funding_category=data.funding_category,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
        )
        return accepted(await commands(objections.decide_objection, command))
