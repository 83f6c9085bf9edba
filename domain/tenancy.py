"""Tenancy aggregate: the platform operator's record of one tenant, in the platform log.

The operator (a processor under the AVG) opens and suspends tenants and rotates their
key-encryption keys; it never writes into a tenant's own log. Its actions are events of one
``Tenancy`` stream per tenant, in the log of the platform tenant ``PLATFORM``, which no SWV
code can be (those are PO/VO plus four digits).
"""

from __future__ import annotations

from collections.abc import Sequence
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

    ``completed_by`` is the operator, or Passend itself when it resumed the rotation on starting.

    The counts are of data keys, never of what they protect: re-wrapped under the new KEK,
    already under it, shredded meanwhile, and unreadable (under a KEK the provider lost).
    """

    number: int
    kek_id: str
    reason: str
    started_by: str
    started_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
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

    class Exported(Event):
        """The tenant's whole log was handed back (AVG art. 28(3)(g)), up to ``last_position``."""

        TOPIC = "TenancyExported.v1"
        last_position: int
        chain_hash: str
        export_sha256: str
        exported_by: str
        exported_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.export = HandedBack(self.last_position, self.chain_hash, self.export_sha256)

    class Erased(Event):
        """Every row of the tenant was deleted, after the export of its whole log; its KEKs too.

        ``keks_destroyed`` are the ids of the KEKs destroyed (none in erasures before v2).
        ``rows_deleted`` is None when an earlier attempt deleted the rows and stopped before
        recording how many; ``keks_destroyed`` is then None too unless this attempt found KEKs
        left to destroy (v3: before, such an attempt recorded 0 rows and no KEK, as if none
        had been there).
        """

        TOPIC = "TenancyErased.v3"
        last_position: int
        chain_hash: str
        export_sha256: str
        rows_deleted: int | None
        keks_destroyed: tuple[str, ...] | None
        reason: str
        erased_by: str
        erased_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.erased = True

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
                    completed_by=self.completed_by,
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
        self.export: HandedBack | None = None
        self.erased = False
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
        self.ensure_not_erased()
        if not self.suspended:
            raise TenancyStateError(f"Tenant {self.code} is not suspended.")
        self.trigger_event(
            self.Reinstated,
            reason=require_text(reason, "The reason for the reinstatement", field="reason"),
            reinstated_by=by,
            reinstated_at=at,
            timestamp=at,
        )

    def ensure_key_rotatable(self) -> None:
        """A new KEK is made only for a tenant whose data is still here, one rotation at a time."""
        self.ensure_not_erased()
        if self.running_key_rotation is not None:
            raise TenancyStateError(
                f"Key rotation {self.running_key_rotation.number} of tenant {self.code} has not"
                " completed: finish it first."
            )

    def start_key_rotation(self, *, kek_id: str, reason: str, by: str, at: datetime) -> None:
        """Record that ``kek_id`` is the tenant's new KEK."""
        self.ensure_key_rotatable()
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

    def ensure_not_erased(self) -> None:
        """Its data, and so its KEKs, are still here: nothing is made again for an erased one."""
        if self.erased:
            raise TenancyStateError(f"Tenant {self.code} has left the platform; its data is gone.")

    def _require_still(self, action: str) -> None:
        self.ensure_not_erased()
        if not self.suspended:
            raise TenancyStateError(
                f"Suspend tenant {self.code} before you {action}: nothing may change meanwhile."
            )

    def ensure_exportable(self) -> None:
        """A tenant is exported for leaving only while suspended, so that its log stands still."""
        self._require_still("export it for leaving")

    def record_export(
        self, *, last_position: int, chain_hash: str, export_sha256: str, by: str, at: datetime
    ) -> None:
        """The whole log up to ``last_position`` was handed back; a suspended tenant only."""
        self.ensure_exportable()
        self.trigger_event(
            self.Exported,
            last_position=last_position,
            chain_hash=chain_hash,
            export_sha256=export_sha256,
            exported_by=by,
            exported_at=at,
            timestamp=at,
        )

    def ensure_erasable(self, *, last_position: int, export_sha256: str) -> None:
        """Erasure needs the export of the log as it stands now (``last_position``), by its hash.

        And no key rotation running: it would make the tenant a KEK after its KEKs were destroyed.
        """
        self._require_still("erase it")
        if self.running_key_rotation is not None:
            raise TenancyStateError(
                f"Key rotation {self.running_key_rotation.number} of tenant {self.code} has not"
                " completed: erase it once it has."
            )
        if self.export is None:
            raise TenancyStateError(f"Export tenant {self.code}'s log before erasing it.")
        if self.export.sha256 != export_sha256:
            raise TenancyStateError(
                f"That is not the hash of tenant {self.code}'s last export; give the hash its"
                " export answered."
            )
        if self.export.last_position != last_position:
            raise TenancyStateError(
                f"Tenant {self.code}'s log changed after its export (position"
                f" {self.export.last_position}, now {last_position}): export it again."
            )

    def erase(  # noqa: PLR0913 - what the erasure was checked against, and what it removed
        self,
        *,
        last_position: int,
        chain_hash: str,
        export_sha256: str,
        rows_deleted: int | None,
        keks_destroyed: Sequence[str] | None,
        reason: str,
        by: str,
        at: datetime,
    ) -> None:
        self.ensure_erasable(last_position=last_position, export_sha256=export_sha256)
        self.trigger_event(
            self.Erased,
            last_position=last_position,
            chain_hash=chain_hash,
            export_sha256=export_sha256,
            rows_deleted=rows_deleted,
            keks_destroyed=None if keks_destroyed is None else tuple(keks_destroyed),
            reason=require_text(reason, "The reason for the erasure", field="reason"),
            erased_by=by,
            erased_at=at,
            timestamp=at,
        )


@dataclass(frozen=True, slots=True)
class HandedBack:
    """The last export of a tenant's log: its head (position, chain hash) and SHA-256 (hex)."""

    last_position: int
    chain_hash: str
    sha256: str
