"""As-of reads: an aggregate or a read model as it stood at a position or a time of the log.

Every aggregate ``GET`` and read-model query takes ``as_of_position=N`` or ``as_of=<RFC 3339
time>`` (the last position committed at or before that time, by the commit time the database
assigns). The answer is replayed from the tenant's log up to there, in memory, with the same
pure folds the read models use, and carries ``replayed_to``: the position, its commit time,
the tenant policy version in force on that day as configured by then, and the latest signed
checkpoint when it covers the position (so the events shown can be proved against it). A
replay reads the replica once it holds the position, else the primary. Only
the auditor and the privacy officer read as of a moment, both with the auditor's minimised view
(api/authorisation.py: a municipality comparing figures at two positions would defeat their
suppression). Each such read needs a ``Purpose``; the resolved moment is left in the request's
scope, and api/personal_reads.py records the read in the access log from there, as it records
every personal read. A position past the head or a time still to come is refused, naming the
parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException
from litestar.params import QueryParameter, SkipValidation

from api.auth import Principal
from api.authorisation import AS_OF, AS_OF_POSITION, REPLAYS_THE_LOG, asks_replay
from api.dependencies import ClockDependency, Store, provide_pool
from api.personal_reads import AS_OF_READ
from api.read_side import ReadSource, ReadSources
from api.routes.audit import bad_query, provide_transparency_log, purpose_of
from api.schemas.common import MAX_POSITION, problems
from application.errors import AggregateNotFoundError
from application.local_dates import local_date
from application.ports import Clock, EventStore
from application.queries import LogMoment, aggregate_history
from domain.ids import TenantId
from domain.swv import Swv, swv_stream_id
from infrastructure.log_moments import committed_at, position_as_of
from infrastructure.transparency_log import LogNotReadyError

_T = TypeVar("_T")
AS_OF_READ_ERRORS = problems(400, 401, 403, 404, 422)
"""The answers of a read that may be asked as of a moment (422: a moment not in the log)."""

AsOfPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_POSITION,
        description=(
            "Auditors and the privacy officer: the state replayed from the log up to this"
            " tenant position."
        ),
    ),
]
AsOfTime = Annotated[
    datetime | None,
    QueryParameter(
        description=(
            "Auditors and the privacy officer: the state replayed up to the last position"
            " committed at or before this RFC 3339 time (with its offset)."
        )
    ),
]
AsOfDayOrTime = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2}))?$",
        description=(
            "A day (YYYY-MM-DD): judge what runs and what is overdue on that day, against the"
            " read model as it is now; today when left out. An RFC 3339 time (auditors and the"
            " privacy officer): the"
            " read model replayed up to the last position committed at or before it, judged on"
            " that day."
        ),
    ),
]


@dataclass(frozen=True, slots=True)
class Replay:
    """What a read was asked as of: nothing (the current state) or a moment of the log."""

    moment: LogMoment | None = None
    day: date | None = None
    """A read model's day to judge against, when one was named."""
    log: EventStore | None = None
    """Where to replay from: the replica once it holds the position, else the primary."""
    source: ReadSource | None = None
    """The read source of ``log`` (its pool too), where the app has them."""

    @property
    def position(self) -> int | None:
        return None if self.moment is None else self.moment.position

    @property
    def as_of(self) -> bool:
        """Whether the log is replayed (only the auditor and the privacy officer get here)."""
        return self.moment is not None


ReplayDependency = NamedDependency[SkipValidation[Replay]]


@dataclass(frozen=True, slots=True)
class _Asked:
    """One request's as-of parameters and what resolving them needs."""

    request: Request[Any, Any, Any]
    principal: Principal
    state: State
    clock: Clock
    store: EventStore


