"""Views of the platform log: opening, suspending, reinstating a tenant, rotating its keys."""

from __future__ import annotations

from datetime import datetime

import msgspec

from api.schemas.common import EventView
from domain.tenancy import Tenancy


class TenancyEvent(EventView, frozen=True):
    """An operator's action on a tenant, in the platform log."""

    aggregate = Tenancy


class TenancyView(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant as the operator sees it: code, name, suspended or not; no data of the tenant."""

    code: str
    name: str
    suspended: bool
    version: int
    events: list[TenancyEvent]


class PlatformLogView(msgspec.Struct, frozen=True, kw_only=True):
    """What the platform operator did to this tenant, oldest first."""

    tenant: str
    events: list[TenancyEvent]


class KeyRotationView(msgspec.Struct, frozen=True, kw_only=True):
    """One rotation of the tenant's KEK; ``completed_at`` and ``completed_by`` null while it runs.

    ``completed_by`` is ``system:key-rotation-resumer`` when an API finished it as it started.
    """

    number: int
    kek_id: str
    reason: str
    started_by: str
    started_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    rewrapped: int
    already_current: int
    shredded_meanwhile: int
    unreadable: int


class KeyRotationsView(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant's key rotations, oldest first, and how many data keys each KEK wraps now.

    Counts of keys only (``bare``: not yet wrapped, ``shredded``: erased): nothing of what the
    keys protect.
    """

    tenant: str
    rotations: list[KeyRotationView]
    data_keys: dict[str, int]
