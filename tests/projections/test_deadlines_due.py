"""Deadlines due: every term of the tenant's cases, sorted by date, overdue acts flagged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from application.commands import (
    LodgeObjection,
    NotifyDecision,
    RecordSchoolRegistration,
    ResumeApplication,
    RuleOnObjectionLateness,
)
from application.handlers import objections, pupils, support_requests
from domain import deadlines
from domain.objection import Objector
from infrastructure.database import Pool
from infrastructure.event_store import PostgresEventStore
from projections.cases import CaseKind, DeadlineKind
from projections.deadlines_due import DeadlinesDue, Order, fetch_deadlines_due
from tests.projections.conftest import RunnerFactory, eventually
from tests.projections.read_models import READ_MODELS, caught_up
from tests.unit.application.conftest import (
    Desk,
    complete_request,
    configured_desk,
    granted_tlv,
    invited_to_complete,
    register_pupil,
)

pytestmark = pytest.mark.integration

TODAY = date(2025, 3, 3)


async def due(pool: Pool, desk: Desk, as_of: date, **filters: object) -> DeadlinesDue:
    await eventually(lambda: caught_up(pool, desk.tenant_id))
    async with pool.acquire() as conn:
        return await fetch_deadlines_due(conn, desk.tenant_id, as_of=as_of, **filters)  # type: ignore[arg-type]


async def test_every_kind_of_deadline_is_listed_by_date_and_overdue_acts_are_flagged(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    open_request = await complete_request(desk, await register_pupil(desk))
    granted, tlv = await granted_tlv(desk)
    desk.clock.move_to(date(2025, 3, 10))
    await desk.run(
        support_requests.notify_decision,
        NotifyDecision(request_id=granted, notified_on=date(2025, 3, 4)),
    )
    objection = await desk.run(
        objections.lodge_objection,
        LodgeObjection(
            support_request_id=granted,
            objector=Objector.PARENTS,
            grounds="Liever het SBO.",
            received_on=date(2025, 3, 10),
        ),
    )
    registered = await register_pupil(desk)
    await desk.run(
        pupils.record_school_registration,
        RecordSchoolRegistration(
            pupil_id=registered, school_code="12AB00", registered_on=date(2025, 3, 3)
        ),
    )

    listed = await due(app_pool, desk, as_of=TODAY)

    expected = {
        (DeadlineKind.DECISION, open_request, deadlines.decision_deadline(TODAY)),
        (DeadlineKind.OBJECTION_TERM, granted, deadlines.objection_deadline(date(2025, 3, 4))),
        (DeadlineKind.LBT_REQUEST, objection.aggregate_id, date(2025, 3, 24)),
        (DeadlineKind.TLV_REDEMPTION, tlv, date(2026, 3, 3)),
        (DeadlineKind.TLV_END, tlv, date(2027, 7, 31)),
        # Awb 7:10 with the LBT: 12 weeks after the objection term ended on 15 April.
        (DeadlineKind.OBJECTION_DECISION, objection.aggregate_id, date(2025, 7, 8)),
        (DeadlineKind.ZORGPLICHT, registered, deadlines.zorgplicht_deadline(TODAY)),
        (DeadlineKind.TEMPORARY_ENROLMENT, registered, date(2025, 5, 13)),
    }
    assert {(i.kind, i.case_id, i.due_on) for i in listed.items} == expected
    assert [i.due_on for i in listed.items] == sorted(i.due_on for i in listed.items)
    assert not any(i.overdue for i in listed.items)
    assert {i.case_kind for i in listed.items if i.case_id == tlv} == {CaseKind.TLV}

    later = await due(app_pool, desk, as_of=date(2025, 6, 1))
    overdue = {i.kind for i in later.items if i.overdue}
    assert overdue == {
        DeadlineKind.DECISION,
        DeadlineKind.LBT_REQUEST,
        DeadlineKind.ZORGPLICHT,
        DeadlineKind.TEMPORARY_ENROLMENT,
    }
    assert DeadlineKind.OBJECTION_TERM not in {i.kind for i in later.items}, "a term just ends"

    newest_first = await due(app_pool, desk, as_of=TODAY, order=Order.DESC, limit=2)
    assert [i.kind for i in newest_first.items] == [
        DeadlineKind.TLV_END,
        DeadlineKind.TLV_REDEMPTION,
    ]
    soon = await due(
        app_pool,
        desk,
        as_of=TODAY,
        until=TODAY + timedelta(weeks=4),
        kinds=[DeadlineKind.LBT_REQUEST],
    )
    assert [i.case_id for i in soon.items] == [objection.aggregate_id]


async def test_a_suspended_application_lists_the_deadline_its_pause_gives(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    request = await complete_request(desk, await register_pupil(desk))
    desk.clock.move_to(date(2025, 3, 7))
    await invited_to_complete(desk, request, date(2025, 3, 7), complete_by=date(2025, 3, 21))

    # Received 3 March: 28 April, plus the 8th to the 21st if nothing more comes in.
    while_suspended = await due(app_pool, desk, as_of=TODAY, kinds=[DeadlineKind.DECISION])
    assert [i.due_on for i in while_suspended.items] == [date(2025, 5, 12)]

    desk.clock.move_to(date(2025, 3, 10))
    await desk.run(
        support_requests.resume_application,
        ResumeApplication(request_id=request, resumed_on=date(2025, 3, 10)),
    )
    completed = await due(app_pool, desk, as_of=TODAY, kinds=[DeadlineKind.DECISION])
    assert [i.due_on for i in completed.items] == [date(2025, 4, 30)]


async def test_a_late_objection_has_no_decision_term_until_its_lateness_is_excused(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    granted, _ = await granted_tlv(desk)
    await desk.run(
        support_requests.notify_decision,
        NotifyDecision(request_id=granted, notified_on=date(2025, 3, 3)),
    )
    desk.clock.move_to(date(2025, 5, 1))
    lodged = await desk.run(
        objections.lodge_objection,
        LodgeObjection(
            support_request_id=granted,
            objector=Objector.PARENTS,
            grounds="Liever het SBO.",
            received_on=date(2025, 4, 30),
            lateness_excuse="De brief lag bij de buren.",
        ),
    )
    objection = lodged.aggregate_id
    kinds = [DeadlineKind.OBJECTION_DECISION]
    assert (await due(app_pool, desk, as_of=TODAY, kinds=kinds)).items == []

    await desk.run(
        objections.rule_on_objection_lateness,
        RuleOnObjectionLateness(
            objection_id=objection, excusable=True, reasons="Niet verwijtbaar te laat."
        ),
    )
    listed = await due(app_pool, desk, as_of=TODAY, kinds=kinds)
    # The term ended on Monday 14 April 2025: 12 weeks with the LBT.
    assert [(i.case_id, i.due_on) for i in listed.items] == [(objection, date(2025, 7, 7))]
