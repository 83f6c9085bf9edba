"""Assigned experts, expected versions (If-Match) and opening a tenant, through the handlers."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from application.commands import (
    AssignExpert,
    CheckCompleteness,
    ConfigureSwv,
    DecideSupportRequest,
    NotifyDecision,
    RecordExpertAdvice,
)
from application.errors import ConcurrencyConflictError
from application.handlers import support_requests, swv
from application.handling import expert_id_for
from application.queries import aggregate_history
from domain.errors import DuplicateConfigurationError, InvalidValueError
from domain.expert_advice import ExpertRole, Qualification
from domain.support_request import DecisionOutcome, SupportRequest
from tests.unit.application.conftest import (
    DIRECTOR,
    Desk,
    complete_request,
    fresh_swv_code,
    granted_tlv,
    register_pupil,
)


def advice_of(request_id: object, role: ExpertRole = ExpertRole.FIRST) -> RecordExpertAdvice:
    return RecordExpertAdvice(
        request_id=request_id,  # type: ignore[arg-type]
        role=role,
        qualification=Qualification.ORTHOPEDAGOOG,
        independence_declared=True,
        written_on=date(2025, 3, 3),
        advice="Toelaatbaar tot het SO.",
        admissible=True,
    )


async def test_an_advice_without_expert_id_is_the_assigned_experts(desk: Desk) -> None:
    request_id = await complete_request(desk, await register_pupil(desk))
    await desk.run(
        support_requests.assign_expert,
        AssignExpert(request_id=request_id, role=ExpertRole.FIRST, expert_subject="expert-1"),
    )
    await desk.run(
        support_requests.record_expert_advice, advice_of(request_id), actor="expert:expert-1"
    )
    history = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
    recorded = history.aggregate.expert_advices[ExpertRole.FIRST]
    assert recorded.expert_id == expert_id_for(desk.tenant_id, "expert-1")


async def test_an_advice_names_its_expert_when_none_is_assigned(desk: Desk) -> None:
    request_id = await complete_request(desk, await register_pupil(desk))
    with pytest.raises(InvalidValueError, match="No expert is assigned"):
        await desk.run(support_requests.record_expert_advice, advice_of(request_id))


async def test_a_command_on_the_version_the_caller_saw_is_recorded(desk: Desk) -> None:
    request_id = await complete_request(desk, await register_pupil(desk))
    ctx = replace(desk.ctx(), expected_version=2)
    outcome = await support_requests.assign_expert(
        AssignExpert(request_id=request_id, role=ExpertRole.FIRST, expert_subject="e"),
        ctx,
        store=desk.store,
        clock=desk.clock,
    )
    assert outcome.stream_version == 3


async def test_a_command_on_an_older_version_is_refused_and_records_nothing(desk: Desk) -> None:
    request_id, _ = await granted_tlv(desk)
    stale = replace(desk.ctx(), expected_version=1)
    with pytest.raises(ConcurrencyConflictError) as refused:
        await support_requests.notify_decision(
            NotifyDecision(request_id=request_id), stale, store=desk.store, clock=desk.clock
        )
    assert refused.value.actual == 5
    history = await aggregate_history(desk.store, desk.tenant_id, SupportRequest, request_id)
    assert history.version == 5


async def test_a_decision_checks_the_expected_version_of_the_request(desk: Desk) -> None:
    request_id = await complete_request(desk, await register_pupil(desk))
    stale = replace(desk.ctx(DIRECTOR), expected_version=1)
    with pytest.raises(ConcurrencyConflictError):
        await support_requests.decide_support_request(
            DecideSupportRequest(
                request_id=request_id, outcome=DecisionOutcome.REFUSED, reasons="Niet nodig."
            ),
            stale,
            store=desk.store,
            clock=desk.clock,
        )


async def test_a_retried_command_returns_its_outcome_whatever_the_expected_version(
    desk: Desk,
) -> None:
    request_id = await complete_request(
        desk, await register_pupil(desk), tlv_type=None, arrangement_type="ambulante-begeleiding"
    )
    ctx = replace(desk.ctx(), expected_version=2)
    command = DecideSupportRequest(
        request_id=request_id, outcome=DecisionOutcome.REFUSED, reasons="Niet nodig."
    )
    first = await support_requests.decide_support_request(
        command, ctx, store=desk.store, clock=desk.clock
    )
    again = await support_requests.decide_support_request(
        command, ctx, store=desk.store, clock=desk.clock
    )
    assert again == first


CONFIGURATION = ConfigureSwv(
    name="Passenderwijs",
    committee_name="TLC",
    policy_version="OP-2024.1",
    policy_effective_from=date(2024, 8, 1),
)


async def test_opening_a_tenant_registers_its_log_and_configuration(desk: Desk) -> None:
    tenant = Desk(desk.store, fresh_swv_code("VO"))
    outcome = await swv.open_tenant(CONFIGURATION, tenant.ctx(), store=desk.store, clock=desk.clock)
    assert (outcome.stream_version, outcome.first_position) == (1, 1)
    assert (await desk.store.head(tenant.tenant_id)).last_position == 1


async def test_an_invalid_tenant_is_not_opened(desk: Desk) -> None:
    tenant = Desk(desk.store, fresh_swv_code("XX"))
    with pytest.raises(InvalidValueError):
        await swv.open_tenant(CONFIGURATION, tenant.ctx(), store=desk.store, clock=desk.clock)
    with pytest.raises(Exception, match="No tenant"):
        await desk.store.head(tenant.tenant_id)


async def test_an_existing_tenant_is_not_opened_again(desk: Desk) -> None:
    with pytest.raises(DuplicateConfigurationError):
        await swv.open_tenant(CONFIGURATION, desk.ctx(), store=desk.store, clock=desk.clock)
    retry_id = uuid4()
    tenant = Desk(desk.store, fresh_swv_code())
    first = await swv.open_tenant(
        CONFIGURATION, tenant.ctx(command_id=retry_id), store=desk.store, clock=desk.clock
    )
    again = await swv.open_tenant(
        CONFIGURATION, tenant.ctx(command_id=retry_id), store=desk.store, clock=desk.clock
    )
    assert again == first


async def test_completeness_is_checked_only_on_the_version_seen(desk: Desk) -> None:
    request_id = await complete_request(desk, await register_pupil(desk))
    with pytest.raises(ConcurrencyConflictError):
        await support_requests.check_completeness(
            CheckCompleteness(request_id=request_id),
            replace(desk.ctx(), expected_version=7),
            store=desk.store,
            clock=desk.clock,
        )
