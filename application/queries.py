"""The query side of one aggregate: its current state, version and full event history.

Optionally as of a stream version or a tenant position, as an auditor asks for it.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.handling import LoadedStream, load_swv
from application.ports import EventStore, RecordedEvent
from domain.ids import TenantId
from domain.swv import Swv

A = TypeVar("A", bound=Aggregate)


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


async def swv_configuration(store: EventStore, tenant_id: TenantId) -> Swv:
    """The tenant's configuration as it is now; raises SwvNotConfiguredError before that."""
    return await load_swv(store, tenant_id)
