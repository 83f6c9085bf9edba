"""The demo seed: three tenants filled through the handlers, once, on both event stores."""

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from application.handling import rebuild
from application.ports import EventStore, RecordedEvent
from application.queries import aggregate_history
from demo import DemoSummary, SeedStatus, seed_demo
from domain.arrangement import Arrangement
from domain.expert_advice import ExpertRole
from domain.ids import TenantId
from domain.objection import Objection, ObjectionOutcome
from domain.pupil import Pupil
from domain.support_request import SupportRequest
from domain.swv import Sector, Swv
from domain.tlv import FundingCategory, Tlv, TlvStatus
from infrastructure.in_memory_event_store import InMemoryEventStore
from tests.unit.application.conftest import FixedClock, configured_desk, fresh_swv_code

TODAY = date(2025, 3, 3)

# pupils, support requests, TLVs, arrangements, objections, schools, municipalities
EXPECTED = {
    "PO2604": (23, 23, 7, 8, 3, 12, 5),
    "VO2604": (6, 6, 2, 2, 0, 6, 4),
    "PO2603": (4, 4, 1, 1, 0, 7, 5),
}

# Dates of things that happened; none may lie after the seeding day.
PAST_DATES = (
    "received_on",
    "checked_on",
    "suspended_on",
    "resumed_on",
    "written_on",
    "decided_on",
    "notified_on",
    "issued_on",
    "enrolled_on",
    "registered_on",
    "left_on",
    "requested_on",
    "evaluated_on",
    "ended_on",
    "start_on",
    "date_of_birth",
)


def clock_on(day: date) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))


def fresh_codes() -> dict[str, TenantId]:
    return {code: fresh_swv_code(code[:2]) for code in EXPECTED}


async def seed(store: EventStore, codes: dict[str, TenantId], day: date = TODAY) -> DemoSummary:
    return await seed_demo(store, clock_on(day), today=day, tenant_ids=codes)


async def log_of(store: EventStore, tenant_id: TenantId) -> list[RecordedEvent]:
    events: list[RecordedEvent] = []
    while batch := await store.read_log(tenant_id, after=len(events), limit=500):
        events.extend(batch)
    return events


async def test_seeds_each_tenant_with_its_cases(store: EventStore) -> None:
    codes = fresh_codes()
    summary = await seed(store, codes)
    for demo_code, expected in EXPECTED.items():
        tenant = summary.tenant(codes[demo_code])
        assert tenant.status is SeedStatus.SEEDED
        counts = (
            tenant.pupils,
            tenant.support_requests,
            tenant.tlvs,
            tenant.arrangements,
            tenant.objections,
            tenant.schools,
            tenant.municipalities,
        )
        assert counts == expected, demo_code
        head = await store.head(tenant.tenant_id)
        assert tenant.events_added == tenant.events_total == head.last_position > 0
        assert (await store.verify_chain(tenant.tenant_id)).intact


async def test_every_aggregate_rebuilds_and_matches_the_summary(store: EventStore) -> None:
    codes = fresh_codes()
    summary = await seed(store, codes)
    for demo_code, (
        pupils,
        requests,
        tlvs,
        arrangements,
        objections,
        schools,
        _,
    ) in EXPECTED.items():
        tenant_id = codes[demo_code]
        streams: dict[UUID, list[RecordedEvent]] = {}
        for recorded in await log_of(store, tenant_id):
            streams.setdefault(recorded.stream_id, []).append(recorded)
        kinds: Counter[str] = Counter()
        for stream_id, events in streams.items():
            aggregate = rebuild(events)
            assert aggregate is not None
            assert aggregate.id == stream_id
            assert aggregate.version == len(events)
            kinds[type(aggregate).__name__] += 1
        assert kinds == Counter(
            Swv=1,
            Pupil=pupils,
            SupportRequest=requests,
            Tlv=tlvs,
            Arrangement=arrangements,
            Objection=objections,
        )
        swv = next(a for a in map(rebuild, streams.values()) if isinstance(a, Swv))
        assert swv.sector is Sector(demo_code[:2])
        assert len(swv.schools) == schools
        assert swv.name == summary.tenant(tenant_id).name


async def test_seeding_again_adds_no_events(store: EventStore) -> None:
    codes = fresh_codes()
    first = await seed(store, codes)
    heads = [await store.head(t.tenant_id) for t in first.tenants]
    again = await seed(store, codes)
    assert again.events_added == 0
    assert {t.status for t in again.tenants} == {SeedStatus.ALREADY_SEEDED}
    assert [await store.head(t.tenant_id) for t in again.tenants] == heads
    assert [t.highlights for t in again.tenants] == [t.highlights for t in first.tenants]


async def test_a_tenant_configured_by_someone_else_is_left_alone(
    memory_store: InMemoryEventStore,
) -> None:
    codes = fresh_codes()
    desk = await configured_desk(memory_store, codes["PO2603"])
    before = await memory_store.head(desk.tenant_id)
    summary = await seed(memory_store, codes)
    zout = summary.tenant(codes["PO2603"])
    assert (zout.status, zout.events_added, zout.pupils) == (SeedStatus.LEFT_ALONE, 0, 0)
    assert await memory_store.head(desk.tenant_id) == before
    assert summary.tenant(codes["PO2604"]).status is SeedStatus.SEEDED


