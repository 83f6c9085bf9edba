"""The steps every handler shares: rebuild a stream, append idempotently under derived ids.

Ids derive from the command id, so a retried command finds its own events and returns the
original outcome instead of deciding again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.access import AccessRule, Concerns
from application.aggregate_ids import event_id
from application.commands import CommandContext, CommandOutcome
from application.errors import (
    AggregateNotFoundError,
    ConcurrencyConflictError,
    SwvNotConfiguredError,
)
from application.ports import EventMetadata, EventStore, NewEvent, RecordedEvent
from domain.absence import AbsenceCase
from domain.arrangement import Arrangement
from domain.ids import TenantId
from domain.objection import Objection
from domain.pupil import Pupil
from domain.service import ServiceRequest
from domain.support_request import SupportRequest
from domain.swv import Swv, swv_stream_id
from domain.tlv import Tlv

A = TypeVar("A", bound=Aggregate)


def rebuild(events: Sequence[RecordedEvent]) -> Aggregate | None:
    """The aggregate as of the last of ``events``, by applying them in order."""
    aggregate: Aggregate | None = None
    for recorded in events:
        aggregate = recorded.event.mutate(aggregate)
    return aggregate


@dataclass(frozen=True, slots=True)
class LoadedStream:
    stream_id: UUID
    events: list[RecordedEvent]

    @property
    def version(self) -> int:
        return self.events[-1].stream_version if self.events else 0

    def require(self, kind: type[A]) -> A:
        aggregate = rebuild(self.events)
        if not isinstance(aggregate, kind):
            raise AggregateNotFoundError(kind.__name__, self.stream_id)
        return aggregate

    def outcome_of(self, ctx: CommandContext) -> CommandOutcome | None:
        """The outcome of this command if it already ran on this stream, else None."""
        first_id = event_id(ctx, self.stream_id, 0)
        mine = [e for e in self.events if e.event_id == first_id]
        if not mine:
            return None
        ids = {event_id(ctx, self.stream_id, i) for i in range(len(self.events))}
        done = [e for e in self.events if e.event_id in ids]
        return CommandOutcome(
            aggregate_id=self.stream_id,
            stream_version=done[-1].stream_version,
            first_position=done[0].position,
            last_position=done[-1].position,
        )

    def check_expected_version(self, ctx: CommandContext) -> None:
        """Refuse the command if the caller decided on another version than the current one."""
        if ctx.expected_version is not None and ctx.expected_version != self.version:
            raise ConcurrencyConflictError(
                self.stream_id, expected=ctx.expected_version, actual=self.version
            )


async def load(store: EventStore, tenant_id: TenantId, stream_id: UUID) -> LoadedStream:
    return LoadedStream(stream_id, await store.read_stream(tenant_id, stream_id))


async def concerns_of(store: EventStore, tenant_id: TenantId, aggregate: Aggregate) -> Concerns:
    """Whom ``aggregate`` concerns, for the access rules.

    A TLV, objection or arrangement concerns the school that submitted its request, which
    never changes once submitted: reading the request now answers for the version of the
    aggregate being changed.
    """
    if isinstance(aggregate, Pupil):
        schools = {aggregate.school_code, aggregate.registered_at_school}
        return Concerns(frozenset(s for s in schools if s))
    if isinstance(aggregate, SupportRequest):
        experts = {a.subject for a in aggregate.assigned_experts.values()}
        return Concerns(frozenset({aggregate.school_code}), frozenset(experts))
    if isinstance(aggregate, Tlv | Objection | Arrangement):
        request = (await load(store, tenant_id, aggregate.support_request_id)).require(
            SupportRequest
        )
        redeemed = getattr(aggregate, "redeemed_at_school", None)
        return Concerns(frozenset(s for s in (request.school_code, redeemed) if s))
    if isinstance(aggregate, AbsenceCase | ServiceRequest):
        return Concerns(frozenset(s for s in (aggregate.school_code,) if s))
    return Concerns()


async def check_access(
    store: EventStore, ctx: CommandContext, rule: AccessRule, aggregate: Aggregate
) -> None:
    """Apply ``rule`` to the caller and ``aggregate``: 403 for a wrong role, 404 unrelated."""
    rule.check_role(ctx.caller)
    if rule.binds(ctx.caller) and not rule.allows(
        ctx.caller, await concerns_of(store, ctx.tenant_id, aggregate)
    ):
        raise AggregateNotFoundError(type(aggregate).__name__, aggregate.id)


async def load_swv(store: EventStore, tenant_id: TenantId) -> Swv:
    """The tenant's configuration; decisions take their policy version from it."""
    events = await store.read_stream(tenant_id, swv_stream_id(tenant_id))
    swv = rebuild(events)
    if not isinstance(swv, Swv):
        raise SwvNotConfiguredError(tenant_id)
    return swv


async def save(
    store: EventStore, ctx: CommandContext, aggregate: Aggregate, *, expected_version: int
) -> CommandOutcome:
    """Append the aggregate's new events under ids derived from the command."""
    pending = aggregate.collect_events()
    result = await store.append(
        ctx.tenant_id,
        [NewEvent(event_id(ctx, aggregate.id, i), event) for i, event in enumerate(pending)],
        expected_version=expected_version,
        metadata=EventMetadata(
            actor=ctx.actor, correlation_id=ctx.correlation_id, causation_id=ctx.command_id
        ),
    )
    return CommandOutcome(
        aggregate_id=aggregate.id,
        stream_version=result.stream_version,
        first_position=result.first_position,
        last_position=result.last_position,
    )


async def create(
    store: EventStore,
    ctx: CommandContext,
    stream_id: UUID,
    make: Callable[[], Aggregate],
    *,
    allowed: Callable[[], Awaitable[None]] | None = None,
) -> CommandOutcome:
    """Start a new stream with the aggregate ``make`` returns, once per command.

    ``allowed`` checks the caller's access to what the new aggregate is about (its pupil, its
    request) when the command runs the first time; a retry returns the earlier outcome.
    """
    loaded = await load(store, ctx.tenant_id, stream_id)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    if allowed is not None:
        await allowed()
    return await save(store, ctx, make(), expected_version=loaded.version)


async def change(  # noqa: PLR0913 - the aggregate, the command's action and its access rule
    store: EventStore,
    ctx: CommandContext,
    kind: type[A],
    stream_id: UUID,
    action: Callable[[A], None],
    *,
    rule: AccessRule,
) -> CommandOutcome:
    """Load an aggregate, check access, run one command method on it, append, once.

    The access rule sees the very version of the aggregate that the command changes.
    """
    loaded = await load(store, ctx.tenant_id, stream_id)
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    aggregate = loaded.require(kind)
    await check_access(store, ctx, rule, aggregate)
    loaded.check_expected_version(ctx)
    action(aggregate)
    return await save(store, ctx, aggregate, expected_version=loaded.version)
