"""Read model ``service_requests``: the services and provisions schools asked for, per tenant.

The fold is pure: each request's state from its events (service, kind, school, status, hours
granted and delivered, the municipalities' shares). The overview counts requests and sums
hours per service and per school year; a municipality's share of the provisions' hours is what
it co-funds. No pupil data: a request about a pupil keeps no id of the pupil here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from uuid import UUID

import msgspec

from application.ports import RecordedEvent
from application.queries import Replayable
from domain.ids import TenantId
from domain.service import ServiceKind, ServiceRequest
from infrastructure.database import Connection, tenant_read
from projections.projection import EventFilter, TableNames, view_name

REQUESTS = "service_requests"

_DDL = (
    """
CREATE TABLE {requests} (
  tenant_id   text  NOT NULL,
  request_id  uuid  NOT NULL,
  school_year int   NOT NULL,
  state       jsonb NOT NULL,
  PRIMARY KEY (tenant_id, request_id)
)
""",
)


class ServiceStatus(StrEnum):
    REQUESTED = "REQUESTED"
    GRANTED = "GRANTED"
    REFUSED = "REFUSED"
    WITHDRAWN = "WITHDRAWN"


class ShareState(msgspec.Struct, frozen=True):
    municipality_code: str
    percent: int


class ServiceRequestState(msgspec.Struct, frozen=True, kw_only=True):
    request_id: UUID
    service_code: str
    kind: ServiceKind
    school_code: str
    for_pupil: bool
    requested_on: date
    status: ServiceStatus = ServiceStatus.REQUESTED
    granted_hours: int = 0
    delivered_hours: int = 0
    shares: tuple[ShareState, ...] = ()

    @property
    def school_year(self) -> int:
        """The year the school year of the request starts in (1 August to 31 July)."""
        return self.requested_on.year - (self.requested_on.month < 8)  # noqa: PLR2004


def evolve(
    state: ServiceRequestState | None, stream_id: UUID, event: object
) -> ServiceRequestState:
    """One request's state after ``event`` (pure)."""
    replace = msgspec.structs.replace
    if isinstance(event, ServiceRequest.Requested):
        return ServiceRequestState(
            request_id=stream_id,
            service_code=event.service_code,
            kind=event.kind,
            school_code=event.school_code,
            for_pupil=event.pupil_id is not None,
            requested_on=event.requested_on,
        )
    if state is None:
        raise LookupError(f"no service request {stream_id} in this tenant's log")
    match event:
        case ServiceRequest.Granted():
            shares = tuple(
                ShareState(s.municipality_code, s.percent) for s in event.municipal_shares
            )
            return replace(
                state, status=ServiceStatus.GRANTED, granted_hours=event.hours, shares=shares
            )
        case ServiceRequest.Refused():
            return replace(state, status=ServiceStatus.REFUSED)
        case ServiceRequest.Withdrawn():
            return replace(state, status=ServiceStatus.WITHDRAWN)
        case ServiceRequest.Delivered():
            return replace(state, delivered_hours=state.delivered_hours + event.hours)
    return state


def fold(
    states: dict[UUID, ServiceRequestState], events: Iterable[RecordedEvent]
) -> dict[UUID, ServiceRequestState]:
    """The states ``events`` changed, by request id."""
    changed: dict[UUID, ServiceRequestState] = {}
    for recorded in events:
        if _service_request_event(recorded.event):
            state = evolve(states.get(recorded.stream_id), recorded.stream_id, recorded.event)
            states[recorded.stream_id] = changed[recorded.stream_id] = state
    return changed


_service_request_event = EventFilter(ServiceRequest.Event)
_decoder = msgspec.json.Decoder(ServiceRequestState)
_encoder = msgspec.json.Encoder()


