"""Assigning experts to a TLV application: who may then write which advice."""

from uuid import uuid4

import pytest

from domain.errors import (
    ExpertAdviceError,
    InvalidValueError,
    NotATlvApplicationError,
    RequestAlreadyDecidedError,
)
from domain.expert_advice import ExpertAssignment, ExpertRole, Qualification
from domain.support_request import SupportRequest
from tests.unit.domain.conftest import AMBULANT, AT, LOKET, advice, complete, refused_request


def assign(
    request: SupportRequest, role: ExpertRole, subject: str = "expert-1"
) -> ExpertAssignment:
    expert_id = uuid4()
    request.assign_expert(role=role, expert_id=expert_id, expert_subject=subject, by=LOKET, at=AT)
    return ExpertAssignment(role, expert_id, subject)


def test_an_assignment_names_the_expert_for_one_role() -> None:
    request = complete()
    assignment = assign(request, ExpertRole.FIRST)
    [event] = request.collect_events()
    assert isinstance(event, SupportRequest.ExpertAssigned)
    assert (event.role, event.expert_subject, event.assigned_by) == (
        ExpertRole.FIRST,
        "expert-1",
        LOKET,
    )
    assert request.assigned_expert(ExpertRole.FIRST) == assignment
    assert request.assigned_expert(ExpertRole.SECOND) is None


def test_the_assigned_expert_records_the_advice_of_their_role() -> None:
    request = complete()
    assignment = assign(request, ExpertRole.FIRST)
    request.record_expert_advice(advice(expert_id=assignment.expert_id), by=LOKET, at=AT)
    assert ExpertRole.FIRST in request.expert_advices


def test_another_expert_cannot_write_an_assigned_advice() -> None:
    request = complete()
    assign(request, ExpertRole.FIRST)
    with pytest.raises(ExpertAdviceError, match="assigned to another expert"):
        request.record_expert_advice(advice(expert_id=uuid4()), by=LOKET, at=AT)


def test_one_person_cannot_be_assigned_both_advices() -> None:
    request = complete()
    first = assign(request, ExpertRole.FIRST)
    with pytest.raises(ExpertAdviceError, match="two different persons"):
        request.assign_expert(
            role=ExpertRole.SECOND,
            expert_id=first.expert_id,
            expert_subject=first.subject,
            by=LOKET,
            at=AT,
        )


def test_a_later_assignment_replaces_an_earlier_one_until_the_advice_is_in() -> None:
    request = complete()
    assign(request, ExpertRole.SECOND, "expert-1")
    replacement = assign(request, ExpertRole.SECOND, "expert-2")
    assert request.assigned_expert(ExpertRole.SECOND) == replacement
    request.record_expert_advice(
        advice(ExpertRole.SECOND, Qualification.ARTS, expert_id=replacement.expert_id),
        by=LOKET,
        at=AT,
    )
    with pytest.raises(ExpertAdviceError, match="already recorded"):
        assign(request, ExpertRole.SECOND, "expert-3")


def test_only_open_tlv_applications_get_experts() -> None:
    with pytest.raises(NotATlvApplicationError):
        assign(complete(AMBULANT), ExpertRole.FIRST)
    with pytest.raises(RequestAlreadyDecidedError):
        assign(refused_request(), ExpertRole.FIRST)


def test_an_assignment_names_an_account() -> None:
    with pytest.raises(InvalidValueError):
        assign(complete(), ExpertRole.FIRST, "  ")
