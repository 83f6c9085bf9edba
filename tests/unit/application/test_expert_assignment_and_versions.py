"""Assigned experts, expected versions (If-Match) and opening a tenant, through the handlers."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from application.commands import (
    AssignExpert,
    CheckCompleteness,
    DecideSupportRequest,
    NotifyDecision,
    OpenTenant,
    RecordExpertAdvice,
    ReinstateTenant,
    SuspendTenant,
)
from application.errors import AccessDeniedError, ConcurrencyConflictError, TenantSuspendedError
from application.handlers import platform, support_requests
from application.handling import expert_id_for
from application.queries import aggregate_history
from domain.errors import DuplicateConfigurationError, InvalidValueError
from domain.expert_advice import ExpertRole, Qualification
from domain.ids import TenantId
from domain.support_request import DecisionOutcome, SupportRequest
from tests.unit.application.conftest import (
    ADMIN,
    DIRECTOR,
    OPERATOR,
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


def opening(code: str) -> OpenTenant:
    return OpenTenant(code=code, name="Passenderwijs")


async def test_the_operator_opens_a_tenant_in_the_platform_log_not_in_its_own(desk: Desk) -> None:
    code = fresh_swv_code("VO")
    ctx = desk.ctx(OPERATOR)
    outcome = await platform.open_tenant(opening(code), ctx, store=desk.store, clock=desk.clock)
    assert outcome.stream_version == 1
    assert (await desk.store.head(TenantId(code))).last_position == 0
    [opened] = await platform.platform_log(desk.store, TenantId(code))
    assert (opened.event_type, opened.actor) == ("TenancyOpened", "platform-operator:ops-1")


async def test_an_invalid_tenant_is_not_opened(desk: Desk) -> None:
    code = fresh_swv_code("XX")
    with pytest.raises(InvalidValueError):
        await platform.open_tenant(
            opening(code), desk.ctx(OPERATOR), store=desk.store, clock=desk.clock
        )
    with pytest.raises(Exception, match="No tenant"):
        await desk.store.head(TenantId(code))


async def test_only_the_operator_opens_a_tenant(desk: Desk) -> None:
    with pytest.raises(AccessDeniedError):
        await platform.open_tenant(
            opening(fresh_swv_code()), desk.ctx(ADMIN), store=desk.store, clock=desk.clock
        )


async def test_an_open_tenant_is_not_opened_again_but_a_retry_answers_the_same(
    desk: Desk,
) -> None:
    code, retry_id = fresh_swv_code(), uuid4()
    ctx = desk.ctx(OPERATOR, command_id=retry_id)
    first = await platform.open_tenant(opening(code), ctx, store=desk.store, clock=desk.clock)
    again = await platform.open_tenant(opening(code), ctx, store=desk.store, clock=desk.clock)
    assert again == first
    with pytest.raises(DuplicateConfigurationError):
        await platform.open_tenant(
            opening(code), desk.ctx(OPERATOR), store=desk.store, clock=desk.clock
        )


async def test_a_suspended_tenant_changes_nothing_until_it_is_reinstated(desk: Desk) -> None:
    code = fresh_swv_code()
    await desk.run(platform.open_tenant, opening(code), actor=OPERATOR)
    await desk.run(
        platform.suspend_tenant, SuspendTenant(code=code, reason="Incident"), actor=OPERATOR
    )
    with pytest.raises(TenantSuspendedError):
        await platform.ensure_tenant_active(desk.store, TenantId(code))
    await desk.run(
        platform.reinstate_tenant, ReinstateTenant(code=code, reason="Opgelost"), actor=OPERATOR
    )
    await platform.ensure_tenant_active(desk.store, TenantId(code))
    log = await platform.platform_log(desk.store, TenantId(code))
    assert [e.event_type for e in log] == [
        "TenancyOpened",
        "TenancySuspended",
        "TenancyReinstated",
    ]


async def test_completeness_is_checked_only_on_the_version_seen(desk: Desk) -> None:
    request_id = await complete_request(desk, await register_pupil(desk))
    with pytest.raises(ConcurrencyConflictError):
        await support_requests.check_completeness(
            CheckCompleteness(request_id=request_id),
            replace(desk.ctx(), expected_version=7),
            store=desk.store,
            clock=desk.clock,
        )
