from datetime import date
from uuid import UUID

import pytest

from application.aggregate_ids import TLV_IDS, new_aggregate_id
from application.commands import (
    AdoptPolicy,
    CheckCompleteness,
    DecideObjection,
    DecideSupportRequest,
    ExplainObjectionLateness,
    LodgeObjection,
    NotifyDecision,
    RecordLbtAdvice,
    RequestLbtAdvice,
    RuleOnObjectionLateness,
    SubmitSupportRequest,
)
from application.errors import ConcurrencyConflictError
from application.handlers import objections, support_requests, swv
from application.queries import aggregate_history
from domain.deadlines import Channel, Timeliness
from domain.objection import Objection, ObjectionOutcome, Objector, TlvConsequence
from domain.support_request import DecisionOutcome, ParentView
from domain.tlv import FundingCategory, Tlv, TlvType
from tests.unit.application.conftest import (
    ADMIN,
    DIRECTOR,
    Desk,
    granted_tlv,
    record_both_advices,
    register_pupil,
    take_stream,
)


async def objected(
    desk: Desk,
    received_on: date,
    *,
    objector: Objector = Objector.PARENTS,
    channel: Channel = Channel.POST,
    posted_on: date | None = None,
) -> tuple[UUID, UUID]:
    """An objection to a granted TLV; returns the objection's id and the TLV's.

    The decision was sent on Tuesday 4 March 2025: the objection term ends on 15 April.
    """
    request_id, tlv_id = await granted_tlv(desk)
    desk.clock.move_to(date(2025, 3, 4))
    await desk.run(
        support_requests.notify_decision,
        NotifyDecision(request_id=request_id, notified_on=date(2025, 3, 4)),
    )
    desk.clock.move_to(date(2025, 5, 1))
    lodged = await desk.run(
        objections.lodge_objection,
        LodgeObjection(
            support_request_id=request_id,
            objector=objector,
            grounds="Categorie te laag.",
            received_on=received_on,
            channel=channel,
            posted_on=posted_on,
        ),
    )
    return lodged.aggregate_id, tlv_id


async def test_a_late_objection_waits_for_the_objectors_explanation(desk: Desk) -> None:
    objection_id, _ = await objected(desk, date(2025, 4, 16), objector=Objector.SCHOOL_BOARD)
    history = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    assert [e.event_type for e in history.events] == ["ObjectionLodged"]
    assert history.aggregate.awaits_lateness_ruling
    assert not history.aggregate.is_closed


async def test_posted_on_the_last_day_and_received_later_is_timely(desk: Desk) -> None:
    objection_id, _ = await objected(
        desk, date(2025, 4, 20), channel=Channel.POST, posted_on=date(2025, 4, 15)
    )
    history = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    assert history.aggregate.timeliness is Timeliness.POSTED_IN_TIME


async def test_an_excused_late_objection_goes_on_under_the_committees_ruling(desk: Desk) -> None:
    objection_id, _ = await objected(desk, date(2025, 4, 22), channel=Channel.EMAIL)
    await desk.run(
        objections.explain_objection_lateness,
        ExplainObjectionLateness(
            objection_id=objection_id, explanation="De brief kwam aan op een oud adres."
        ),
    )
    await desk.run(
        objections.rule_on_objection_lateness,
        RuleOnObjectionLateness(
            objection_id=objection_id,
            excusable=True,
            reasons="Het besluit is naar een oud adres gestuurd: verschoonbaar (Awb 6:11).",
        ),
        actor=DIRECTOR,
    )
    history = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    ruled = history.events[-1].event
    assert isinstance(ruled, Objection.LatenessRuled)
    assert (ruled.excusable, ruled.decided_by, ruled.policy_version) == (
        True,
        DIRECTOR.actor,
        "OP-2024.1",
    )
    assert not history.aggregate.awaits_lateness_ruling


async def test_a_ruling_on_lateness_records_the_policy_in_force_on_its_business_date(
    desk: Desk,
) -> None:
    objection_id, _ = await objected(desk, date(2025, 4, 22), channel=Channel.EMAIL)
    await desk.run(
        objections.explain_objection_lateness,
        ExplainObjectionLateness(objection_id=objection_id, explanation="Een oud adres."),
    )
    await desk.run(
        swv.adopt_policy,
        AdoptPolicy(
            policy_version="OP-2025.2", effective_from=date(2025, 8, 1), lbt_affiliated=False
        ),
        actor=ADMIN,
    )

    await desk.run(
        objections.rule_on_objection_lateness,
        RuleOnObjectionLateness(
            objection_id=objection_id,
            excusable=True,
            reasons="Naar een oud adres gestuurd: verschoonbaar.",
            decided_on=date(2025, 4, 30),
        ),
        actor=DIRECTOR,
    )

    history = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    ruled = history.events[-1].event
    assert isinstance(ruled, Objection.LatenessRuled)
    assert ruled.policy_version == "OP-2024.1"  # adopted already, in force only from August


