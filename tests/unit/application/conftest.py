"""A configured tenant on the event store under test, a fixed clock, and a way to run commands.

The ``store`` fixture (tests/conftest.py) runs every test on the in-memory store and on
PostgreSQL. Tenants are fresh SWV codes, so tests share one database without truncating it.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest

from application.access import Caller, Role
from application.commands import (
    AddArrangementType,
    AddMunicipality,
    AddSchool,
    CheckCompleteness,
    CommandContext,
    ConfigureSwv,
    DecideSupportRequest,
    RecordExpertAdvice,
    RegisterPupil,
    SubmitSupportRequest,
    SuspendApplication,
)
from application.handlers import pupils, support_requests, swv
from application.ports import EventMetadata, EventStore, NewEvent
from domain.expert_advice import ExpertRole, Qualification
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.support_request import DecisionOutcome, ParentView
from domain.swv import AmountUnit, SchoolType
from domain.tlv import FundingCategory, TlvType
from tests.tenant_codes import fresh_swv_code

__all__ = ["fresh_swv_code"]

R = TypeVar("R")

LOKET = Caller("loket-1", frozenset({Role.LOKET}))
# The default caller: the SWV's own staff, the loket with the committee's rights.
STAFF = Caller("loket-1", frozenset({Role.LOKET, Role.COMMITTEE}))
DIRECTOR = Caller("director", frozenset({Role.COMMITTEE}))
SCHOOL = Caller("ib-1", frozenset({Role.SCHOOL}), school="12AB00")
ADMIN = Caller("beheer-1", frozenset({Role.SWV_ADMIN}))
OPERATOR = Caller.operator("ops-1")


def caller(actor: Caller | str) -> Caller:
    """A caller as named on events, ``role:subject``; a role the tenant has not is none."""
    if isinstance(actor, Caller):
        return actor
    role, _, subject = actor.partition(":")
    roles = frozenset({Role(role)}) if role in set(Role) else frozenset[Role]()
    return Caller(subject, roles)


@dataclass
class FixedClock:
    """Implements ``application.ports.Clock``; tests move it on by hand."""

    moment: datetime = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, *, days: int) -> None:
        self.moment += timedelta(days=days)

    def move_to(self, day: date) -> None:
        """The desk works on ``day`` from now on, if it lies ahead; time never runs back."""
        self.moment = max(self.moment, datetime.combine(day, self.moment.timetz()))


@dataclass
class Desk:
    """One tenant's desk: runs commands as a given actor, each with a new command id."""

    store: EventStore
    tenant_id: TenantId
    clock: FixedClock = field(default_factory=FixedClock)

    def ctx(self, actor: Caller | str = STAFF, command_id: UUID | None = None) -> CommandContext:
        return CommandContext(self.tenant_id, caller(actor), command_id or uuid4())

    async def run(
        self,
        handler: Callable[..., Awaitable[R]],
        command: Any,
        *,
        actor: Caller | str = STAFF,
        command_id: UUID | None = None,
    ) -> R:
        return await handler(
            command, self.ctx(actor, command_id), store=self.store, clock=self.clock
        )


async def add_schools(desk: Desk, schools: Iterable[tuple[str, SchoolType]]) -> None:
    """One board's schools in Woerden, ``<brin>00`` for each brin and type."""
    for brin, school_type in schools:
        await desk.run(
            swv.add_school,
            AddSchool(
                brin=brin,
                vestiging="00",
                name=f"School {brin}",
                board="Stichting Primair",
                school_type=school_type,
                municipality_code="GM0632",
            ),
            actor=ADMIN,
        )


async def configured_desk(store: EventStore, tenant_id: TenantId | None = None) -> Desk:
    """A tenant with two municipalities, a regular, an SBO and an SO school and one type."""
    desk = Desk(store, tenant_id or fresh_swv_code())
    await store.register_tenant(desk.tenant_id)
    await desk.run(
        swv.configure_swv,
        ConfigureSwv(
            name="Passenderwijs",
            committee_name="TLC",
            policy_version="OP-2024.1",
            policy_effective_from=date(2024, 8, 1),
        ),
        actor=ADMIN,
    )
    for code, name in (("GM0632", "Woerden"), ("GM1904", "Stichtse Vecht")):
        await desk.run(swv.add_municipality, AddMunicipality(code=code, name=name), actor=ADMIN)
    await add_schools(
        desk, (("12AB", SchoolType.REGULAR), ("34CD", SchoolType.SBO), ("56EF", SchoolType.SO))
    )
    await desk.run(
        swv.add_arrangement_type,
        AddArrangementType(
            code="ambulante-begeleiding",
            name="Ambulante begeleiding",
            unit=AmountUnit.HOURS,
            default_duration_months=6,
        ),
        actor=ADMIN,
    )
    return desk