class _FailingStore(InMemoryEventStore):
    """Fails every append after the first ``appends``, as if the process stopped there."""

    def __init__(self, appends: int) -> None:
        super().__init__()
        self.appends_left = appends

    async def append(self, *args: Any, **kwargs: Any) -> Any:
        if self.appends_left == 0:
            raise ConnectionError("the database went away")
        self.appends_left -= 1
        return await super().append(*args, **kwargs)


async def test_an_interrupted_seed_is_completed_on_the_next_run() -> None:
    complete = InMemoryEventStore()
    expected = await seed_demo(complete, clock_on(TODAY), today=TODAY)
    store = _FailingStore(appends=100)
    with pytest.raises(ConnectionError):
        await seed_demo(store, clock_on(TODAY), today=TODAY)
    store.appends_left = -1
    # Without ``today`` the tenant's dates count back from the day it was first seeded.
    summary = await seed_demo(store, clock_on(date(2025, 3, 20)))
    assert summary.tenant("PO2604").status is SeedStatus.COMPLETED
    assert summary.tenant("VO2604").status is SeedStatus.SEEDED
    assert summary.tenant("PO2604").highlights == expected.tenant("PO2604").highlights
    for tenant in expected.tenants:
        assert (await store.head(tenant.tenant_id)).last_position == (
            await complete.head(tenant.tenant_id)
        ).last_position


@pytest.mark.parametrize(
    "today", [date(2024, 2, 29), date(2025, 1, 1), date(2025, 7, 31), date(2025, 8, 1)]
)
async def test_business_dates_count_back_from_today(today: date) -> None:
    store = InMemoryEventStore()
    summary = await seed_demo(store, clock_on(today))
    assert [t.tenant_id for t in summary.tenants] == ["PO2604", "VO2604", "PO2603"]
    for tenant in summary.tenants:
        assert tenant.status is SeedStatus.SEEDED
        log = await log_of(store, tenant.tenant_id)
        # the one late objection on purpose is excused by the committee (Awb 6:11)
        excused = {r.stream_id for r in log if getattr(r.event, "excusable", False)}
        for recorded in log:
            for field in PAST_DATES:
                value = getattr(recorded.event, field, None)
                assert value is None or value <= today, (recorded.event_type, field, value)
            for flag in ("decided_within_term", "in_time"):
                if flag == "in_time" and recorded.stream_id in excused:
                    continue
                assert getattr(recorded.event, flag, True), (recorded.event_type, flag)


async def test_the_highlighted_cases_are_in_the_state_they_name() -> None:
    store = InMemoryEventStore()
    po = (await seed_demo(store, clock_on(TODAY), today=TODAY)).tenant("PO2604")
    tenant_id = po.tenant_id

    async def state(kind: Any, label: str) -> Any:
        [aggregate_id] = po.ids_of(label)
        return (await aggregate_history(store, tenant_id, kind, aggregate_id)).aggregate

    waiting = await state(SupportRequest, "TLV application awaiting its second expert advice")
    assert set(waiting.expert_advices) == {ExpertRole.FIRST}
    assert set(waiting.assigned_experts) == {ExpertRole.FIRST, ExpertRole.SECOND}
    assert waiting.outcome is None
    ready = await state(SupportRequest, "TLV application with both advices, awaiting the decision")
    assert set(ready.expert_advices) == {ExpertRole.FIRST, ExpertRole.SECOND}
    assert ready.decision_deadline > TODAY
    suspended = await state(
        SupportRequest,
        "Invited to complete (Awb 4:5): the decision term stands still until the completion "
        "term ends",
    )
    assert suspended.suspended_since is not None
    assert suspended.decision_deadline > TODAY

    revised = await state(Objection, "Objection decided after LBT advice: TLV revised to MEDIUM")
    assert revised.outcome is ObjectionOutcome.PARTLY_UPHELD
    revised_tlv = (await aggregate_history(store, tenant_id, Tlv, revised.tlv_id)).aggregate
    assert (revised_tlv.funding_category, revised_tlv.status) == (
        FundingCategory.MEDIUM,
        TlvStatus.REDEEMED,
    )
    awaiting_lbt = await state(Objection, "Objection awaiting the LBT's advice")
    assert awaiting_lbt.lbt_requested_on is not None
    assert awaiting_lbt.lbt_recommendation is None
    assert awaiting_lbt.outcome is None

    bulk = [
        (await aggregate_history(store, tenant_id, Tlv, tlv_id)).events[-1].event
        for tlv_id in po.ids_of("TLV extended by the bulk administrative extension")
    ]
    assert len(bulk) == 2
    assert all(isinstance(e, Tlv.ExtendedAdministratively) for e in bulk)
    assert len({e.batch_id for e in bulk if isinstance(e, Tlv.ExtendedAdministratively)}) == 1
    extended = await state(Tlv, "SO TLV extended after an individual re-assessment")
    assert extended.valid_until == date(2027, 7, 31)
    lapsed = await state(Tlv, "SBO TLV lapsed unredeemed")
    assert lapsed.status is TlvStatus.LAPSED

    ended = await state(Arrangement, "Arrangement ended early, evaluated by school and parents")
    assert ended.ended_early
    assert len(ended.evaluations) == 2
    waiting_pupil = await state(Pupil, "Pupil awaiting a place: zorgplicht term extended")
    assert waiting_pupil.zorgplicht_extended
    assert waiting_pupil.zorgplicht_deadline > TODAY
