"""``GET …/pupils/{pupil_id}/timeline``: a pupil's whole story, in tenant-position order.

Every event of the pupil's own stream and of each stream whose events name the pupil (its
requests and TLV applications, TLVs, objections, arrangements), each with its business date,
recorded time, actor, correlation id and the policy version that applied (recorded on the
decision, else the one in force on its business date). Paged by position (``after``,
``limit``). Auditors and the SWV staff read it; personal fields follow the usual rules (blanked
for auditors); a purpose is required, and every read is recorded in the access log with it.
As of a moment (``as_of_position``, ``as_of``; the auditor and the privacy officer): the
timeline up to there, read from the pupil's streams only, so its cost grows with the pupil's
events and not with the tenant's history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from api import authorisation
from api.auth import Principal, Role
from api.dependencies import Store
from api.personal_reads import AUDIT, personal
from api.read_side import Reads, provide_reads
from api.routes.as_of import REPLAY, ReplayDependency
from api.routes.audit import purpose_of
from api.schemas.common import MAX_POSITION, EventView, problems
from application.ports import RecordedEvent
from application.queries import Replayable, aggregate_history, swv_configuration
from domain.pupil import Pupil
from infrastructure.database import tenant_transaction

reads_timeline = authorisation.requires(*authorisation.SWV_STAFF, Role.AUDITOR)
_PUPIL_STREAMS = (
    "SELECT DISTINCT stream_id FROM events WHERE tenant_id = $1"
    " AND payload ? 'pupil_id' AND payload ->> 'pupil_id' = $2::uuid::text"
)


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    stream_id: UUID
    version: int
    type: str
    business_date: date | None
    recorded_at: datetime
    actor: str
    correlation_id: UUID | None
    policy_version: str
    data: dict[str, Any]
    redacted: list[str]


class Timeline(Replayable, frozen=True, kw_only=True):
    pupil_id: UUID
    data_shredded: bool
    entries: list[TimelineEntry]
    next_after: int | None
    """Ask again with ``after`` = this for the next page; None at the end."""


def business_date(data: dict[str, Any]) -> date | None:
    """The day the event is about: its first ``…_on`` date (decided_on, received_on, …)."""
    for name, value in data.items():
        if name.endswith("_on") and isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    return None


@get(
    "/v1/tenants/{swv_code:str}/pupils/{pupil_id:uuid}/timeline",
    guards=[authorisation.or_as_of(reads_timeline)],
    summary="Every event of a pupil and its cases, in order, with dates, actors and policy",
    tags=["audit"],
    responses=problems(400, 401, 403, 404, 422),
    dependencies={"reads": Provide(provide_reads), **REPLAY},
    opt=personal("timeline", AUDIT),
)
async def pupil_timeline(  # noqa: PLR0913 - the page and the collaborators
    *,
    pupil_id: FromPath[UUID],
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    event_store: Store,
    reads: Reads,
    replay: ReplayDependency,
    after: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> Timeline:
    purpose_of(request)  # required here; api/personal_reads.py records it with the read
    tenant = principal.tenant_id
    until = replay.position
    pupil = (
        await aggregate_history(event_store, tenant, Pupil, pupil_id, to_position=until)
    ).aggregate
    authorisation.ensure_can_read_pupil(principal, pupil, as_of=replay.as_of)
    personal = authorisation.may_see_pupil_details(principal, pupil)
    # The story itself tolerates staleness (the replica, if any); who may read it does not.
    # As of a position, it is read where the log holds that position.
    source = replay.source or reads
    async with source.pool.acquire() as conn, tenant_transaction(conn, tenant):
        streams = {r["stream_id"] for r in await conn.fetch(_PUPIL_STREAMS, tenant, pupil_id)}
    events: list[RecordedEvent] = []
    for stream in streams | {pupil_id}:
        events.extend(
            e
            for e in await source.event_store.read_stream(tenant, stream, to_position=until)
            if e.position > after
        )
    events.sort(key=lambda e: e.position)
    page = events[:limit]
    swv = await swv_configuration(source.event_store, tenant, to_position=until)
    entries = []
    for recorded in page:
        view = EventView.of(recorded, personal=personal)
        day = business_date(view.data)
        recorded_policy = view.data.get("policy_version")
        entries.append(
            TimelineEntry(
                position=recorded.position,
                stream_id=recorded.stream_id,
                version=recorded.stream_version,
                type=recorded.event_type,
                business_date=day,
                recorded_at=recorded.recorded_at,
                actor=recorded.actor,
                correlation_id=recorded.correlation_id,
                policy_version=recorded_policy
                if isinstance(recorded_policy, str)
                else swv.policy_on(day or recorded.recorded_at.date()).version,
                data=view.data,
                redacted=view.redacted,
            )
        )
    return Timeline(
        pupil_id=pupil_id,
        data_shredded=pupil.data_shredded,
        entries=entries,
        next_after=page[-1].position if len(events) > limit else None,
        replayed_to=replay.moment,
    )
