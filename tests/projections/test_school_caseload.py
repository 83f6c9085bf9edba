"""The school caseload: each school sees its own pupils' open cases and what is due next."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from application.commands import (
    DecideSupportRequest,
    GrantArrangement,
    ResumeApplication,
    SubmitSupportRequest,
)
from application.handlers import arrangements, support_requests
from domain import deadlines
from domain.deadlines import Pause
from domain.support_request import DecisionOutcome, ParentView
from infrastructure.database import Pool, tenant_transaction
from infrastructure.event_store import PostgresEventStore
from projections.cases import CaseKind, CaseStatus, DeadlineKind
from projections.school_caseload import _QUERY, SchoolCaseload, fetch_school_caseload
from tests.projections.conftest import RunnerFactory, eventually
from tests.projections.read_models import READ_MODELS, caught_up
from tests.unit.application.conftest import (
    DIRECTOR,
    Desk,
    complete_request,
    configured_desk,
    granted_tlv,
    invited_to_complete,
    register_pupil,
)

pytestmark = pytest.mark.integration

REGULAR, SBO = "12AB00", "34CD00"
TODAY = date(2025, 3, 3)  # the desk's clock


async def caseload(pool: Pool, desk: Desk, school: str, as_of: date) -> SchoolCaseload:
    await eventually(lambda: caught_up(pool, desk.tenant_id))
    async with pool.acquire() as conn:
        return await fetch_school_caseload(conn, desk.tenant_id, school, as_of=as_of)


async def granted_arrangement(desk: Desk, pupil_id: UUID, start_on: date) -> UUID:
    request_id = await complete_request(
        desk, pupil_id, tlv_type=None, arrangement_type="ambulante-begeleiding"
    )
    await desk.run(
        support_requests.decide_support_request,
        DecideSupportRequest(
            request_id=request_id, outcome=DecisionOutcome.GRANTED, reasons="Nodig."
        ),
        actor=DIRECTOR,
    )
    outcome = await desk.run(
        arrangements.grant_arrangement,
        GrantArrangement(
            support_request_id=request_id, provider="De Brug", amount=40, start_on=start_on
        ),
        actor=DIRECTOR,
    )
    return outcome.aggregate_id


async def test_a_school_sees_its_own_pupils_open_cases_with_the_next_deadline_of_each(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    waiting, supported, placed, elsewhere = [await register_pupil(desk) for _ in range(4)]
    open_request = await complete_request(desk, waiting)
    arrangement = await granted_arrangement(desk, supported, start_on=date(2025, 4, 1))
    _, tlv = await granted_tlv(desk, placed)
    await desk.run(
        support_requests.submit_support_request,
        SubmitSupportRequest(
            pupil_id=elsewhere,
            school_code=SBO,
            arrangement_type="ambulante-begeleiding",
            question="Wat past?",
            parent_view=ParentView.AGREE,
        ),
    )

    regular = await caseload(app_pool, desk, REGULAR, as_of=date(2025, 3, 10))

    by_pupil = {p.pupil_id: p for p in regular.pupils}
    assert set(by_pupil) == {waiting, supported, placed}
    [request] = by_pupil[waiting].cases
    assert (request.case_id, request.kind, request.status) == (
        open_request,
        CaseKind.REQUEST,
        CaseStatus.COMPLETE,
    )
    assert request.next_deadline == deadlines.decision_deadline(TODAY)
    assert request.next_deadline_kind is DeadlineKind.DECISION
    assert not request.overdue
    [running] = by_pupil[supported].cases
    assert (running.case_id, running.kind, running.subject) == (
        arrangement,
        CaseKind.ARRANGEMENT,
        "ambulante-begeleiding",
    )
    [issued] = by_pupil[placed].cases
    assert (issued.case_id, issued.status, issued.next_deadline_kind) == (
        tlv,
        CaseStatus.ISSUED,
        DeadlineKind.TLV_REDEMPTION,
    )
    assert regular.pupils[0].pupil_id == waiting, "the most urgent pupil comes first"
    other = await caseload(app_pool, desk, SBO, as_of=date(2025, 3, 10))
    assert [p.pupil_id for p in other.pupils] == [elsewhere]


async def test_a_suspension_stops_the_decision_term_and_resuming_moves_it_on(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    request_id = await complete_request(desk, await register_pupil(desk))
    desk.clock.move_to(date(2025, 3, 12))
    await invited_to_complete(desk, request_id, date(2025, 3, 5), complete_by=date(2025, 3, 19))

    # Paused from 6 March until the completion term ends on the 19th: 14 days.
    [pupil] = (await caseload(app_pool, desk, REGULAR, as_of=TODAY)).pupils
    assert (pupil.cases[0].status, pupil.next_deadline) == (
        CaseStatus.SUSPENDED,
        date(2025, 5, 12),
    )

    await desk.run(
        support_requests.resume_application,
        ResumeApplication(request_id=request_id, resumed_on=date(2025, 3, 12)),
    )
    # Completed on the 12th: paused the 6th to the 11th, 6 days.
    late = date(2025, 5, 6)
    assert late == deadlines.decision_deadline(
        TODAY, pauses=[Pause(date(2025, 3, 5), date(2025, 3, 19), date(2025, 3, 12))]
    )
    [pupil] = (await caseload(app_pool, desk, REGULAR, as_of=late + timedelta(days=1))).pupils
    assert (pupil.next_deadline, pupil.cases[0].overdue) == (late, True)


async def test_ended_arrangements_and_decided_requests_leave_the_caseload(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    pupil_id = await register_pupil(desk)
    await granted_arrangement(desk, pupil_id, start_on=date(2025, 4, 1))

    during = await caseload(app_pool, desk, REGULAR, as_of=date(2025, 9, 30))
    after = await caseload(app_pool, desk, REGULAR, as_of=date(2025, 10, 1))

    assert [c.kind for p in during.pupils for c in p.cases] == [CaseKind.ARRANGEMENT]
    assert after.pupils == [], "six months from 1 April end on 30 September"


async def test_the_caseload_finds_a_tenant_s_current_cases_by_its_index_under_row_level_security(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    await granted_arrangement(desk, await register_pupil(desk), start_on=date(2025, 4, 1))
    await caseload(app_pool, desk, REGULAR, as_of=TODAY)

    async with app_pool.acquire() as conn, tenant_transaction(conn, desk.tenant_id):
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN {_QUERY}", REGULAR, TODAY))

    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("ends_on" in line for line in conditions), plan
