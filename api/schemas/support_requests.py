"""Bodies and views of support requests and TLV applications."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import Replayable
from domain.deadlines import Channel
from domain.expert_advice import ExpertRole, Qualification
from domain.support_request import DecisionOutcome, ParentView, SupportRequest
from domain.tlv import FundingCategory, TlvType


class ExpertAssignmentView(msgspec.Struct, frozen=True, kw_only=True):
    role: ExpertRole
    expert_id: UUID
    expert_subject: str


class ExpertAdviceView(msgspec.Struct, frozen=True, kw_only=True):
    """``advice`` is null for callers who may not see the case's details."""

    role: ExpertRole
    expert_id: UUID
    qualification: Qualification
    independence_declared: bool
    written_on: date
    advice: str | None
    admissible: bool | None
    advised_tlv_type: TlvType | None
    advised_category: FundingCategory | None


class SupportRequestState(msgspec.Struct, frozen=True, kw_only=True):
    pupil_id: UUID
    school_code: str
    arrangement_type: str | None
    tlv_type: TlvType | None
    parent_view: ParentView
    received_on: date
    complete_on: date | None
    decision_deadline: date | None
    suspended_since: date | None
    days_suspended: int
    assigned_experts: list[ExpertAssignmentView]
    expert_advices: list[ExpertAdviceView]
    outcome: DecisionOutcome | None
    decided_on: date | None
    notified_on: date | None
    notified_by_channel: Channel | None
    objection_deadline: date | None
    tlv_id: UUID | None
    funding_category: FundingCategory | None
    valid_from: date | None
    valid_until: date | None

    @classmethod
    def of(cls, request: SupportRequest, *, personal: bool) -> SupportRequestState:
        return cls(
            pupil_id=request.pupil_id,
            school_code=request.school_code,
            arrangement_type=request.arrangement_type,
            tlv_type=request.tlv_type,
            parent_view=request.parent_view,
            received_on=request.received_on,
            complete_on=request.complete_on,
            decision_deadline=request.decision_deadline,
            suspended_since=request.suspended_since,
            days_suspended=request.days_suspended,
            assigned_experts=[
                ExpertAssignmentView(role=a.role, expert_id=a.expert_id, expert_subject=a.subject)
                for _, a in sorted(request.assigned_experts.items())
            ],
            expert_advices=[
                ExpertAdviceView(
                    role=a.role,
                    expert_id=a.expert_id,
                    qualification=a.qualification,
                    independence_declared=a.independence_declared,
                    written_on=a.written_on,
                    advice=a.advice if personal else None,
                    admissible=a.conclusion.admissible if a.conclusion else None,
                    advised_tlv_type=a.conclusion.tlv_type if a.conclusion else None,
                    advised_category=a.conclusion.funding_category if a.conclusion else None,
                )
                for _, a in sorted(request.expert_advices.items())
            ],
            outcome=request.outcome,
            decided_on=request.decided_on,
            notified_on=request.notified_on,
            notified_by_channel=request.notified_by_channel,
            objection_deadline=request.objection_deadline,
            tlv_id=request.tlv_id,
            funding_category=request.funding_category,
            valid_from=request.valid_from,
            valid_until=request.valid_until,
        )


class SupportRequestEvent(EventView, frozen=True):
    """An event of a support request or TLV application."""

    aggregate = SupportRequest


class SupportRequestRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: SupportRequestState
    events: list[SupportRequestEvent]