async def test_an_objection_is_heard_as_the_policy_in_force_when_it_came_in_says(
    desk: Desk,
) -> None:
    await desk.run(
        swv.adopt_policy,
        AdoptPolicy(
            policy_version="OP-2025.2", effective_from=date(2025, 8, 1), lbt_affiliated=False
        ),
        actor=ADMIN,
    )

    objection_id, _ = await objected(desk, date(2025, 4, 15))

    history = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    assert history.aggregate.advisory_committee  # the LBT, as OP-2024.1 has it on 15 April


async def test_partly_upheld_after_lbt_advice_revises_the_tlv_category(desk: Desk) -> None:
    objection_id, tlv_id = await objected(desk, date(2025, 4, 15))
    await desk.run(
        objections.request_lbt_advice,
        RequestLbtAdvice(objection_id=objection_id, requested_on=date(2025, 4, 30)),
    )
    await desk.run(
        objections.record_lbt_advice,
        RecordLbtAdvice(
            objection_id=objection_id,
            recommended_outcome=ObjectionOutcome.PARTLY_UPHELD,
            advice="Midden past beter.",
        ),
    )
    outcome = await desk.run(
        objections.decide_objection,
        DecideObjection(
            objection_id=objection_id,
            outcome=ObjectionOutcome.PARTLY_UPHELD,
            reasons="Categorie wordt midden.",
            tlv_consequence=TlvConsequence.REVISED,
            funding_category=FundingCategory.MEDIUM,
            valid_from=date(2025, 4, 1),
            valid_until=date(2027, 7, 31),
        ),
        actor=DIRECTOR,
    )
    assert outcome.also_changed == (tlv_id,)
    tlv = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
    revised = tlv.events[-1].event
    assert isinstance(revised, Tlv.Revised)
    assert (revised.objection_id, tlv.aggregate.funding_category) == (
        objection_id,
        FundingCategory.MEDIUM,
    )
    objection = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    requested = objection.events[1].event
    assert isinstance(requested, Objection.LbtAdviceRequested)
    assert requested.in_time is False


async def objection_to_a_refused_sbo_application(desk: Desk) -> UUID:
    pupil_id = await register_pupil(desk)
    submitted = await desk.run(
        support_requests.submit_support_request,
        SubmitSupportRequest(
            pupil_id=pupil_id,
            school_code="12AB00",
            tlv_type=TlvType.SBO,
            question="SBO?",
            parent_view=ParentView.AGREE,
        ),
    )
    request_id = submitted.aggregate_id
    await desk.run(support_requests.check_completeness, CheckCompleteness(request_id=request_id))
    await record_both_advices(desk, request_id)
    await desk.run(
        support_requests.decide_support_request,
        DecideSupportRequest(
            request_id=request_id, outcome=DecisionOutcome.REFUSED, reasons="Regulier kan."
        ),
    )
    lodged = await desk.run(
        objections.lodge_objection,
        LodgeObjection(support_request_id=request_id, objector=Objector.PARENTS, grounds="SBO!"),
    )
    return lodged.aggregate_id


def granting_the_tlv(objection_id: UUID) -> DecideObjection:
    return DecideObjection(
        objection_id=objection_id,
        outcome=ObjectionOutcome.UPHELD,
        reasons="SBO is passend.",
        tlv_consequence=TlvConsequence.GRANTED,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )


async def test_upheld_against_a_refused_sbo_application_grants_the_tlv(desk: Desk) -> None:
    objection_id = await objection_to_a_refused_sbo_application(desk)
    decided = await desk.run(
        objections.decide_objection, granting_the_tlv(objection_id), actor=DIRECTOR
    )
    [tlv_id] = decided.also_changed
    tlv = await aggregate_history(desk.store, desk.tenant_id, Tlv, tlv_id)
    granted = tlv.events[0].event
    assert isinstance(granted, Tlv.Granted)
    assert (granted.tlv_type, granted.funding_category, granted.objection_id) == (
        TlvType.SBO,
        None,
        objection_id,
    )


async def test_a_failure_in_granting_the_tlv_leaves_the_objection_undecided_too(
    desk: Desk,
) -> None:
    objection_id = await objection_to_a_refused_sbo_application(desk)
    ctx = desk.ctx(DIRECTOR)
    # The new TLV's stream is taken before the decision: its append fails, after the decision's.
    await take_stream(desk, new_aggregate_id(TLV_IDS, ctx))
    before = await desk.store.head(desk.tenant_id)
    with pytest.raises(ConcurrencyConflictError):
        await objections.decide_objection(
            granting_the_tlv(objection_id), ctx, store=desk.store, clock=desk.clock
        )
    assert await desk.store.head(desk.tenant_id) == before
    objection = await aggregate_history(desk.store, desk.tenant_id, Objection, objection_id)
    assert objection.aggregate.decision is None
