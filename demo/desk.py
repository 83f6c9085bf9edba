"""Runs the demo's commands through the application handlers, each under a fixed command id.

A command's id is derived from the tenant and a name unique within the seed, so running the
seed again replays the same ids and every handler returns its earlier outcome instead of
appending again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar
from uuid import UUID, uuid5

from application.access import Caller, Role
from application.commands import (
    AddGuardian,
    CommandContext,
    EnrolPupil,
    RecordSchoolRegistration,
    RedeemTlv,
    RegisterPupil,
    SubmitSupportRequest,
)
from application.handlers import pupils, support_requests, tlvs
from application.ports import Clock, EventStore
from demo.dates import DemoCalendar
from domain.beschikkingsnummer import beschikkingsnummer
from domain.ids import TenantId
from domain.support_request import ParentView
from domain.tlv import TlvType

DEMO_NAMESPACE = UUID("5b0f3a4e-2d6c-4f1b-8e7a-9c3d2e1f0a64")

OPERATOR = Caller.operator("demo-seed")
ADMIN = Caller("demo-seed", frozenset({Role.SWV_ADMIN}))
LOKET = Caller("demo-loket", frozenset({Role.LOKET}))
COMMITTEE = Caller("demo-bestuurder", frozenset({Role.COMMITTEE}))


def expert_subject(expert: str) -> str:
    """The account a demo expert signs in with, e.g. ``demo-orthopedagoog-1``."""
    return f"demo-{expert}"


def school_actor(school_code: str) -> Caller:
    return Caller(f"demo-ib-{school_code}", frozenset({Role.SCHOOL}), school=school_code)


def expert_actor(expert: str) -> Caller:
    return Caller(expert_subject(expert), frozenset({Role.EXPERT}))


C_contra = TypeVar("C_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")
C = TypeVar("C")


class Handler(Protocol[C_contra, R_co]):
    def __call__(
        self, cmd: C_contra, ctx: CommandContext, /, *, store: EventStore, clock: Clock
    ) -> Awaitable[R_co]: ...


@dataclass(frozen=True, slots=True)
class Highlight:
    """A case worth showing in a demo: what it is, which aggregate, and its id."""

    label: str
    kind: str
    aggregate_id: UUID


@dataclass
class Tally:
    pupils: int = 0
    support_requests: int = 0
    tlvs: int = 0
    arrangements: int = 0
    objections: int = 0
    highlights: list[Highlight] = field(default_factory=list)


@dataclass
class DemoDesk:
    """One tenant's seeding: its store, clock, calendar and the names of the commands run."""

    store: EventStore
    clock: Clock
    tenant_id: TenantId
    calendar: DemoCalendar
    tally: Tally = field(default_factory=Tally)
    _names: set[str] = field(default_factory=set)

    @staticmethod
    def command_id_for(tenant_id: TenantId, name: str) -> UUID:
        return uuid5(DEMO_NAMESPACE, f"{tenant_id}/{name}")

    def command_id(self, name: str) -> UUID:
        return self.command_id_for(self.tenant_id, name)

    def reference(self, name: str) -> UUID:
        """A stable id for something outside the tenant's streams, e.g. an expert or guardian."""
        return uuid5(DEMO_NAMESPACE, f"{self.tenant_id}/ref/{name}")

    async def run(
        self,
        handler: Handler[C, R],
        command: C,
        *,
        name: str,
        actor: Caller,
        correlation_id: UUID | None = None,
    ) -> R:
        if name in self._names:
            raise ValueError(f"Demo command {name!r} is used twice; each needs its own name.")
        self._names.add(name)
        ctx = CommandContext(self.tenant_id, actor, self.command_id(name), correlation_id)
        return await handler(command, ctx, store=self.store, clock=self.clock)

    def highlight(self, label: str, kind: str, aggregate_id: UUID) -> None:
        self.tally.highlights.append(Highlight(label, kind, aggregate_id))

    def case(self, key: str) -> PupilCase:
        return PupilCase(self, key)