async def _replay(asked: _Asked, position: int | None, moment: datetime | None) -> Replay:
    if position is None and moment is None:
        return Replay()
    principal = asked.principal
    if not principal.has(*REPLAYS_THE_LOG):
        raise PermissionDeniedException(
            f"Reading as of a moment ({AS_OF_POSITION}, {AS_OF}) is for the auditor and the"
            " privacy officer."
        )
    if position is not None and moment is not None:
        raise bad_query(AS_OF_POSITION, f"Give {AS_OF_POSITION} or {AS_OF}, not both.")
    purpose_of(asked.request)  # a replay without a purpose is refused before any work
    tenant = principal.tenant_id
    pool = provide_pool(asked.state)
    if moment is not None:
        if moment.tzinfo is None:
            raise bad_query(AS_OF, f"{AS_OF} needs its offset from UTC, e.g. Z or +01:00.")
        if moment > asked.clock.now():
            raise bad_query(AS_OF, f"{AS_OF} is still to come: the log does not reach it yet.")
        position = await position_as_of(pool, tenant, moment)
    assert position is not None  # noqa: S101 - one of the two was given
    head = (await asked.store.head(tenant)).last_position
    if position > head:
        raise bad_query(
            AS_OF_POSITION, f"{AS_OF_POSITION} {position} is past the log's head, {head}."
        )
    committed = await committed_at(pool, tenant, position)
    then = moment or committed
    day = None if then is None else local_date(then)
    resolved = LogMoment(
        position=position,
        committed_at=committed,
        policy_version=await _policy_version(asked.store, tenant, position, day),
        checkpoint=await _checkpoint_covering(asked.state, tenant, position),
    )
    # api/personal_reads.py records the read from here once its answer is a success
    asked.request.scope.setdefault("state", {})[AS_OF_READ] = resolved
    source = await _source_holding(asked, position)
    log = asked.store if source is None else source.event_store
    return Replay(moment=resolved, day=day, log=log, source=source)


async def _source_holding(asked: _Asked, position: int) -> ReadSource | None:
    """The replica if it holds ``position`` (it is waited for briefly), else the primary.

    A replica behind the position would replay fewer events than the answer claims.
    """
    sources: ReadSources | None = asked.state.get("read_sources")
    return None if sources is None else await sources.choose(asked.principal, position)


async def _policy_version(
    store: EventStore, tenant: TenantId, position: int, day: date | None
) -> str | None:
    """The policy in force on ``day`` as the tenant had configured it by ``position``."""
    if day is None:
        return None
    try:
        history = await aggregate_history(
            store, tenant, Swv, swv_stream_id(tenant), to_position=position
        )
    except AggregateNotFoundError:
        return None
    swv = history.aggregate
    return swv.policy_on(day).version if swv.policies else None


async def _checkpoint_covering(state: State, tenant: TenantId, position: int) -> str | None:
    try:
        stored = await provide_transparency_log(state).latest(tenant)
    except LogNotReadyError:
        return None
    return stored.note.text if stored.checkpoint.size >= position else None


async def provide_replay(  # noqa: PLR0913 - the request, its collaborators, the two parameters
    *,
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    state: State,
    clock: ClockDependency,
    event_store: Store,
    as_of_position: AsOfPosition = None,
    as_of: AsOfTime = None,
) -> Replay:
    """An aggregate's read: as of a position or a time of the log, or as it is."""
    asked = _Asked(request, principal, state, clock, event_store)
    return await _replay(asked, as_of_position, as_of)


async def provide_read_model_replay(  # noqa: PLR0913 - as provide_replay
    *,
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    state: State,
    clock: ClockDependency,
    event_store: Store,
    as_of_position: AsOfPosition = None,
    as_of: AsOfDayOrTime = None,
) -> Replay:
    """A read model's query: ``as_of`` is a day to judge on, or a time of the log."""
    asked = _Asked(request, principal, state, clock, event_store)
    if as_of is None or not asks_replay({AS_OF: as_of}):
        day = None if as_of is None else _parse(as_of, date.fromisoformat)
        replay = await _replay(asked, as_of_position, None)
        return replace(replay, day=day or replay.day)
    return await _replay(asked, as_of_position, _parse(as_of, datetime.fromisoformat))


def _parse(value: str, parse: Callable[[str], _T]) -> _T:
    try:
        return parse(value)
    except ValueError:
        raise bad_query(AS_OF, f"{AS_OF} is not a valid day or RFC 3339 time.") from None


REPLAY = {"replay": Provide(provide_replay)}
READ_MODEL_REPLAY = {"replay": Provide(provide_read_model_replay)}
