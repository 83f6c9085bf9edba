"""Services and municipal provisions: what an SWV offers schools besides arrangements and TLVs.

*Dienstverlening* (consultation, training, observation) supports a school's basic support;
*voorzieningen* are onderwijs-zorg provisions run with the municipalities, which may pay part.
A tenant's offer is its ``ServiceCatalogue``; a school asks for one with a ``ServiceRequest``,
for a pupil or for the school itself, and the loket grants hours (with any municipal share) or
refuses, and records what was delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import (
    DuplicateConfigurationError,
    InvalidValueError,
    PeriodError,
    StateConflictError,
    SwvConfigurationError,
    require_text,
)
from domain.ids import TenantId
from domain.personal import PERSONAL
from domain.swv import check_municipality_code

CATALOGUE_NAMESPACE = UUID("6d1f7c8e-3b52-4c1a-9a43-1f0e2b7d5a11")
_SERVICE_CODE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
MAX_HOURS = 2_000  # a school year's full-time work: anything above is a typing error
WHOLE = 100  # municipal shares are whole percentages


class ServiceKind(StrEnum):
    DIENSTVERLENING = "DIENSTVERLENING"  # consultation, training, observation for schools
    VOORZIENING = "VOORZIENING"  # an onderwijs-zorg provision run with the municipalities


class UnknownServiceError(SwvConfigurationError):
    """The service is not in the tenant's catalogue (or was withdrawn from it)."""


class ServiceRequestDecidedError(StateConflictError):
    """The service request was decided; it cannot be decided or withdrawn again."""


class ServiceNotGrantedError(StateConflictError):
    """Delivery is recorded for granted services only."""


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str
    kind: ServiceKind
    for_pupils: bool  # observation is about a pupil; a training is for the school


@dataclass(frozen=True, slots=True)
class MunicipalShare:
    """The part of the granted hours a municipality pays for, in whole percent."""

    municipality_code: str
    percent: int


def catalogue_stream_id(tenant_id: TenantId) -> UUID:
    """The stream of a tenant's service catalogue, derived from its SWV code."""
    return uuid5(CATALOGUE_NAMESPACE, tenant_id)


class ServiceCatalogue(Aggregate):
    TOPIC = "ServiceCatalogue"

    class Event(Aggregate.Event):
        pass

    class Opened(Event, Aggregate.Created):
        TOPIC = "ServiceCatalogueOpened.v1"
        swv_code: str
        opened_by: str
        opened_at: datetime

    Created = Opened

    class ServiceOffered(Event):
        TOPIC = "ServiceOffered.v1"
        service_code: str
        service_name: str
        kind: ServiceKind
        for_pupils: bool
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: ServiceCatalogue) -> None:
            aggregate.services[self.service_code] = Service(
                self.service_code, self.service_name, self.kind, self.for_pupils
            )

    class ServiceWithdrawn(Event):
        TOPIC = "ServiceWithdrawn.v1"
        service_code: str
        changed_by: str
        changed_at: datetime

        def apply(self, aggregate: ServiceCatalogue) -> None:
            del aggregate.services[self.service_code]

    def __init__(self, *, swv_code: str) -> None:
        self.swv_code = swv_code
        self.services: dict[str, Service] = {}

    @classmethod
    def open(cls, *, tenant_id: TenantId, by: str, at: datetime) -> ServiceCatalogue:
        return cls._create(
            cls.Opened,
            id=catalogue_stream_id(tenant_id),
            swv_code=tenant_id,
            opened_by=by,
            opened_at=at,
        )

    def offer(self, service: Service, *, by: str, at: datetime) -> None:
        if not _SERVICE_CODE.match(service.code):
            raise InvalidValueError(
                f"{service.code!r} is not a service code: use 2 to 40 lowercase letters, digits "
                "and hyphens, starting with a letter, e.g. 'observatie'.",
                fields=("code",),
            )
        if service.code in self.services:
            raise DuplicateConfigurationError(f"Service {service.code!r} is already offered.")
        self.trigger_event(
            self.ServiceOffered,
            service_code=service.code,
            service_name=require_text(service.name, "The service name", field="name"),
            kind=service.kind,
            for_pupils=service.for_pupils,
            changed_by=by,
            changed_at=at,
        )

    def withdraw(self, code: str, *, by: str, at: datetime) -> None:
        self.service(code)
        self.trigger_event(self.ServiceWithdrawn, service_code=code, changed_by=by, changed_at=at)

    def service(self, code: str) -> Service:
        try:
            return self.services[code]
        except KeyError:
            raise UnknownServiceError(
                f"Service {code!r} is not offered by {self.swv_code}: choose one of "
                f"{sorted(self.services)}.",
                fields=("service_code",),
            ) from None


