"""The steps every handler shares: rebuild a stream, append idempotently under derived ids.

Ids derive from the command id, so a retried command finds its own events and returns the
original outcome instead of deciding again.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.access import AccessRule, Caller, Concerns
from application.acts import Act
from application.aggregate_ids import event_id
from application.commands import Command, CommandContext, CommandOutcome
from application.errors import (
    AggregateNotFoundError,
    ConcurrencyConflictError,
    SwvNotConfiguredError,
)
from application.ports import (
    Clock,
    EventMetadata,
    EventStore,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from domain.absence import AbsenceCase
from domain.arrangement import Arrangement
from domain.ids import TenantId
from domain.objection import Objection
from domain.pupil import Pupil
from domain.service import ServiceRequest
from domain.subscription import Subscription
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

    def unchanged(self) -> CommandOutcome:
        """The outcome of a command that found nothing to change: the stream as it is."""
        last = self.events[-1].position if self.events else 0
        return CommandOutcome(self.stream_id, self.version, last, last)

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
    if isinstance(aggregate, Subscription):
        return Concerns(partners=frozenset({aggregate.partner}))
    return Concerns()


async def admits(
    store: EventStore, tenant_id: TenantId, caller: Caller, rule: AccessRule, aggregate: Aggregate
) -> bool:
    """Whether ``rule`` lets the caller act on ``aggregate``, its role aside (reads use it too)."""
    return not rule.binds(caller) or rule.allows(
        caller, await concerns_of(store, tenant_id, aggregate)
    )


async def check_access(
    store: EventStore, ctx: CommandContext, rule: AccessRule, aggregate: Aggregate
) -> None:
    """Apply ``rule`` to the caller and ``aggregate``: 403 for a wrong role, 404 unrelated."""
    rule.check_role(ctx.caller)
    if not await admits(store, ctx.tenant_id, ctx.caller, rule, aggregate):
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


async def save_together(
    store: EventStore, ctx: CommandContext, changed: Sequence[tuple[Aggregate, int]]
) -> list[CommandOutcome]:
    """Append the new events of several aggregates (each after its expected version) at once.

    One transaction: either every aggregate's events are recorded or none, so a failure
    between them cannot leave one changed without the other.
    """
    appends = []
    for aggregate, expected_version in changed:
        pending = aggregate.collect_events()
        events = [NewEvent(event_id(ctx, aggregate.id, i), e) for i, e in enumerate(pending)]
        appends.append(StreamAppend(events, expected_version))
    results = await store.append_streams(
        ctx.tenant_id,
        appends,
        metadata=EventMetadata(
            actor=ctx.actor, correlation_id=ctx.correlation_id, causation_id=ctx.command_id
        ),
    )
    return [
        CommandOutcome(aggregate.id, r.stream_version, r.first_position, r.last_position)
        for (aggregate, _), r in zip(changed, results, strict=True)
    ]


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


async def create_about(  # noqa: PLR0913 - the new stream, and what it is about under which rule
    store: EventStore,
    ctx: CommandContext,
    stream_id: UUID,
    make: Callable[[], Aggregate],
    about: Aggregate,
    *,
    rule: AccessRule,
) -> CommandOutcome:
    """``create`` a stream about ``about`` (a case about a pupil) if ``rule`` lets the caller."""
    return await create(
        store, ctx, stream_id, make, allowed=lambda: check_access(store, ctx, rule, about)
    )


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
    if not aggregate.pending_events:
        return loaded.unchanged()
    return await save(store, ctx, aggregate, expected_version=loaded.version)


C = TypeVar("C", bound=Command)
C_contra = TypeVar("C_contra", bound=Command, contravariant=True)


class CommandHandler(Protocol[C_contra]):
    """A handler as the API and the demo call it: the command, its context, store and clock."""

    async def __call__(
        self, cmd: C_contra, ctx: CommandContext, /, *, store: EventStore, clock: Clock
    ) -> CommandOutcome: ...


StreamOf = Callable[[Any, CommandContext], UUID]
"""Which stream a command changes, from the command and its context."""


Action = Callable[[A], None]
"""What a command does to the aggregate it changes."""


def the_tenants_swv(_cmd: object, ctx: CommandContext) -> UUID:
    """The tenant's configuration stream: configuration commands change it."""
    return swv_stream_id(ctx.tenant_id)


def changes(
    kind: type[A], stream: str | StreamOf, *, rule: AccessRule, happened: tuple[str, ...] = ()
) -> Callable[[Callable[[C, A, Act], None]], CommandHandler[C]]:
    """Make a handler of a command that runs one method on one aggregate, as its act.

    ``stream`` names the command field that holds the aggregate's id (``"request_id"``), or
    says how to find it; ``rule`` is the caller's relation to the aggregate that the handler
    checks in its one load (``change``); ``happened`` names date fields refused before anything
    is loaded if they lie after today. The decorated function says only what the command does
    to the aggregate::

        @changes(Objection, "objection_id", rule=PROCESSES_CASES)
        def request_lbt_advice(cmd: RequestLbtAdvice, objection: Objection, act: Act) -> None:
            objection.request_lbt_advice(requested_on=..., **act.stamp)
    """

    def handler(action: Callable[[C, A, Act], None]) -> CommandHandler[C]:
        async def bound(cmd: C, _ctx: CommandContext, _store: EventStore, act: Act) -> Action[A]:
            return lambda aggregate: action(cmd, aggregate, act)

        return _changing(kind, stream, rule, happened, declared=action, bound=bound)

    return handler


def changes_configured(
    kind: type[A], stream: str | StreamOf, *, rule: AccessRule, happened: tuple[str, ...] = ()
) -> Callable[[Callable[[C, A, Act, Swv], None]], CommandHandler[C]]:
    """``changes``, for a command that needs the tenant's configuration (a school, the policy).

    The configuration is read after the ``happened`` dates are checked, before the aggregate.
    """

    def handler(action: Callable[[C, A, Act, Swv], None]) -> CommandHandler[C]:
        async def bound(cmd: C, ctx: CommandContext, store: EventStore, act: Act) -> Action[A]:
            swv = await load_swv(store, ctx.tenant_id)
            return lambda aggregate: action(cmd, aggregate, act, swv)

        return _changing(kind, stream, rule, happened, declared=action, bound=bound)

    return handler


def _changing(  # noqa: PLR0913 - what ``changes`` declares, and the action it binds
    kind: type[A],
    stream: str | StreamOf,
    rule: AccessRule,
    happened: tuple[str, ...],
    *,
    declared: Callable[..., None],
    bound: Callable[[C, CommandContext, EventStore, Act], Awaitable[Action[A]]],
) -> CommandHandler[C]:
    stream_of: StreamOf = (
        stream if callable(stream) else lambda cmd, _ctx: typing.cast("UUID", getattr(cmd, stream))
    )

    async def handle(
        cmd: C, ctx: CommandContext, /, *, store: EventStore, clock: Clock
    ) -> CommandOutcome:
        act = Act.of(ctx, clock)
        for name in happened:
            act.happened(getattr(cmd, name), name)
        action = await bound(cmd, ctx, store, act)
        return await change(store, ctx, kind, stream_of(cmd, ctx), action, rule=rule)

    handle.__name__ = handle.__qualname__ = declared.__name__
    handle.__doc__ = declared.__doc__
    handle.__module__ = declared.__module__
    return handle
