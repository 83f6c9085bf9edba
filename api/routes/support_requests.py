"""``/v1/tenants/{swv_code}/support-requests``: loket requests and TLV applications.

Submission by a school (or the loket), completeness, suspension, the parents' view, the two
experts' advices, the decision and its notification.
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
from api.schemas.support_requests import (
    CompletenessBody,
    DecisionBody,
    ExpertAdviceBody,
    ExpertAssignmentBody,
    NotificationBody,
    ParentViewBody,
    ResumptionBody,
    SubmitSupportRequestBody,
    SupportRequestRead,
    SupportRequestState,
    SuspensionBody,
)
from application.commands import (
    AssignExpert,
    CheckCompleteness,
    DecideSupportRequest,
    NotifyDecision,
    RecordExpertAdvice,
    RecordParentView,
    ResumeApplication,
    SubmitSupportRequest,
    SuspendApplication,
)
from application.handlers import support_requests
from application.ports import EventStore
from application.queries import aggregate_history
from domain.ids import TenantId
from domain.support_request import SupportRequest

RequestId = FromPath[UUID]


async def load_request(store: EventStore, tenant_id: TenantId, request_id: UUID) -> SupportRequest:
    return (await aggregate_history(store, tenant_id, SupportRequest, request_id)).aggregate


_TLV_APPLICATION = {
    "pupil_id": "f5db4dbf-44f7-581f-bf90-a69c25a6167f",
    "tlv_type": "SO",
    "question": "Past een plek in het SO bij wat deze leerling nodig heeft?",
    "parent_view": "AGREE",
}
_ADVICE = {
    "role": "FIRST",
    "qualification": "ORTHOPEDAGOOG",
    "independence_declared": True,
    "written_on": "2025-03-10",
    "advice": "Toelaatbaar tot het SO: de ondersteuningsbehoefte overstijgt het regulier.",
}
_GRANT_TLV = {
    "outcome": "GRANTED",
    "reasons": "Beide deskundigen adviseren toelaatbaarheid tot het SO.",
    "funding_category": "LOW",
    "valid_from": "2025-04-01",
    "valid_until": "2027-07-31",
}


class SupportRequestController(Controller):
    path = "/v1/tenants/{swv_code:str}/support-requests"
    tags = ("support requests",)

    @post(
        "/",
        summary="Submit a support request or TLV application for a pupil",
        description="A school submits for its own pupils, as itself; the loket for any school.",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
    )
    async def submit(
        self,
        data: Annotated[SubmitSupportRequestBody, example(_TLV_APPLICATION, "A TLV application")],
        principal: NamedDependency[Principal],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = SubmitSupportRequest(
            pupil_id=data.pupil_id,
            school_code=data.school_code,
            arrangement_type=data.arrangement_type,
            tlv_type=data.tlv_type,
            question=data.question,
            parent_view=data.parent_view,
            received_on=data.received_on,
        )
        outcome = await commands(support_requests.submit_support_request, command)
        return accepted(outcome, location=url(principal, "support-requests", outcome.aggregate_id))

    @get(
        "/{request_id:uuid}",
        summary="A support request: current state, version and events",
        description="Free texts only for the loket, committee, own school and assigned experts.",
        guards=[authorisation.reads_support_requests],
        responses=READ_ERRORS,
    )
    async def read(
        self, request_id: RequestId, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[SupportRequestRead]:
        history = await aggregate_history(
            event_store, principal.tenant_id, SupportRequest, request_id
        )
        request = history.aggregate
        authorisation.ensure_can_read_request(principal, request)
        personal = authorisation.may_see_case_details(principal, request)
        return Response(
            SupportRequestRead(
                id=request.id,
                version=history.version,
                state=SupportRequestState.of(request, personal=personal),
                events=event_views(history.events, personal=personal),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{request_id:uuid}/completeness-checks",
        summary="Record the completeness check; complete starts the 8-week decision term",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def check_completeness(
        self,
        request_id: RequestId,
        data: Annotated[CompletenessBody, example({"missing": [], "checked_on": "2025-03-04"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = CheckCompleteness(
            request_id=request_id, missing=tuple(data.missing), checked_on=data.checked_on
        )
        return accepted(await commands(support_requests.check_completeness, command))

    @post(
        "/{request_id:uuid}/suspensions",
        summary="Suspend the application; the decision term stands still",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def suspend(
        self,
        request_id: RequestId,
        data: Annotated[
            SuspensionBody,
            example(
                {
                    "reason": "Het OPP ontbreekt.",
                    "suspended_on": "2025-03-05",
                    "complete_by": "2025-03-19",
                }
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = SuspendApplication(
            request_id=request_id,
            reason=data.reason,
            suspended_on=data.suspended_on,
            complete_by=data.complete_by,
        )
        return accepted(await commands(support_requests.suspend_application, command))

    @post(
        "/{request_id:uuid}/resumptions",
        summary="Resume a suspended application; the deadline moves by the days suspended",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def resume(
        self,
        request_id: RequestId,
        data: Annotated[ResumptionBody, example({"resumed_on": "2025-03-12"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ResumeApplication(request_id=request_id, resumed_on=data.resumed_on)
        return accepted(await commands(support_requests.resume_application, command))

    @post(
        "/{request_id:uuid}/parent-views",
        summary="Record the parents' view on the request",
        guards=[authorisation.records_for_pupils],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def record_parent_view(
        self,
        request_id: RequestId,
        data: Annotated[ParentViewBody, example({"parent_view": "DISAGREE"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RecordParentView(request_id=request_id, parent_view=data.parent_view)
        return accepted(await commands(support_requests.record_parent_view, command))

    @post(
        "/{request_id:uuid}/expert-assignments",
        summary="Assign an expert (by token subject) the first or second advice",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def assign_expert(
        self,
        request_id: RequestId,
        data: Annotated[
            ExpertAssignmentBody, example({"role": "FIRST", "expert_subject": "orthopedagoog-1"})
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AssignExpert(
            request_id=request_id, role=data.role, expert_subject=data.expert_subject
        )
        return accepted(await commands(support_requests.assign_expert, command))

    @post(
        "/{request_id:uuid}/expert-advices",
        summary="Record one expert's written advice on a TLV application",
        description="An expert records only the advice of the role assigned to them.",
        guards=[authorisation.records_advice],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def record_expert_advice(
        self,
        request_id: RequestId,
        data: Annotated[ExpertAdviceBody, example(_ADVICE, "The first expert's advice")],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RecordExpertAdvice(
            request_id=request_id,
            role=data.role,
            expert_id=data.expert_id,
            qualification=data.qualification,
            independence_declared=data.independence_declared,
            written_on=data.written_on,
            advice=data.advice,
            admissible=data.admissible,
            advised_tlv_type=data.advised_tlv_type,
            advised_category=data.advised_category,
            works_at_school=data.works_at_school,
        )
        return accepted(await commands(support_requests.record_expert_advice, command))

    @post(
        "/{request_id:uuid}/decision",
        summary="Decide: grant or refuse; a granted TLV application issues the TLV",
        description="The new TLV's id is in ``also_changed``.",
        guards=[authorisation.decides],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def decide(
        self,
        request_id: RequestId,
        data: Annotated[DecisionBody, example(_GRANT_TLV, "Grant an SO TLV")],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = DecideSupportRequest(
            request_id=request_id,
            outcome=data.outcome,
            reasons=data.reasons,
            decided_on=data.decided_on,
            funding_category=data.funding_category,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
        )
        return accepted(await commands(support_requests.decide_support_request, command))

    @post(
        "/{request_id:uuid}/notification",
        summary="Record that the decision was made known; the objection term starts",
        guards=[authorisation.processes_cases],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def notify(
        self,
        request_id: RequestId,
        data: Annotated[NotificationBody, example({"notified_on": "2025-03-21"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = NotifyDecision(
            request_id=request_id, notified_on=data.notified_on, channel=data.channel
        )
        return accepted(await commands(support_requests.notify_decision, command))
