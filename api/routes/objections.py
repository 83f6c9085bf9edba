"""``/v1/tenants/{swv_code}/objections``: bezwaar, the LBT's advice, and the decision on it.

Deciding an objection may grant, revise or revoke a TLV; its id is then in ``also_changed``.
"""

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
from api.schemas.decisions import ObjectionRead, ObjectionState
from api.schemas.headers import ETAG
from application import commands as c
from application.handlers import objections as h
from application.queries import aggregate_history
from domain.objection import Objection

PATH = "/v1/tenants/{swv_code:str}/objections"
ObjectionId = FromPath[UUID]


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.LodgeObjection,
        handler=h.lodge_objection,
        guard=authorisation.records_for_pupils,
        operation_id="lodgeObjection",
        summary="Lodge an objection against a decision (a late one is declared inadmissible)",
        description="The loket records anybody's; a school objects as the board, to its own.",
        examples={
            "The parents object": {
                "support_request_id": "3b7f3c1e-9a41-5f0e-8d62-1c2b3a4d5e6f",
                "objector": "PARENTS",
                "grounds": "Wij vinden dat onze zoon op het SBO beter op zijn plek is.",
            }
        },
        creates="objections/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/lbt-advice-requests",
        command=c.RequestLbtAdvice,
        handler=h.request_lbt_advice,
        guard=authorisation.processes_cases,
        operation_id="requestLbtAdvice",
        summary="Record that the LBT was asked for advice (within 2 weeks)",
        examples={"Asked": {"requested_on": "2025-04-08"}},
    ),
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/lbt-advices",
        command=c.RecordLbtAdvice,
        handler=h.record_lbt_advice,
        guard=authorisation.processes_cases,
        operation_id="recordLbtAdvice",
        summary="Record the LBT's advice",
        examples={
            "Unfounded": {"recommended_outcome": "REJECTED", "advice": "Het bezwaar is ongegrond."}
        },
    ),
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/decision",
        command=c.DecideObjection,
        handler=h.decide_objection,
        guard=authorisation.decides,
        operation_id="decideObjection",
        summary="Decide the objection, and what it does to the TLV",
        examples={
            "Rejected": {"outcome": "REJECTED", "reasons": "Wij volgen het advies van de LBT."}
        },
    ),
    # The steps the law adds to the objection's terms (Awb 6:11, 7:10).
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/lateness-explanations",
        command=c.ExplainObjectionLateness,
        handler=h.explain_objection_lateness,
        guard=authorisation.processes_cases,
        operation_id="explainObjectionLateness",
        summary="Record why a late objection came late, as the objector explains it",
        examples={"A wrong address": {"explanation": "De brief is naar ons oude adres gestuurd."}},
    ),
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/lateness-rulings",
        command=c.RuleOnObjectionLateness,
        handler=h.rule_on_objection_lateness,
        guard=authorisation.decides,
        operation_id="ruleOnObjectionLateness",
        summary="Rule whether a late objection's lateness is excusable (Awb 6:11)",
        description="Not excusable: the objection is declared inadmissible by the same ruling.",
        examples={
            "Excusable": {"excusable": True, "reasons": "Niet te verwijten: verkeerd adres."}
        },
    ),
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/decision-postponements",
        command=c.PostponeObjectionDecision,
        handler=h.postpone_objection_decision,
        guard=authorisation.processes_cases,
        operation_id="postponeObjectionDecision",
        summary="Postpone the decision on the objection once by six weeks (Awb 7:10 lid 3)",
        examples={
            "A hearing moved": {"reason": "Hoorzitting verplaatst.", "notified_on": "2025-05-01"}
        },
    ),
    CommandRoute(
        method="POST",
        path="/{objection_id:uuid}/longer-term-consents",
        command=c.AgreeLongerObjectionTerm,
        handler=h.agree_longer_objection_term,
        guard=authorisation.processes_cases,
        operation_id="agreeLongerObjectionTerm",
        summary="Record the objector's consent to a later decision (Awb 7:10 lid 4)",
        examples={"Until September": {"agreed_until": "2025-09-01"}},
    ),
]


class ObjectionController(Controller):
    path = PATH
    tags = ("objections",)

    @get(
        "/{objection_id:uuid}",
        response_headers=[ETAG],
        summary="An objection: current state, version and events",
        guards=[authorisation.or_as_of(authorisation.reads_decisions)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getObjection",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        objection_id: ObjectionId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[ObjectionRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, Objection, objection_id, to_position=replay.position
        )
        objection = history.aggregate
        request = await load_request(event_store, principal.tenant_id, objection.support_request_id)
        schools = (request.school_code,)
        authorisation.ensure_can_read_decision(
            principal, "Objection", objection.id, schools, as_of=replay.as_of
        )
        personal = authorisation.may_see_decision_details(principal, schools)
        return aggregate_read(
            ObjectionRead,
            history,
            ObjectionState.of(objection),
            personal=personal,
            replayed_to=replay.moment,
        )


ObjectionCommands = command_router(PATH, "objections", COMMANDS)
