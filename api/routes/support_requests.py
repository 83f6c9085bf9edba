"""``/v1/tenants/{swv_code}/support-requests``: loket requests and TLV applications.

Submission by a school (or the loket), completeness, suspension, the parents' view, the two
experts' advices, the decision and its notification.
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
from api.schemas.common import aggregate_read
from api.schemas.headers import ETAG
from api.schemas.support_requests import (
    SupportRequestRead,
    SupportRequestState,
)
from application import commands as c
from application.handlers import support_requests as h
from application.ports import EventStore
from application.queries import aggregate_history
from domain.ids import TenantId
from domain.support_request import SupportRequest

PATH = "/v1/tenants/{swv_code:str}/support-requests"
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
    "admissible": True,
}
_GRANT_TLV = {
    "outcome": "GRANTED",
    "reasons": "Beide deskundigen adviseren toelaatbaarheid tot het SO.",
    "funding_category": "LOW",
    "valid_from": "2025-04-01",
    "valid_until": "2027-07-31",
}


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.SubmitSupportRequest,
        handler=h.submit_support_request,
        guard=authorisation.records_for_pupils,
        operation_id="submitSupportRequest",
        summary="Submit a support request or TLV application for a pupil",
        description="A school submits for its own pupils, as itself; the loket for any school.",
        examples={"A TLV application": _TLV_APPLICATION},
        creates="support-requests/{id}",
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/completeness-checks",
        command=c.CheckCompleteness,
        handler=h.check_completeness,
        guard=authorisation.processes_cases,
        operation_id="checkCompleteness",
        summary="Record the completeness check; complete starts the 8-week decision term",
        examples={"Complete": {"missing": [], "checked_on": "2025-03-04"}},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/suspensions",
        command=c.SuspendApplication,
        handler=h.suspend_application,
        guard=authorisation.processes_cases,
        operation_id="suspendApplication",
        summary="Suspend the application; the decision term stands still",
        examples={
            "Waiting for the OPP": {
                "reason": "Het OPP ontbreekt.",
                "suspended_on": "2025-03-05",
                "complete_by": "2025-03-19",
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/resumptions",
        command=c.ResumeApplication,
        handler=h.resume_application,
        guard=authorisation.processes_cases,
        operation_id="resumeApplication",
        summary="Resume a suspended application; the deadline moves by the days suspended",
        examples={"Resumed": {"resumed_on": "2025-03-12"}},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/decision-term-extensions",
        command=c.ExtendDecisionTerm,
        handler=h.extend_decision_term,
        guard=authorisation.processes_cases,
        operation_id="extendDecisionTerm",
        summary="Notify under Awb 4:14 that the decision takes until a named day",
        examples={
            "The research takes longer": {
                "reason": "Het onderzoek duurt langer.",
                "extended_to": "2025-06-10",
                "notified_on": "2025-04-14",
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/parent-views",
        command=c.RecordParentView,
        handler=h.record_parent_view,
        guard=authorisation.records_for_pupils,
        operation_id="recordParentView",
        summary="Record the parents' view on the request",
        examples={"The parents disagree": {"parent_view": "DISAGREE"}},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/expert-assignments",
        command=c.AssignExpert,
        handler=h.assign_expert,
        guard=authorisation.processes_cases,
        operation_id="assignExpert",
        summary="Assign an expert (by token subject) the first or second advice",
        examples={"The first expert": {"role": "FIRST", "expert_subject": "orthopedagoog-1"}},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/expert-advices",
        command=c.RecordExpertAdvice,
        handler=h.record_expert_advice,
        guard=authorisation.records_advice,
        operation_id="recordExpertAdvice",
        summary="Record one expert's written advice on a TLV application",
        description="An expert records only the advice of the role assigned to them.",
        examples={"The first expert's advice": _ADVICE},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/decision",
        command=c.DecideSupportRequest,
        handler=h.decide_support_request,
        guard=authorisation.decides,
        operation_id="decideSupportRequest",
        summary="Decide: grant or refuse; a granted TLV application issues the TLV",
        description="The new TLV's id is in ``also_changed``.",
        examples={"Grant an SO TLV": _GRANT_TLV},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/withdrawal",
        command=c.WithdrawSupportRequest,
        handler=h.withdraw_support_request,
        guard=authorisation.records_for_pupils,
        operation_id="withdrawSupportRequest",
        summary="Withdraw the request before it is decided (the school no longer asks)",
        examples={"No longer needed": {"reason": "De leerling verhuist naar het buitenland."}},
    ),
    CommandRoute(
        method="POST",
        path="/{request_id:uuid}/notification",
        command=c.NotifyDecision,
        handler=h.notify_decision,
        guard=authorisation.processes_cases,
        operation_id="notifyDecision",
        summary="Record that the decision was made known; the objection term starts",
        examples={"Notified": {"notified_on": "2025-03-21"}},
    ),
]


class SupportRequestController(Controller):
    path = PATH
    tags = ("support-requests",)

    @get(
        "/{request_id:uuid}",
        response_headers=[ETAG],
        summary="A support request: current state, version and events",
        description="Free texts only for the loket, committee, own school and assigned experts.",
        guards=[authorisation.or_as_of(authorisation.reads_support_requests)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getSupportRequest",
        opt=personal("read", CASE_HANDLING),
    )
    async def read(
        self,
        request_id: RequestId,
        principal: NamedDependency[Principal],
        event_store: Store,
        replay: ReplayDependency,
    ) -> Response[SupportRequestRead]:
        history = await aggregate_history(
            event_store,
            principal.tenant_id,
            SupportRequest,
            request_id,
            to_position=replay.position,
        )
        request = history.aggregate
        authorisation.ensure_can_read_request(principal, request, as_of=replay.as_of)
        personal = authorisation.may_see_case_details(principal, request)
        return aggregate_read(
            SupportRequestRead,
            history,
            SupportRequestState.of(request, personal=personal),
            personal=personal,
            replayed_to=replay.moment,
        )


SupportRequestCommands = command_router(PATH, "support-requests", COMMANDS)