class ServiceRequestsProjection:
    name = "service_requests"
    version = 1
    tables = (REQUESTS,)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        return [ddl.format(requests=tables[REQUESTS]) for ddl in _DDL]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        touched = [r.stream_id for r in events if _service_request_event(r.event)]
        if not touched:
            return
        table = tables[REQUESTS]
        rows = await conn.fetch(
            f"SELECT state FROM {table} WHERE tenant_id = $1 AND request_id = ANY($2::uuid[])",  # noqa: S608
            tenant_id,
            list(set(touched)),
        )
        states = {s.request_id: s for s in (_decoder.decode(r["state"]) for r in rows)}
        changed = fold(states, events)
        # one statement a page, the rows as arrays
        await conn.execute(
            f"INSERT INTO {table} (tenant_id, request_id, school_year, state)"  # noqa: S608
            " SELECT $1, * FROM unnest($2::uuid[], $3::int[], $4::jsonb[])"
            " ON CONFLICT (tenant_id, request_id) DO UPDATE SET state = excluded.state",
            tenant_id,
            [s.request_id for s in changed.values()],
            [s.school_year for s in changed.values()],
            [_encoder.encode(s) for s in changed.values()],
        )


# Queries


class ServiceFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One service's requests in a school year; hours as granted and delivered."""

    service_code: str
    kind: ServiceKind
    requested: int
    granted: int
    refused: int
    withdrawn: int
    hours_granted: int
    hours_delivered: int


class MunicipalShareFigures(msgspec.Struct, frozen=True, kw_only=True):
    """What a municipality co-funds: its share of the granted provisions' hours."""

    municipality_code: str
    provisions: int
    hours: float


class ServicesOverview(Replayable, frozen=True, kw_only=True):
    school_year: int
    services: list[ServiceFigures]
    municipal_shares: list[MunicipalShareFigures]


def overview(school_year: int, states: Iterable[ServiceRequestState]) -> ServicesOverview:
    """Counts and hours per service, and each municipality's share (pure)."""
    by_service: dict[str, list[ServiceRequestState]] = {}
    shares: dict[str, tuple[int, float]] = {}
    for state in states:
        by_service.setdefault(state.service_code, []).append(state)
        if state.status is ServiceStatus.GRANTED:
            for share in state.shares:
                provisions, hours = shares.get(share.municipality_code, (0, 0.0))
                shares[share.municipality_code] = (
                    provisions + 1,
                    hours + state.granted_hours * share.percent / 100,
                )

    def tally(group: list[ServiceRequestState], status: ServiceStatus) -> int:
        return sum(s.status is status for s in group)

    return ServicesOverview(
        school_year=school_year,
        services=[
            ServiceFigures(
                service_code=code,
                kind=group[0].kind,
                requested=len(group),
                granted=tally(group, ServiceStatus.GRANTED),
                refused=tally(group, ServiceStatus.REFUSED),
                withdrawn=tally(group, ServiceStatus.WITHDRAWN),
                hours_granted=sum(s.granted_hours for s in group),
                hours_delivered=sum(s.delivered_hours for s in group),
            )
            for code, group in sorted(by_service.items())
        ],
        municipal_shares=[
            MunicipalShareFigures(municipality_code=code, provisions=n, hours=round(hours, 2))
            for code, (n, hours) in sorted(shares.items())
        ],
    )


async def fetch_services_overview(
    conn: Connection, tenant_id: TenantId, school_year: int, *, school_code: str | None = None
) -> ServicesOverview:
    """The tenant's overview of a school year, or one school's own requests in it."""
    async with tenant_read(conn, tenant_id):
        rows = await conn.fetch(
            f"SELECT state FROM {view_name(REQUESTS)} WHERE school_year = $1",  # noqa: S608
            school_year,
        )
    return overview_of(school_year, (_decoder.decode(r["state"]) for r in rows), school_code)


def overview_of(
    school_year: int, states: Iterable[ServiceRequestState], school_code: str | None = None
) -> ServicesOverview:
    """The overview of a school year from requests' states, or of one school's own (pure)."""
    return overview(
        school_year,
        [
            s
            for s in states
            if s.school_year == school_year and school_code in {None, s.school_code}
        ],
    )