@pytest.fixture
async def desk(store: EventStore) -> Desk:
    return await configured_desk(store)


async def register_pupil(
    desk: Desk, name: str = "Sam de Vries", *, school_code: str | None = None
) -> UUID:
    outcome = await desk.run(
        pupils.register_pupil,
        RegisterPupil(
            name=name,
            date_of_birth=date(2017, 5, 12),
            municipality_code="GM0632",
            school_code=school_code,
        ),
    )
    return outcome.aggregate_id


async def complete_request(
    desk: Desk,
    pupil_id: UUID,
    *,
    tlv_type: TlvType | None = TlvType.SO,
    arrangement_type: str | None = None,
) -> UUID:
    submitted = await desk.run(
        support_requests.submit_support_request,
        SubmitSupportRequest(
            pupil_id=pupil_id,
            school_code="12AB00",
            tlv_type=tlv_type,
            arrangement_type=arrangement_type,
            question="Welke plek past?",
            parent_view=ParentView.AGREE,
        ),
    )
    request_id = submitted.aggregate_id
    await desk.run(support_requests.check_completeness, CheckCompleteness(request_id=request_id))
    return request_id


async def record_both_advices(desk: Desk, request_id: UUID) -> None:
    for role, qualification in (
        (ExpertRole.FIRST, Qualification.ORTHOPEDAGOOG),
        (ExpertRole.SECOND, Qualification.KINDERPSYCHIATER),
    ):
        await desk.run(
            support_requests.record_expert_advice,
            RecordExpertAdvice(
                request_id=request_id,
                role=role,
                expert_id=uuid4(),
                qualification=qualification,
                independence_declared=True,
                written_on=date(2025, 3, 3),
                advice="Toelaatbaar tot het SO.",
                admissible=True,
            ),
        )


async def invited_to_complete(
    desk: Desk, request_id: UUID, on: date, complete_by: date, reason: str = "Dossier"
) -> None:
    """The loket suspends the application: the school is to complete it by ``complete_by``."""
    await desk.run(
        support_requests.suspend_application,
        SuspendApplication(
            request_id=request_id, reason=reason, suspended_on=on, complete_by=complete_by
        ),
    )


def granting(
    request_id: UUID,
    category: FundingCategory = FundingCategory.LOW,
    decided_on: date | None = None,
) -> DecideSupportRequest:
    """The TLV granted in ``category`` from 1 April 2025 for two school years and more."""
    return DecideSupportRequest(
        request_id=request_id,
        outcome=DecisionOutcome.GRANTED,
        reasons="Toelaatbaar.",
        decided_on=decided_on,
        funding_category=category,
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 7, 31),
    )


async def granted_tlv(desk: Desk, pupil_id: UUID | None = None) -> tuple[UUID, UUID]:
    """A granted SO TLV application: (request id, TLV id)."""
    request_id = await complete_request(desk, pupil_id or await register_pupil(desk))
    await record_both_advices(desk, request_id)
    outcome = await desk.run(
        support_requests.decide_support_request, granting(request_id), actor=DIRECTOR
    )
    [tlv_id] = outcome.also_changed
    return request_id, tlv_id


async def take_stream(desk: Desk, stream_id: UUID) -> None:
    """Record a pupil under ``stream_id``, so that a command creating that stream fails there.

    A real event type: the shared test database stays readable for every projection.
    """
    pupil = Pupil.register(
        pupil_id=stream_id,
        name="Iemand Anders",
        date_of_birth=date(2016, 1, 1),
        municipality_code="GM0632",
        by="test",
        at=desk.clock.now(),
    )
    await desk.store.append(
        desk.tenant_id,
        [NewEvent(uuid4(), e) for e in pupil.collect_events()],
        expected_version=0,
        metadata=EventMetadata(actor="test"),
    )