class PupilCase:
    """One pupil's story: every command it runs is named ``<key>/<step>`` and correlated."""

    def __init__(self, desk: DemoDesk, key: str) -> None:
        self.desk = desk
        self.key = key
        self.correlation_id = desk.reference(f"case/{key}")
        self._pupil_id: UUID | None = None
        self.school_code: str | None = None
        self.registered_at: str | None = None
        self.enrolled_on: date | None = None

    @property
    def pupil_id(self) -> UUID:
        if self._pupil_id is None:
            raise ValueError(f"Register the pupil of case {self.key!r} first.")
        return self._pupil_id

    async def run(self, handler: Handler[C, R], command: C, step: str, actor: Caller) -> R:
        return await self.desk.run(
            handler,
            command,
            name=f"{self.key}/{step}",
            actor=actor,
            correlation_id=self.correlation_id,
        )

    # The pupil

    async def register(  # noqa: PLR0913 - who the pupil is, where they live and go to school
        self,
        name: str,
        date_of_birth: date,
        municipality_code: str,
        *,
        school_code: str | None,
        enrolled_on: date | None = None,
        guardians: tuple[bool, ...] = (True, True),
    ) -> UUID:
        """Register the pupil, their guardians (with or without authority) and enrolment."""
        outcome = await self.run(
            pupils.register_pupil,
            RegisterPupil(
                name=name, date_of_birth=date_of_birth, municipality_code=municipality_code
            ),
            "register",
            LOKET,
        )
        self._pupil_id = outcome.aggregate_id
        self.desk.tally.pupils += 1
        for index, has_authority in enumerate(guardians, start=1):
            await self.run(
                pupils.add_guardian,
                AddGuardian(
                    pupil_id=self.pupil_id,
                    guardian_id=self.desk.reference(f"{self.key}/guardian-{index}"),
                    has_authority=has_authority,
                ),
                f"guardian-{index}",
                LOKET,
            )
        if school_code is not None:
            if enrolled_on is None:
                raise ValueError(f"Case {self.key!r}: give the date of the first enrolment.")
            await self.enrol(school_code, enrolled_on, step="enrol")
        return self.pupil_id

    def school_or_loket(self, school_code: str) -> Caller:
        """The school records for its own pupil; the loket for a pupil not (yet) at it."""
        related = school_code in {self.school_code, self.registered_at}
        return school_actor(school_code) if related else LOKET

    async def enrol(self, school_code: str, on: date, *, step: str) -> None:
        await self.run(
            pupils.enrol_pupil,
            EnrolPupil(pupil_id=self.pupil_id, school_code=school_code, enrolled_on=on),
            step,
            self.school_or_loket(school_code),
        )
        self.school_code, self.enrolled_on, self.registered_at = school_code, on, None

    async def redeem(self, tlv_id: UUID, school_code: str, on: date) -> None:
        """The S(B)O school enrols the pupil on the TLV, and the pupil moves there."""
        await self.run(
            tlvs.redeem_tlv,
            RedeemTlv(
                beschikkingsnummer=beschikkingsnummer(self.desk.tenant_id, tlv_id),
                enrolled_on=on,
            ),
            "tlv/redeem",
            school_actor(school_code),
        )
        await self.enrol(school_code, on, step="tlv/enrol")

    async def register_at_school(self, school_code: str, on: date) -> None:
        await self.run(
            pupils.record_school_registration,
            RecordSchoolRegistration(
                pupil_id=self.pupil_id, school_code=school_code, registered_on=on
            ),
            "school-registration",
            self.school_or_loket(school_code),
        )
        self.registered_at = school_code

    # Requests up to their decision

    async def submit(  # noqa: PLR0913 - what the school asks, and when
        self,
        step: str,
        *,
        received_on: date,
        question: str,
        arrangement_type: str | None = None,
        tlv_type: TlvType | None = None,
        parent_view: ParentView = ParentView.AGREE,
        school_code: str | None = None,
    ) -> UUID:
        school = school_code or self.school_code
        if school is None:
            raise ValueError(f"Case {self.key!r}: no school submits this request.")
        if (
            self.enrolled_on is not None
            and school == self.school_code
            and received_on < self.enrolled_on
        ):
            raise ValueError(f"Case {self.key!r}: a request before the pupil's enrolment.")
        outcome = await self.run(
            support_requests.submit_support_request,
            SubmitSupportRequest(
                pupil_id=self.pupil_id,
                school_code=school,
                arrangement_type=arrangement_type,
                tlv_type=tlv_type,
                question=question,
                parent_view=parent_view,
                received_on=received_on,
            ),
            f"{step}/submit",
            self.school_or_loket(school),
        )
        self.desk.tally.support_requests += 1
        return outcome.aggregate_id
