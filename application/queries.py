"""The query side of one aggregate: its current state, version and full event history.

Optionally as of a stream version or a tenant position, as an auditor asks for it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from application.errors import SwvNotConfiguredError
from application.handling import LoadedStream, load_swv, rebuild
from application.ports import EventStore, RecordedEvent
from domain.ids import TenantId
from domain.swv import Swv, swv_stream_id

A = TypeVar("A", bound=Aggregate)


class LogMoment(msgspec.Struct, frozen=True, kw_only=True):
    """Where an as-of read replayed the tenant's log to.

    ``position``: the last event replayed; ``committed_at``: when it was committed;
    ``policy_version``: the tenant policy in force on that day (as configured by then);
    ``checkpoint``: the latest signed checkpoint (C2SP signed note) when it covers the position,
    to ask inclusion proofs of the events shown against (``GET …/log/proofs/inclusion``).
    """

    position: int
    committed_at: datetime | None
    policy_version: str | None
    checkpoint: str | None


class Replayable(msgspec.Struct, frozen=True, kw_only=True):
    """A read's answer, which an auditor may ask as of a moment of the log."""

    replayed_to: LogMoment | None = None
    """Where the log was replayed to; None for the state as it is."""


@dataclass(frozen=True, slots=True)
class AggregateHistory(Generic[A]):
    aggregate: A
    version: int
    events: list[RecordedEvent]


async def aggregate_history(  # noqa: PLR0913 - a stream, and optionally how far to read it
    store: EventStore,
    tenant_id: TenantId,
    kind: type[A],
    aggregate_id: UUID,
    *,
    to_version: int | None = None,
    to_position: int | None = None,
) -> AggregateHistory[A]:
    """Rebuild one aggregate of ``kind``; raises AggregateNotFoundError if the tenant has none."""
    events = await store.read_stream(
        tenant_id, aggregate_id, to_version=to_version, to_position=to_position
    )
    loaded = LoadedStream(aggregate_id, events)
    return AggregateHistory(loaded.require(kind), loaded.version, events)


async def swv_configuration(
    store: EventStore, tenant_id: TenantId, *, to_position: int | None = None
) -> Swv:
    """The tenant's configuration as it is now, or as it was at ``to_position``.

    Raises SwvNotConfiguredError before it was configured.
    """
    if to_position is None:
        return await load_swv(store, tenant_id)
    events = await store.read_stream(tenant_id, swv_stream_id(tenant_id), to_position=to_position)
    swv = rebuild(events)
    if not isinstance(swv, Swv):
        raise SwvNotConfiguredError(tenant_id)
    return swv
