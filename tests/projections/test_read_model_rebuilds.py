"""Rebuilt from scratch equals maintained page by page, for random histories and the demo data.

Hypothesis draws a sequence of commands, each naming which pupil or case it acts on by index;
they run through the application's handlers on a fresh tenant, so the log holds only what the
domain accepts (a command it refuses appends nothing). While they run, one build of each read
model follows the log in small pages at random moments; afterwards a second build reads the
whole log in one page. Both must hold exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.commands import (
    ChangePupilResidence,
    CheckCompleteness,
    DecideObjection,
    DecideSupportRequest,
    EndArrangementEarly,
    EnrolPupil,
    ExtendArrangement,
    ExtendDecisionTerm,
    ExtendTlv,
    ExtendZorgplichtTerm,
    GrantArrangement,
    LapseTlv,
    LodgeObjection,
    NotifyDecision,
    PostponeObjectionDecision,
    RecordExpertAdvice,
    RecordLbtAdvice,
    RecordPupilLeaving,
    RecordSchoolRegistration,
    RedeemTlv,
    RegisterPupil,
    RequestLbtAdvice,
    ResumeApplication,
    RuleOnObjectionLateness,
    SubmitSupportRequest,
    SuspendApplication,
)
from application.errors import ApplicationError
from application.handlers import arrangements, objections, pupils, support_requests, tlvs
from demo.seed import seed_demo
from domain.beschikkingsnummer import beschikkingsnummer
from domain.errors import DomainError
from domain.expert_advice import ExpertRole, Qualification
from domain.ids import TenantId
from domain.objection import ObjectionOutcome, Objector
from domain.pupil import LeavingReason
from domain.support_request import DecisionOutcome, ParentView
from domain.tlv import FundingCategory, TlvType
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from projections.builds import Build
from tests.projections.read_models import READ_MODELS, advance, drop, rows_of, scratch_build
from tests.unit.application.conftest import (
    DIRECTOR,
    Desk,
    FixedClock,
    configured_desk,
    fresh_swv_code,
)

pytestmark = pytest.mark.integration

SCHOOLS = ("12AB00", "34CD00", "56EF00")
MUNICIPALITIES = ("GM0632", "GM1904")
WHOLE_LOG = 100_000


@dataclass
class History:
    """What a random history has made so far, to aim the next command at."""

    desk: Desk
    pupils: list[UUID] = field(default_factory=list)
    requests: list[UUID] = field(default_factory=list)
    tlvs: list[UUID] = field(default_factory=list)
    arrangements: list[UUID] = field(default_factory=list)
    objections: list[UUID] = field(default_factory=list)
    so_requests: set[UUID] = field(default_factory=set)

    @property
    def today(self) -> date:
        return self.desk.clock.now().date()

    async def run(self, handler: Callable[..., Awaitable[Any]], command: object) -> UUID | None:
        try:
            outcome = await self.desk.run(handler, command, actor=DIRECTOR)
        except (DomainError, ApplicationError):
            return None  # refused: nothing was appended
        return outcome.aggregate_id  # type: ignore[no-any-return]


def pick(items: list[UUID], index: int) -> UUID | None:
    return items[index % len(items)] if items else None


async def step(history: History, action: int, a: int, b: int) -> None:  # noqa: C901, PLR0912, PLR0915 - one branch per command
    h, day = history, history.today + timedelta(days=b % 20)
    past = history.today - timedelta(days=b % 20)  # what happened lies on or before today
    pupil, request = pick(h.pupils, a), pick(h.requests, a)
    tlv, arrangement, objection = pick(h.tlvs, a), pick(h.arrangements, a), pick(h.objections, a)
    match action:
        case 0:
            created = await h.run(
                pupils.register_pupil,
                RegisterPupil(
                    name="Sam",
                    date_of_birth=date(2017, 5, 12),
                    municipality_code=MUNICIPALITIES[a % 2],
                    school_code=SCHOOLS[0] if b % 2 else None,
                ),
            )
            h.pupils += [created] if created else []
        case 1 if pupil:
            await h.run(
                pupils.change_pupil_residence,
                ChangePupilResidence(pupil_id=pupil, municipality_code=MUNICIPALITIES[b % 2]),
            )
        case 2 if pupil:
            school = SCHOOLS[b % 3]
            await h.run(
                pupils.record_school_registration,
                RecordSchoolRegistration(pupil_id=pupil, school_code=school, registered_on=day),
            )
        case 3 if pupil:
            await h.run(pupils.extend_zorgplicht_term, ExtendZorgplichtTerm(pupil_id=pupil))
        case 4 if pupil:
            await h.run(pupils.enrol_pupil, EnrolPupil(pupil_id=pupil, school_code=SCHOOLS[b % 3]))
        case 5 if pupil and b % 4 == 0:
            await h.run(
                pupils.record_pupil_leaving,
                RecordPupilLeaving(pupil_id=pupil, reason=LeavingReason.OTHER),
            )
        case 6 if pupil:
            asked: dict[str, Any] = (
                {"arrangement_type": "ambulante-begeleiding"}
                if b % 3 == 0
                else {"tlv_type": TlvType.SO if b % 3 == 1 else TlvType.SBO}
            )
            created = await h.run(
                support_requests.submit_support_request,
                SubmitSupportRequest(
                    pupil_id=pupil,
                    school_code=SCHOOLS[a % 2],
                    question="Wat past?",
                    parent_view=ParentView.AGREE,
                    received_on=history.today,
                    **asked,
                ),
            )
            h.requests += [created] if created else []
            if created and asked.get("tlv_type") is TlvType.SO:
                h.so_requests.add(created)
        case 7 if request:
            missing = ("OPP",) if b % 4 == 0 else ()
            await h.run(
                support_requests.check_completeness,
                CheckCompleteness(request_id=request, missing=missing),
            )
        case 8 if request:
            await h.run(
                support_requests.suspend_application,
                SuspendApplication(request_id=request, reason="Dossier", complete_by=day),
            )
        case 9 if request:
            await h.run(
                support_requests.resume_application,
                ResumeApplication(request_id=request, resumed_on=past),
            )
        case 10 if request:
            for role, qualification in (
                (ExpertRole.FIRST, Qualification.ORTHOPEDAGOOG),
                (ExpertRole.SECOND, Qualification.ARTS),
            ):
                await h.run(
                    support_requests.record_expert_advice,
                    RecordExpertAdvice(
                        request_id=request,
                        role=role,
                        expert_id=uuid4(),
                        qualification=qualification,
                        independence_declared=True,
                        written_on=history.today,
                        advice="Toelaatbaar.",
                        admissible=True,
                    ),
                )
        case 11 if request:
            granted = b % 3 != 0
            category = FundingCategory.LOW if request in h.so_requests else None
            await h.run(
                support_requests.decide_support_request,
                DecideSupportRequest(
                    request_id=request,
                    outcome=DecisionOutcome.GRANTED if granted else DecisionOutcome.REFUSED,
                    reasons="Besluit.",
                    decided_on=past,
                    funding_category=category if granted else None,
                    valid_from=day if granted else None,
                    valid_until=day + timedelta(days=400) if granted else None,
                ),
            )
            h.tlvs += [t for t in await _new_tlvs(h, request) if t not in h.tlvs]
        case 12 if request:
            await h.run(support_requests.notify_decision, NotifyDecision(request_id=request))
        case 13 if request:
            created = await h.run(
                arrangements.grant_arrangement,
                GrantArrangement(
                    support_request_id=request, provider="De Brug", amount=a + 1, start_on=day
                ),
            )
            h.arrangements += [created] if created else []
        case 14 if arrangement:
            await h.run(
                arrangements.extend_arrangement,
                ExtendArrangement(
                    arrangement_id=arrangement,
                    end_on=day + timedelta(days=300),
                    reason="Nog nodig.",
                    amount_added=b,
                ),
            )
        case 15 if arrangement:
            await h.run(
                arrangements.end_arrangement_early,
                EndArrangementEarly(arrangement_id=arrangement, ended_on=day, reason="Klaar."),
            )
        case 16 if request:
            created = await h.run(
                objections.lodge_objection,
                LodgeObjection(
                    support_request_id=request,
                    objector=Objector.PARENTS,
                    grounds="Oneens.",
                    received_on=past,
                    lateness_excuse="Ziek." if b % 2 else None,
                ),
            )
            h.objections += [created] if created else []
        case 17 if objection:
            await h.run(objections.request_lbt_advice, RequestLbtAdvice(objection_id=objection))
        case 18 if objection:
            await h.run(
                objections.record_lbt_advice,
                RecordLbtAdvice(
                    objection_id=objection,
                    recommended_outcome=ObjectionOutcome.REJECTED,
                    advice="Ongegrond.",
                ),
            )
        case 19 if objection:
            await h.run(
                objections.decide_objection,
                DecideObjection(
                    objection_id=objection,
                    outcome=ObjectionOutcome.REJECTED if b % 2 else ObjectionOutcome.UPHELD,
                    reasons="Besluit op bezwaar.",
                ),
            )
        case 20 if tlv:
            await h.run(
                tlvs.redeem_tlv,
                RedeemTlv(
                    beschikkingsnummer=beschikkingsnummer(h.desk.tenant_id, tlv),
                    school_code=SCHOOLS[1 + b % 2],
                    enrolled_on=day,
                ),
            )
        case 21 if tlv:
            await h.run(
                tlvs.extend_tlv, ExtendTlv(tlv_id=tlv, valid_until=day + timedelta(days=800))
            )
        case 22 if tlv:
            await h.run(tlvs.lapse_tlv, LapseTlv(tlv_id=tlv))
        case 23 if objection:
            await h.run(
                objections.rule_on_objection_lateness,
                RuleOnObjectionLateness(
                    objection_id=objection, excusable=b % 3 != 0, reasons="Beoordeeld."
                ),
            )
        case 24 if objection:
            await h.run(
                objections.postpone_objection_decision,
                PostponeObjectionDecision(objection_id=objection, reason="Hoorzitting."),
            )
        case 25 if request:
            await h.run(
                support_requests.extend_decision_term,
                ExtendDecisionTerm(
                    request_id=request, reason="Onderzoek.", extended_to=day + timedelta(weeks=9)
                ),
            )
        case _:
            pass
    h.desk.clock.advance(days=a % 9)


async def _new_tlvs(history: History, request_id: UUID) -> list[UUID]:
    events = await history.desk.store.read_stream(history.desk.tenant_id, request_id)
    tlv_ids = [getattr(r.event, "tlv_id", None) for r in events]
    return [t for t in tlv_ids if isinstance(t, UUID)]


# Commands that open or move cases on come up more often than the rest.
ACTIONS = (*range(26), 0, 6, 6, 7, 7, 10, 11, 11, 12, 13, 13, 16)
STEPS = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 60), st.integers(0, 60)),
    min_size=20,
    max_size=80,
)
PAGES = st.lists(st.integers(0, 4), min_size=1, max_size=20)


async def assert_rebuild_equals_incremental(
    pool: Pool, store: PostgresEventStore, tenant_id: TenantId, followers: list[Build]
) -> None:
    rebuilt: list[Build] = []
    try:
        for projection, follower in zip(READ_MODELS, followers, strict=True):
            await advance(pool, store, projection, follower, tenant_id, batch_size=3)
            rebuilt.append(
                await scratch_build(pool, store, projection, tenant_id, batch_size=WHOLE_LOG)
            )
        for follower, fresh in zip(followers, rebuilt, strict=True):
            assert await rows_of(pool, follower, tenant_id) == await rows_of(pool, fresh, tenant_id)
    finally:
        await drop(pool, *followers, *rebuilt)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS, pages=PAGES)
async def test_read_models_rebuilt_from_scratch_equal_those_kept_up_page_by_page(
    app_pool: Pool, codec: EventCodec, steps: list[tuple[int, int, int]], pages: list[int]
) -> None:
    store = PostgresEventStore(app_pool, codec)
    desk = await configured_desk(store)
    history = History(desk)
    for action, a, b in ((0, 0, 0), (0, 1, 1), (0, 2, 1)):  # three pupils to start with
        await step(history, action, a, b)
    followers = [
        await scratch_build(app_pool, store, p, desk.tenant_id, batch_size=1) for p in READ_MODELS
    ]
    for index, (action, a, b) in enumerate(steps):
        await step(history, action, a, b)
        page = pages[index % len(pages)]
        if page:  # now and then the followers catch up, in pages of 1 to 4 events
            for projection, follower in zip(READ_MODELS, followers, strict=True):
                await advance(
                    app_pool, store, projection, follower, desk.tenant_id, batch_size=page
                )

    await assert_rebuild_equals_incremental(app_pool, store, desk.tenant_id, followers)


async def test_the_demo_data_rebuilt_equals_it_kept_up_page_by_page(
    app_pool: Pool, pg_store: PostgresEventStore
) -> None:
    tenant_id = fresh_swv_code()
    await seed_demo(
        pg_store, FixedClock(), today=date(2025, 3, 3), tenant_ids={"PO2604": tenant_id}
    )
    followers = [
        await scratch_build(app_pool, pg_store, p, tenant_id, batch_size=7) for p in READ_MODELS
    ]
    for follower in followers:
        assert any((await rows_of(app_pool, follower, tenant_id)).values())

    await assert_rebuild_equals_incremental(app_pool, pg_store, tenant_id, followers)
