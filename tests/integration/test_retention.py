"""Retention on a generated ten-year tenant: exactly the subjects whose term passed are shredded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from application.commands import (
    AddMunicipality,
    CheckCompleteness,
    ConfigureSwv,
    DecideSupportRequest,
    RecordExpertAdvice,
    RegisterPupil,
    ShredPupilData,
    SubmitSupportRequest,
)
from application.handlers import pupils, support_requests, swv
from application.retention import change_retention, run_retention
from domain.expert_advice import ExpertRole, Qualification
from domain.personal import PersonalKind, key_subject, personal_fields
from domain.retention import Retention, add_years
from domain.support_request import DecisionOutcome, ParentView
from domain.swv import SchoolType
from domain.tlv import FundingCategory, TlvType
from infrastructure.event_store import PostgresEventStore
from tests.tenant_codes import fresh_swv_code
from tests.unit.application.conftest import ADMIN, Desk, FixedClock, add_schools

pytestmark = pytest.mark.integration

FIRST_YEAR, YEARS = 2016, 10
TODAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class CaseFile:
    """What the generator did for one pupil: the oracle the test compares with."""

    pupil_id: UUID
    request_id: UUID | None
    decided_on: date | None
    last_activity: date
    shredded_by_hand: bool = False

    @property
    def dossier(self) -> UUID | None:
        if self.request_id is None:
            return None
        return key_subject(PersonalKind.DOSSIER, self.request_id, self.pupil_id)

    @property
    def decision(self) -> UUID | None:
        if self.request_id is None or self.decided_on is None:
            return None
        return key_subject(PersonalKind.DECISION, self.request_id, self.pupil_id)


@dataclass
class Tenant:
    desk: Desk
    files: list[CaseFile] = field(default_factory=list)


async def _at(desk: Desk, day: date) -> None:
    desk.clock.moment = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


async def _pupil(desk: Desk, start: date) -> UUID:
    await _at(desk, start)
    pupil = await desk.run(
        pupils.register_pupil,
        RegisterPupil(
            name=f"Leerling {uuid4().hex[:6]}",
            date_of_birth=date(start.year - 8, 5, 12),
            municipality_code="GM0632",
        ),
    )
    return pupil.aggregate_id


async def _registered_only(desk: Desk, start: date) -> CaseFile:
    """A pupil registered on ``start`` for whom no request ever came."""
    return CaseFile(await _pupil(desk, start), None, None, start)


async def _case(desk: Desk, start: date, outcome: DecisionOutcome | None) -> CaseFile:
    """A pupil registered on ``start`` whose TLV application is decided six weeks later."""
    pupil_id = await _pupil(desk, start)
    request = await desk.run(
        support_requests.submit_support_request,
        SubmitSupportRequest(
            pupil_id=pupil_id,
            school_code="12AB00",
            tlv_type=TlvType.SO,
            question="Welke plek past bij deze leerling?",
            parent_view=ParentView.AGREE,
        ),
    )
    await desk.run(
        support_requests.check_completeness, CheckCompleteness(request_id=request.aggregate_id)
    )
    await _at(desk, start + timedelta(days=7))
    for role, qualification in (
        (ExpertRole.FIRST, Qualification.ORTHOPEDAGOOG),
        (ExpertRole.SECOND, Qualification.KINDERPSYCHIATER),
    ):
        await desk.run(
            support_requests.record_expert_advice,
            RecordExpertAdvice(
                request_id=request.aggregate_id,
                role=role,
                expert_id=uuid4(),
                qualification=qualification,
                independence_declared=True,
                written_on=start + timedelta(days=7),
                advice="Het SO past; de leerling heeft veel structuur nodig.",
                admissible=True,
                advised_tlv_type=TlvType.SO,
            ),
        )
    last = start
    decided_on = None
    if outcome is not None:
        decided_on = start + timedelta(weeks=6)
        await _at(desk, decided_on)
        granted = outcome is DecisionOutcome.GRANTED
        valid_until = date(decided_on.year + 1, 7, 31)
        await desk.run(
            support_requests.decide_support_request,
            DecideSupportRequest(
                request_id=request.aggregate_id,
                outcome=outcome,
                reasons="Toelaatbaar tot het SO." if granted else "Het regulier onderwijs past.",
                funding_category=FundingCategory.LOW if granted else None,
                valid_from=decided_on if granted else None,
                valid_until=valid_until if granted else None,
            ),
        )
        last = valid_until if granted else decided_on
    return CaseFile(pupil_id, request.aggregate_id, decided_on, last)


async def _ten_year_tenant(store: PostgresEventStore) -> Tenant:
    desk = Desk(store, fresh_swv_code(), FixedClock(datetime(FIRST_YEAR, 1, 4, 9, tzinfo=UTC)))
    await store.register_tenant(desk.tenant_id)
    await desk.run(
        swv.configure_swv,
        ConfigureSwv(
            name="SWV Tien Jaar",
            committee_name="TLC",
            policy_version="OP-2015",
            policy_effective_from=date(2015, 8, 1),
        ),
        actor=ADMIN,
    )
    await desk.run(
        swv.add_municipality, AddMunicipality(code="GM0632", name="Woerden"), actor=ADMIN
    )
    await add_schools(desk, (("12AB", SchoolType.REGULAR), ("56EF", SchoolType.SO)))
    tenant = Tenant(desk)
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        # a grant and a refusal in spring, one left undecided in autumn of every year
        tenant.files.append(await _case(desk, date(year, 3, 1), DecisionOutcome.GRANTED))
        tenant.files.append(await _case(desk, date(year, 4, 15), DecisionOutcome.REFUSED))
        tenant.files.append(await _case(desk, date(year, 10, 1), None))
        tenant.files.append(await _registered_only(desk, date(year, 11, 2)))
    # one pupil's data was shredded by hand in 2020
    erased = tenant.files[4]
    await _at(desk, date(2020, 1, 6))
    await desk.run(pupils.shred_pupil_data, ShredPupilData(pupil_id=erased.pupil_id))
    erased.shredded_by_hand = True
    return tenant


def _expected(files: list[CaseFile], today: date, decision_years: int | None) -> set[UUID]:
    """The rules of domain.md §1.12, applied by hand to what the generator did."""
    due: set[UUID] = set()
    for case in files:
        decision_due = (
            case.decision is not None
            and decision_years is not None
            and add_years(case.decided_on, decision_years) <= today  # type: ignore[arg-type]
        )
        dossier_due = case.decided_on is not None and add_years(case.decided_on, 3) <= today
        if dossier_due and case.dossier is not None and not case.shredded_by_hand:
            due.add(case.dossier)
        if decision_due and case.decision is not None:
            due.add(case.decision)
        pupil_due = (
            (dossier_due or case.request_id is None)
            and (case.decision is None or decision_due)
            and add_years(case.last_activity, 3) <= today
        )
        if pupil_due and not case.shredded_by_hand:
            due.add(case.pupil_id)
    return due


async def _readable_subjects(store: PostgresEventStore, tenant: Tenant) -> dict[UUID, bool]:
    """Per subject: do the personal fields under its key still read?"""
    readable: dict[UUID, bool] = {}
    for recorded in await store.read_log(tenant.desk.tenant_id, limit=100_000):
        fields = personal_fields(type(recorded.event))
        subject = store.codec.subject_of(recorded.event)
        if subject is None:
            continue
        values = [vars(recorded.event)[name] for name in fields]
        readable[subject] = readable.get(subject, True) and all(v is not None for v in values)
    return readable


async def test_retention_on_a_ten_year_tenant_shreds_exactly_the_subjects_due(
    pg_store: PostgresEventStore,
) -> None:
    tenant = await _ten_year_tenant(pg_store)
    desk = tenant.desk
    clock = FixedClock(TODAY)
    today = TODAY.date()
    before = await _readable_subjects(pg_store, tenant)
    expected = _expected(tenant.files, today, decision_years=None)
    pupils_due = {c.pupil_id for c in tenant.files} & expected
    assert pupils_due
    assert {c.dossier for c in tenant.files} & expected
    assert len(expected) < len(before)  # some of every kind are kept

    dry = await run_retention(pg_store, desk.tenant_id, clock, dry_run=True)
    assert {d.subject.subject_id for d in dry.due} == expected
    assert await _readable_subjects(pg_store, tenant) == before  # a dry run changes nothing

    report = await run_retention(pg_store, desk.tenant_id, clock)

    shredded = {d.subject.subject_id for d in report.due}
    assert shredded == expected
    assert any(k.startswith("dossier: 3 years") for k in report.per_rule)
    assert not any(k.startswith("decision") for k in report.per_rule)  # legal hold
    after = await _readable_subjects(pg_store, tenant)
    assert {s for s, ok in after.items() if not ok} == expected | _by_hand(tenant)
    recorded = [
        e.event
        for e in await pg_store.read_log(desk.tenant_id, limit=100_000)
        if isinstance(e.event, Retention.SubjectShredded)
    ]
    assert sorted(e.subject_id for e in recorded) == sorted(expected)  # one event per subject
    assert (await pg_store.verify_chain(desk.tenant_id)).intact

    # the tenant adopts the selection list: decisions older than its 7 years go too
    await _at(desk, today)
    await change_retention(
        pg_store,
        desk.ctx(),
        clock,
        lambda r: r.adopt_selection_list(
            list_name="Selectielijst PO-Raad/VO-raad 2026",
            adopted_on=today,
            decision_years=7,
            by="user:privacy-officer",
            at=TODAY,
        ),
    )
    second = await run_retention(pg_store, desk.tenant_id, clock)

    expected_now = _expected(tenant.files, today, decision_years=7)
    assert {d.subject.subject_id for d in second.due} == expected_now - expected
    assert {c.decision for c in tenant.files} & expected_now
    assert {c.pupil_id for c in tenant.files} & expected_now - pupils_due  # held by decisions
    assert any(k.startswith("decision: 7 years") for k in second.per_rule)
    after = await _readable_subjects(pg_store, tenant)
    assert {s for s, ok in after.items() if not ok} == expected_now | _by_hand(tenant)
    assert (await run_retention(pg_store, desk.tenant_id, clock)).due == []  # nothing twice
    assert (await pg_store.verify_chain(desk.tenant_id)).intact


def _by_hand(tenant: Tenant) -> set[UUID]:
    erased = [case for case in tenant.files if case.shredded_by_hand]
    return {c.pupil_id for c in erased} | {c.dossier for c in erased if c.dossier is not None}
