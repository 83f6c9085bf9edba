"""Bodies of the service reads: the catalogue and one service request."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from api.schemas.common import EventView
from application.queries import LogMoment, Replayable
from domain.service import MunicipalShare, ServiceCatalogue, ServiceKind, ServiceRequest


class ServiceView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    kind: ServiceKind
    for_pupils: bool


class ServiceCatalogueRead(Replayable, frozen=True, kw_only=True):
    version: int
    services: list[ServiceView]

    @classmethod
    def of(
        cls,
        catalogue: ServiceCatalogue | None,
        version: int,
        replayed_to: LogMoment | None = None,
    ) -> ServiceCatalogueRead:
        offered = (
            [] if catalogue is None else sorted(catalogue.services.values(), key=lambda s: s.code)
        )
        return cls(
            version=version,
            services=[
                ServiceView(code=s.code, name=s.name, kind=s.kind, for_pupils=s.for_pupils)
                for s in offered
            ],
            replayed_to=replayed_to,
        )


class ServiceRequestState(msgspec.Struct, frozen=True, kw_only=True):
    service_code: str
    kind: ServiceKind
    school_code: str
    pupil_id: UUID | None
    requested_on: date
    granted_hours: int | None
    municipal_shares: list[MunicipalShare]
    decided_on: date | None
    refused: bool
    withdrawn_on: date | None
    delivered_hours: int

    @classmethod
    def of(cls, request: ServiceRequest) -> ServiceRequestState:
        return cls(
            service_code=request.service_code,
            kind=request.kind,
            school_code=request.school_code,
            pupil_id=request.pupil_id,
            requested_on=request.requested_on,
            granted_hours=request.granted_hours,
            municipal_shares=list(request.municipal_shares),
            decided_on=request.decided_on,
            refused=request.refused,
            withdrawn_on=request.withdrawn_on,
            delivered_hours=request.delivered_hours,
        )


class ServiceRequestEvent(EventView, frozen=True):
    """An event of a request for a service."""

    aggregate = ServiceRequest


class ServiceRequestRead(Replayable, frozen=True):
    id: UUID
    version: int
    state: ServiceRequestState
    events: list[ServiceRequestEvent]
