"""Routes for the terms as the law counts them (domain.md §1.12) and the beschikking.

A 4:14 notice on a support request; on an objection the lateness explanation and the
committee's 6:11 ruling, and the 7:10 postponement and consent; and the decision letter itself,
as HTML or PDF, for SWV staff and the school of the case.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.dependencies import Commands, Store
from api.personal_reads import CASE_HANDLING, personal, pupil_of_support_request
from api.schemas.common import COMMAND_ERRORS, CommandAccepted, accepted, example, problems
from api.schemas.terms import (
    DecisionPostponementBody,
    DecisionTermExtensionBody,
    LatenessExplanationBody,
    LatenessRulingBody,
    LongerTermConsentBody,
)
from application.beschikking import Beschikking, beschikking_of, render_html, render_pdf
from application.commands import (
    AgreeLongerObjectionTerm,
    ExplainObjectionLateness,
    ExtendDecisionTerm,
    PostponeObjectionDecision,
    RuleOnObjectionLateness,
)
from application.errors import AggregateNotFoundError
from application.handlers import objections, support_requests
from application.queries import aggregate_history, swv_configuration
from domain.pupil import Pupil
from domain.support_request import SupportRequest

RequestId = FromPath[UUID]
ObjectionId = FromPath[UUID]
_PDF = "application/pdf"
_LETTER_ERRORS = problems(400, 401, 403, 404, 422)  # 422: not decided yet
# The letter names the pupil and gives the decision's reasons.
_LETTER = personal(
    "letter",
    CASE_HANDLING,
    fields=("name", "reasons"),
    pupil_of=pupil_of_support_request("request_id"),
)


class DecisionTermController(Controller):
    path = "/v1/tenants/{swv_code:str}/support-requests"
    tags = ("support requests",)

    @post(
        "/{request_id:uuid}/decision-term-extensions",
        summary="Notify under Awb 4:14 that the decision takes until a named day",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def extend(
        self,
        request_id: RequestId,
        data: Annotated[
            DecisionTermExtensionBody,
            example(
                {
                    "reason": "Het onderzoek duurt langer.",
                    "extended_to": "2025-06-10",
                    "notified_on": "2025-04-14",
                }
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ExtendDecisionTerm(
            request_id=request_id,
            reason=data.reason,
            extended_to=data.extended_to,
            notified_on=data.notified_on,
        )
        return accepted(await commands(support_requests.extend_decision_term, command))

    @get(
        "/{request_id:uuid}/beschikking",
        summary="The decision letter (HTML), with its reasons and the notice of objection rights",
        guards=[authorisation.records_for_pupils],
        responses=_LETTER_ERRORS,
        media_type=MediaType.HTML,
        opt=_LETTER,
    )
    async def letter(
        self, request_id: RequestId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[str]:
        beschikking = await _beschikking(event_store, principal, request_id)
        return Response(render_html(beschikking), media_type=MediaType.HTML)

    @get(
        "/{request_id:uuid}/beschikking.pdf",
        summary="The decision letter as PDF",
        guards=[authorisation.records_for_pupils],
        responses=_LETTER_ERRORS,
        media_type=_PDF,
        opt=_LETTER,
    )
    async def letter_pdf(
        self, request_id: RequestId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[bytes]:
        beschikking = await _beschikking(event_store, principal, request_id)
        return Response(render_pdf(beschikking), media_type=_PDF)


async def _beschikking(store: Store, principal: Principal, request_id: UUID) -> Beschikking:
    """The letter for SWV staff and the school of the case; as unknown (404) to anyone else."""
    tenant_id = principal.tenant_id
    request = (await aggregate_history(store, tenant_id, SupportRequest, request_id)).aggregate
    if not authorisation.may_see_case_details(principal, request):
        raise AggregateNotFoundError("SupportRequest", request.id)
    pupil = (await aggregate_history(store, tenant_id, Pupil, request.pupil_id)).aggregate
    swv = await swv_configuration(store, tenant_id)
    return beschikking_of(request, swv, pupil_name=pupil.name)


class ObjectionTermController(Controller):
    path = "/v1/tenants/{swv_code:str}/objections"
    tags = ("objections",)

    @post(
        "/{objection_id:uuid}/lateness-explanations",
        summary="Record why a late objection came late, as the objector explains it",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def explain_lateness(
        self,
        objection_id: ObjectionId,
        data: Annotated[
            LatenessExplanationBody,
            example({"explanation": "De brief is naar ons oude adres gestuurd."}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ExplainObjectionLateness(
            objection_id=objection_id, explanation=data.explanation, received_on=data.received_on
        )
        return accepted(await commands(objections.explain_objection_lateness, command))

    @post(
        "/{objection_id:uuid}/lateness-rulings",
        summary="Rule whether a late objection's lateness is excusable (Awb 6:11)",
        description="Not excusable: the objection is declared inadmissible by the same ruling.",
        guards=[authorisation.decides],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def rule_on_lateness(
        self,
        objection_id: ObjectionId,
        data: Annotated[
            LatenessRulingBody,
            example({"excusable": True, "reasons": "Niet te verwijten: verkeerd adres."}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RuleOnObjectionLateness(
            objection_id=objection_id,
            excusable=data.excusable,
            reasons=data.reasons,
            decided_on=data.decided_on,
        )
        return accepted(await commands(objections.rule_on_objection_lateness, command))

    @post(
        "/{objection_id:uuid}/decision-postponements",
        summary="Postpone the decision on the objection once by six weeks (Awb 7:10 lid 3)",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def postpone(
        self,
        objection_id: ObjectionId,
        data: Annotated[
            DecisionPostponementBody,
            example({"reason": "Hoorzitting verplaatst.", "notified_on": "2025-05-01"}),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = PostponeObjectionDecision(
            objection_id=objection_id, reason=data.reason, notified_on=data.notified_on
        )
        return accepted(await commands(objections.postpone_objection_decision, command))

    @post(
        "/{objection_id:uuid}/longer-term-consents",
        summary="Record the objector's consent to a later decision (Awb 7:10 lid 4)",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def agree_longer_term(
        self,
        objection_id: ObjectionId,
        data: Annotated[LongerTermConsentBody, example({"agreed_until": "2025-09-01"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AgreeLongerObjectionTerm(
            objection_id=objection_id,
            agreed_until=data.agreed_until,
            consented_on=data.consented_on,
        )
        return accepted(await commands(objections.agree_longer_objection_term, command))
