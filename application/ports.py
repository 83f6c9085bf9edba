"""Ports: what the use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeAlias
from uuid import UUID

import msgspec
from eventsourcing.domain import CanMutateAggregate

from domain.ids import TenantId

DomainEvent: TypeAlias = CanMutateAggregate[UUID]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A domain event to append, with the id that makes a retry idempotent."""

    event_id: UUID
    event: DomainEvent


@dataclass(frozen=True, slots=True)
class EventMetadata:
    """Who caused an append and in answer to what; stored on every event of it."""

    actor: str
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


class RecordedEvent(msgspec.Struct, frozen=True, gc=False):
    """An event as stored: its place in the tenant log plus the decoded domain event.

    A msgspec Struct rather than a dataclass: reading the log builds one per event, and a
    Struct is several times cheaper to construct (positionally, in field order, cheaper still).
    """

    tenant_id: TenantId
    position: int
    stream_id: UUID
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    recorded_at: datetime
    actor: str
    correlation_id: UUID | None
    causation_id: UUID | None
    event: DomainEvent


@dataclass(frozen=True, slots=True)
class StreamAppend:
    """One stream's part of an append to several streams: its events after ``expected_version``."""

    events: Sequence[NewEvent]
    expected_version: int


class AppendResult(msgspec.Struct, frozen=True, gc=False):
    """Where an append landed: the stream's new version and the tenant positions.

    A msgspec Struct for the same reason as ``RecordedEvent``: every append builds one.
    """

    stream_version: int
    first_position: int
    last_position: int


@dataclass(frozen=True, slots=True)
class TenantHead:
    """The tenant log's last position and the hash chain over it."""

    tenant_id: TenantId
    last_position: int
    chain_hash: bytes


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """Result of recomputing a tenant's hash chain; ``first_broken_position`` is None if intact."""

    tenant_id: TenantId
    verified_up_to: int
    chain_hash: bytes
    first_broken_position: int | None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_position is None


class EventStore(Protocol):
    """Append-only, per-tenant event log with dense positions and optimistic concurrency."""

    async def register_tenant(self, tenant_id: TenantId) -> None:
        """Open a log for a tenant. Registering an existing tenant changes nothing."""

    async def append(
        self,
        tenant_id: TenantId,
        events: Sequence[NewEvent],
        *,
        expected_version: int,
        metadata: EventMetadata,
    ) -> AppendResult:
        """Append events of one stream after ``expected_version`` (0: a new stream), atomically.

        Raises ConcurrencyConflictError if the stream is not at that version, UnknownTenantError,
        InvalidAppendError for a malformed batch, and EventIdReusedError when an id was used for
        different content. The same batch again returns the original result.
        """

    async def append_streams(
        self, tenant_id: TenantId, appends: Sequence[StreamAppend], *, metadata: EventMetadata
    ) -> list[AppendResult]:
        """Append to several streams of one tenant in one transaction: all of them, or none.

        Each ``StreamAppend`` is checked as ``append`` checks one; if any is refused, nothing
        is written and its error is raised. The same appends again return the original
        results, in the order given.
        """

    async def read_stream(
        self,
        tenant_id: TenantId,
        stream_id: UUID,
        *,
        to_version: int | None = None,
        to_position: int | None = None,
    ) -> list[RecordedEvent]:
        """One stream in version order, optionally only up to a version or tenant position."""

    async def read_log(
        self, tenant_id: TenantId, *, after: int = 0, limit: int = 500
    ) -> list[RecordedEvent]:
        """The tenant log in position order, after a position, at most ``limit`` events."""

    def read_log_pages(
        self, tenant_id: TenantId, *, after: int = 0, page_size: int = 500
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """The tenant log after a position to its end, in pages of ``page_size`` events.

        Reading the whole log (an export, a replay) this way lets a store fetch the next page
        while the current one is decoded and handled. Close the iterator when stopping early
        (``contextlib.aclosing``).
        """

    async def head(self, tenant_id: TenantId) -> TenantHead:
        """The tenant's last position and chain hash."""

    async def verify_chain(self, tenant_id: TenantId) -> ChainVerification:
        """Recompute the tenant's hash chain from the stored events and compare."""

    async def shred_subject(self, tenant_id: TenantId, subject_id: UUID) -> None:
        """Destroy the key of a data subject: its personal fields become unreadable."""


class Clock(Protocol):
    """The current time; the only way the use cases learn it."""

    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class IdFactory(Protocol):
    """New identifiers for aggregates and events."""

    def new_id(self) -> UUID:
        """A fresh random UUID."""
        ...


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One read of (possibly personal) data: who read what, about whom, and why.

    ``action`` names the kind of read (``export``, ``timeline``, ``as-of``, ``read``),
    ``resource`` what was read (a route or object), ``fields`` the personal fields shown;
    ``subjects`` every pupil a read of many showed (a list, a search), ``subject_id`` the one.
    """

    actor: str
    action: str
    resource: str
    purpose: str
    subject_id: UUID | None = None
    fields: tuple[str, ...] = ()
    subjects: tuple[UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordedAccess:
    """An access as the log keeps it: its place in the tenant's access chain."""

    tenant_id: TenantId
    sequence: int
    accessed_at: datetime
    record: AccessRecord
    chain_hash: bytes


class AccessLog(Protocol):
    """Append-only, hash-chained record of reads, per tenant, kept beside the event log.

    Recording never takes the event log's locks and never adds to the decision tree.
    """

    async def record(self, tenant_id: TenantId, access: AccessRecord, *, at: datetime) -> int:
        """Append one access; its sequence number in the tenant's access log."""

    async def read(
        self,
        tenant_id: TenantId,
        *,
        after: int = 0,
        limit: int = 500,
        subject_id: UUID | None = None,
    ) -> list[RecordedAccess]:
        """Accesses after a sequence number, oldest first; only those showing a subject if given."""

    async def verify(self, tenant_id: TenantId) -> ChainVerification:
        """Recompute the access chain; the first broken sequence number, if any."""


class IdempotencyKeys(Protocol):
    """Idempotency keys per tenant and caller: the command id a key names, for one request."""

    async def claim(
        self, tenant_id: TenantId, caller: str, key: str, fingerprint: bytes, new_id: UUID
    ) -> UUID:
        """The command id that ``key`` names for this caller in this tenant.

        ``new_id`` on first use and after the key expired; the first one again for the same
        request; IdempotencyKeyReusedError for another request.
        """
        ...
