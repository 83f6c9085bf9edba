"""Tenancy aggregate: the platform operator's record of one tenant, in the platform log.

The operator (a processor under the AVG) opens and suspends tenants; it never writes into a
tenant's own log. Its actions are events of one ``Tenancy`` stream per tenant, in the log of
the platform tenant ``PLATFORM``, which no SWV code can be (those are PO/VO plus four digits).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, require_text
from domain.ids import TenantId
from domain.swv import check_swv_code

PLATFORM_TENANT = TenantId("PLATFORM")
TENANCY_NAMESPACE = UUID("7a2e4c19-5d3b-4f60-8b1e-2c9d0f3a6e21")


class TenancyStateError(DomainError):
    """The tenant is not in the state this operator action needs."""


def tenancy_stream_id(code: str) -> UUID:
    """The platform-log stream of one tenant, derived from its SWV code."""
    return uuid5(TENANCY_NAMESPACE, code)


class Tenancy(Aggregate):
    TOPIC = "Tenancy"

    class Event(Aggregate.Event):
        pass

    class Opened(Event, Aggregate.Created):
        TOPIC = "TenancyOpened.v1"
        code: str
        name: str
        opened_by: str
        opened_at: datetime

    Created = Opened

    class Suspended(Event):
        TOPIC = "TenancySuspended.v1"
        reason: str
        suspended_by: str
        suspended_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.suspended = True

    class Reinstated(Event):
        TOPIC = "TenancyReinstated.v1"
        reason: str
        reinstated_by: str
        reinstated_at: datetime

        def apply(self, aggregate: Tenancy) -> None:
            aggregate.suspended = False

    def __init__(self, *, code: str, name: str, opened_by: str, opened_at: datetime) -> None:
        self.code = code
        self.name = name
        self.opened_by = opened_by
        self.opened_at = opened_at
        self.suspended = False

    @classmethod
    def open(cls, *, code: str, name: str, by: str, at: datetime) -> Tenancy:
        check_swv_code(code)
        return cls._create(
            cls.Opened,
            id=tenancy_stream_id(code),
            code=code,
            name=require_text(name, "The SWV name"),
            opened_by=by,
            opened_at=at,
            timestamp=at,
        )

    def suspend(self, *, reason: str, by: str, at: datetime) -> None:
        if self.suspended:
            raise TenancyStateError(f"Tenant {self.code} is suspended already.")
        self.trigger_event(
            self.Suspended,
            reason=require_text(reason, "The reason for the suspension"),
            suspended_by=by,
            suspended_at=at,
            timestamp=at,
        )

    def reinstate(self, *, reason: str, by: str, at: datetime) -> None:
        if not self.suspended:
            raise TenancyStateError(f"Tenant {self.code} is not suspended.")
        self.trigger_event(
            self.Reinstated,
            reason=require_text(reason, "The reason for the reinstatement"),
            reinstated_by=by,
            reinstated_at=at,
            timestamp=at,
        )
