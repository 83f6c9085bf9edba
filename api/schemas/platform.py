"""Bodies and views of the platform log: opening, suspending and reinstating a tenant."""

from __future__ import annotations

import msgspec

from api.schemas.common import EventView, RequestBody


class OpenTenantBody(RequestBody, frozen=True, kw_only=True):
    code: str
    name: str


class OperatorReasonBody(RequestBody, frozen=True, kw_only=True):
    reason: str


class TenancyView(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant as the operator sees it: code, name, suspended or not; no data of the tenant."""

    code: str
    name: str
    suspended: bool
    version: int
    events: list[EventView]


class PlatformLogView(msgspec.Struct, frozen=True, kw_only=True):
    """What the platform operator did to this tenant, oldest first."""

    tenant: str
    events: list[EventView]
