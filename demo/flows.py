"""The usual paths of a request, composed from a case's single steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from demo.desk import PupilCase, TlvTerms
from domain.expert_advice import ExpertRole, Qualification
from domain.support_request import ParentView
from domain.tlv import TlvType


@dataclass(frozen=True, slots=True)
class Advice:
    """An expert asked for an advice; without a date, one who has not written it yet."""

    qualification: Qualification
    expert: str
    on: date | None = None
    text: str = ""
    admissible: bool = True  # the conclusion beside the text: to the type applied for


@dataclass(frozen=True, slots=True)
class Decision:
    on: date
    notified_on: date
    reasons: str


async def arrangement_request(  # noqa: PLR0913 - the request's timeline
    case: PupilCase,
    step: str,
    *,
    arrangement_type: str,
    question: str,
    received_on: date,
    complete_on: date,
    decision: Decision | None = None,
    granted: bool = True,
) -> UUID:
    """Submit and check a request; with a decision, also decide it and notify the decision."""
    request_id = await case.submit(
        step, received_on=received_on, question=question, arrangement_type=arrangement_type
    )
    await case.check(request_id, step, complete_on)
    if decision is not None:
        if granted:
            await case.grant(request_id, step, decision.on, decision.reasons)
        else:
            await case.refuse(request_id, step, decision.on, decision.reasons)
        await case.notify(request_id, step, decision.notified_on)
    return request_id


async def tlv_application(  # noqa: PLR0913 - the application's timeline
    case: PupilCase,
    step: str,
    *,
    tlv_type: TlvType,
    question: str,
    received_on: date,
    complete_on: date,
    advices: tuple[Advice, ...],
    parent_view: ParentView = ParentView.AGREE,
    school_code: str | None = None,
) -> UUID:
    """Submit a TLV application, find it complete, assign the experts and record their advice."""
    request_id = await case.submit(
        step,
        received_on=received_on,
        question=question,
        tlv_type=tlv_type,
        parent_view=parent_view,
        school_code=school_code,
    )
    await case.check(request_id, step, complete_on)
    roles = tuple(zip(ExpertRole, advices, strict=False))
    for role, advice in roles:
        await case.assign_expert(request_id, step, role=role, expert=advice.expert)
    for role, advice in roles:
        if advice.on is not None:
            await case.advise(
                request_id,
                step,
                role=role,
                qualification=advice.qualification,
                expert=advice.expert,
                on=advice.on,
                advice=advice.text,
                admissible=advice.admissible,
            )
    return request_id


async def granted_tlv(
    case: PupilCase, request_id: UUID, step: str, decision: Decision, terms: TlvTerms
) -> UUID:
    """Grant the TLV application and notify it; returns the TLV's id."""
    tlv_id = await case.grant(request_id, step, decision.on, decision.reasons, terms)
    if tlv_id is None:
        raise ValueError(f"Case {case.key!r}: request {request_id} issued no TLV.")
    await case.notify(request_id, step, decision.notified_on)
    return tlv_id