def _check_shares(shares: tuple[MunicipalShare, ...]) -> None:
    codes = [s.municipality_code for s in shares]
    if len(set(codes)) != len(codes):
        raise InvalidValueError(
            "Name each municipality's share once.", fields=("municipal_shares",)
        )
    for share in shares:
        check_municipality_code(share.municipality_code, field="municipal_shares")
        if not 1 <= share.percent <= WHOLE:
            raise InvalidValueError(
                f"A share of {share.percent}% is not possible: give 1 to 100.",
                fields=("municipal_shares",),
            )
    if sum(s.percent for s in shares) > WHOLE:
        raise InvalidValueError(
            "The municipalities' shares add up to more than 100%.", fields=("municipal_shares",)
        )


class ServiceRequest(Aggregate):
    TOPIC = "ServiceRequest"

    class Event(Aggregate.Event):
        pass

    class Requested(Event, Aggregate.Created):
        TOPIC = "ServiceRequested.v1"
        service_code: str
        kind: ServiceKind
        school_code: str
        pupil_id: UUID | None
        question: Annotated[str, PERSONAL]
        requested_on: date
        requested_by: str
        requested_at: datetime

    Created = Requested

    class Granted(Event):
        TOPIC = "ServiceGranted.v1"
        pupil_id: UUID | None
        hours: int
        provider: str
        start_on: date
        end_on: date
        municipal_shares: tuple[MunicipalShare, ...]
        decided_on: date
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: ServiceRequest) -> None:
            aggregate.granted_hours = self.hours
            aggregate.decided_on = self.decided_on
            aggregate.municipal_shares = self.municipal_shares

    class Refused(Event):
        TOPIC = "ServiceRefused.v1"
        pupil_id: UUID | None
        reasons: Annotated[str, PERSONAL]
        decided_on: date
        policy_version: str
        decided_by: str
        decided_at: datetime

        def apply(self, aggregate: ServiceRequest) -> None:
            aggregate.decided_on = self.decided_on
            aggregate.refused = True

    class Withdrawn(Event):
        TOPIC = "ServiceRequestWithdrawn.v1"
        pupil_id: UUID | None
        withdrawn_on: date
        withdrawn_by: str
        withdrawn_at: datetime

        def apply(self, aggregate: ServiceRequest) -> None:
            aggregate.withdrawn_on = self.withdrawn_on

    class Delivered(Event):
        TOPIC = "ServiceDelivered.v1"
        pupil_id: UUID | None
        hours: int
        delivered_on: date
        recorded_by: str
        recorded_at: datetime

        def apply(self, aggregate: ServiceRequest) -> None:
            aggregate.delivered_hours += self.hours

    def __init__(  # noqa: PLR0913 - the fields of ServiceRequested
        self,
        *,
        service_code: str,
        kind: ServiceKind,
        school_code: str,
        pupil_id: UUID | None,
        question: str,
        requested_on: date,
        requested_by: str,
        requested_at: datetime,
    ) -> None:
        self.service_code = service_code
        self.kind = kind
        self.school_code = school_code
        self.pupil_id = pupil_id
        self.requested_on = requested_on
        self.granted_hours: int | None = None
        self.municipal_shares: tuple[MunicipalShare, ...] = ()
        self.decided_on: date | None = None
        self.refused = False
        self.withdrawn_on: date | None = None
        self.delivered_hours = 0

    @classmethod
    def request(  # noqa: PLR0913 - a request's facts
        cls,
        *,
        request_id: UUID,
        service: Service,
        school_code: str,
        pupil_id: UUID | None,
        question: str,
        requested_on: date,
        by: str,
        at: datetime,
    ) -> ServiceRequest:
        """A school asks for a service: for a pupil where the service is about one."""
        if service.for_pupils and pupil_id is None:
            raise InvalidValueError(
                f"{service.name} is about a pupil: name the pupil.", fields=("pupil_id",)
            )
        if not service.for_pupils and pupil_id is not None:
            raise InvalidValueError(
                f"{service.name} is for the school, not for one pupil.", fields=("pupil_id",)
            )
        return cls._create(
            cls.Requested,
            id=request_id,
            service_code=service.code,
            kind=service.kind,
            school_code=school_code,
            pupil_id=pupil_id,
            question=require_text(question, "The question", field="question"),
            requested_on=requested_on,
            requested_by=by,
            requested_at=at,
        )

    @property
    def is_open(self) -> bool:
        return self.decided_on is None and self.withdrawn_on is None

    def _require_open(self) -> None:
        if not self.is_open:
            raise ServiceRequestDecidedError("This service request was decided or withdrawn.")

    def grant(  # noqa: PLR0913 - a grant's facts
        self,
        *,
        hours: int,
        provider: str,
        start_on: date,
        end_on: date,
        municipal_shares: tuple[MunicipalShare, ...],
        decided_on: date,
        policy_version: str,
        by: str,
        at: datetime,
    ) -> None:
        self._require_open()
        if not 1 <= hours <= MAX_HOURS:
            raise InvalidValueError(
                f"{hours} hours is not possible: give 1 to {MAX_HOURS}.", fields=("hours",)
            )
        if end_on < start_on:
            raise PeriodError(
                f"A service from {start_on} cannot end on {end_on}.", fields=("end_on",)
            )
        if municipal_shares and self.kind is not ServiceKind.VOORZIENING:
            raise InvalidValueError(
                "Municipalities share in the cost of provisions only.", fields=("municipal_shares",)
            )
        _check_shares(municipal_shares)
        self.trigger_event(
            self.Granted,
            pupil_id=self.pupil_id,
            hours=hours,
            provider=require_text(provider, "The provider", field="provider"),
            start_on=start_on,
            end_on=end_on,
            municipal_shares=municipal_shares,
            decided_on=decided_on,
            policy_version=policy_version,
            decided_by=by,
            decided_at=at,
        )

    def refuse(
        self, *, reasons: str, decided_on: date, policy_version: str, by: str, at: datetime
    ) -> None:
        self._require_open()
        self.trigger_event(
            self.Refused,
            pupil_id=self.pupil_id,
            reasons=require_text(reasons, "The reasons", field="reasons"),
            decided_on=decided_on,
            policy_version=policy_version,
            decided_by=by,
            decided_at=at,
        )

    def withdraw(self, *, withdrawn_on: date, by: str, at: datetime) -> None:
        self._require_open()
        self.trigger_event(
            self.Withdrawn,
            pupil_id=self.pupil_id,
            withdrawn_on=withdrawn_on,
            withdrawn_by=by,
            withdrawn_at=at,
        )

    def record_delivery(self, *, hours: int, delivered_on: date, by: str, at: datetime) -> None:
        """Hours delivered; together never more than were granted."""
        if self.granted_hours is None:
            raise ServiceNotGrantedError("Only a granted service can be delivered.")
        if hours < 1 or self.delivered_hours + hours > self.granted_hours:
            raise InvalidValueError(
                f"{hours} more hours would exceed the {self.granted_hours} granted"
                f" ({self.delivered_hours} delivered so far).",
                fields=("hours",),
            )
        self.trigger_event(
            self.Delivered,
            pupil_id=self.pupil_id,
            hours=hours,
            delivered_on=delivered_on,
            recorded_by=by,
            recorded_at=at,
        )
