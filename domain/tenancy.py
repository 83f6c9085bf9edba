"""Tenancy aggregate: the platform operator's record of one tenant, in the platform log.

The operator (a processor under the AVG) opens and suspends tenants and rotates their
key-encryption keys; it never writes into a tenant's own log. Its actions are events of one
``Tenancy`` stream per tenant, in the log of the platform tenant ``PLATFORM``, which no SWV
code can be (those are PO/VO plus four digits).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import StateConflictError, require_text
from domain.ids import TenantId
from domain.swv import check_swv_code

PLATFORM_TENANT = TenantId("PLATFORM")
TENANCY_NAMESPACE = UUID("7a2e4c19-5d3b-4f60-8b1e-2c9d0f3a6e21")


class TenancyStateError(StateConflictError):
    """The tenant is not in the state this operator action needs."""


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """One rotation of the tenant's key-encryption key: the new KEK, and its end once done.

    The counts are of data keys, never of what they protect: re-wrapped under the new KEK,
    already under it, shredded meanwhile, and unreadable (under a KEK the provider lost).
    """

    number: int
    kek_id: str
    reason: str
    started_by: str
    started_at: datetime
    completed_at: datetime | None = None
    rewrapped: int = 0
    already_current: int = 0
    shredded_meanwhile: int = 0
    unreadable: int = 0


def tenancy_stream_id(code: str) -> UUID:
    """The platform-log stream of one tenant, derived from its SWV code."""
    return uuid5(TENANCY_NAMESPACE, code)


class Tenancy(Aggregate):
    TOPIC = "Tenancy"

    class Event(Aggregate.Event):
        pass

    class Opened(Event, Aggregate.Created):
        TOPIC = "TenancyOpened.v1"
        code: str
        name: str
        opened_by: str
        opened_at: datetime

    Created = Opened

    class Suspended(Event):
        TOPIC = "TenancySuspended.v1"
        reason: str
        suspended_by: str
        suspended_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.suspended = True

    class Reinstated(Event):
        TOPIC = "TenancyReinstated.v1"
        reason: str
        reinstated_by: str
        reinstated_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.suspended = False

    class KeyRotationStarted(Event):
        """A new KEK is current: new data keys are wrapped under it, older ones re-wrapped."""

        TOPIC = "TenancyKeyRotationStarted.v1"
        number: int
        kek_id: str
        reason: str
        started_by: str
        started_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.key_rotations = (
                *aggregate.key_rotations,
                KeyRotation(
                    self.number, self.kek_id, self.reason, self.started_by, self.started_at
                ),
            )

    class KeyRotationCompleted(Event):
        """Every data key of the tenant was re-wrapped under the rotation's KEK."""

        TOPIC = "TenancyKeyRotationCompleted.v1"
        number: int
        kek_id: str
        rewrapped: int
        already_current: int
        shredded_meanwhile: int
        unreadable: int
        completed_by: str
        completed_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            *earlier, running = aggregate.key_rotations
            aggregate.key_rotations = (
                *earlier,
                replace(
                    running,
                    completed_at=self.completed_at,
                    rewrapped=self.rewrapped,
                    already_current=self.already_current,
                    shredded_meanwhile=self.shredded_meanwhile,
                    unreadable=self.unreadable,
                ),
            )

    def __init__(self, *, code: str, name: str, opened_by: str, opened_at: datetime) -> None:
        self.code = code
        self.name = name
        self.opened_by = opened_by
        self.opened_at = opened_at
        self.suspended = False
        self.key_rotations: tuple[KeyRotation, ...] = ()

    @property
    def running_key_rotation(self) -> KeyRotation | None:
        """The rotation whose re-wrapping has not been completed, if one was started."""
        last = self.key_rotations[-1] if self.key_rotations else None
        return last if last is not None and last.completed_at is None else None

    @classmethod
    def open(cls, *, code: str, name: str, by: str, at: datetime) -> Tenancy:
        check_swv_code(code)
        return cls._create(
            cls.Opened,
            id=tenancy_stream_id(code),
            code=code,
            name=require_text(name, "The SWV name", field="name"),
            opened_by=by,
            opened_at=at,
            timestamp=at,
        )

    def suspend(self, *, reason: str, by: str, at: datetime) -> None:
        if self.suspended:
            raise TenancyStateError(f"Tenant {self.code} is suspended already.")
        self.trigger_event(
            self.Suspended,
            reason=require_text(reason, "The reason for the suspension", field="reason"),
            suspended_by=by,
            suspended_at=at,
            timestamp=at,
        )

    def reinstate(self, *, reason: str, by: str, at: datetime) -> None:
        if not self.suspended:
            raise TenancyStateError(f"Tenant {self.code} is not suspended.")
        self.trigger_event(
            self.Reinstated,
            reason=require_text(reason, "The reason for the reinstatement", field="reason"),
            reinstated_by=by,
            reinstated_at=at,
            timestamp=at,
        )

    def start_key_rotation(self, *, kek_id: str, reason: str, by: str, at: datetime) -> None:
        """Record that ``kek_id`` is the tenant's new KEK; one rotation runs at a time."""
        if self.running_key_rotation is not None:
            raise TenancyStateError(
                f"Key rotation {self.running_key_rotation.number} of tenant {self.code} has not"
                " completed: finish it first."
            )
        self.trigger_event(
            self.KeyRotationStarted,
            number=len(self.key_rotations) + 1,
            kek_id=kek_id,
            reason=require_text(reason, "The reason for the key rotation", field="reason"),
            started_by=by,
            started_at=at,
            timestamp=at,
        )

    def complete_key_rotation(  # noqa: PLR0913 - the counts of the re-wrapping
        self,
        *,
        rewrapped: int,
        already_current: int,
        shredded_meanwhile: int,
        unreadable: int,
        by: str,
        at: datetime,
    ) -> None:
        running = self.running_key_rotation
        if running is None:
            raise TenancyStateError(f"No key rotation of tenant {self.code} is running.")
        self.trigger_event(
            self.KeyRotationCompleted,
            number=running.number,
            kek_id=running.kek_id,
            rewrapped=rewrapped,
            already_current=already_current,
            shredded_meanwhile=shredded_meanwhile,
            unreadable=unreadable,
            completed_by=by,
            completed_at=at,
            timestamp=at,
        )
