"""``GET /v1/tenants/{swv_code}/me``: what the caller's token allows in a tenant."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.di import NamedDependency

from api.auth import Principal
from api.schemas.common import problems


class Me(msgspec.Struct, frozen=True):
    subject: str
    tenant: str
    roles: list[str]
    school: str | None
    municipality: str | None


@get(
    "/v1/tenants/{swv_code:str}/me",
    summary="The caller's roles in this tenant",
    tags=["session"],
    responses=problems(400, 401, 404),
)
async def me(principal: NamedDependency[Principal]) -> Me:
    return Me(
        subject=principal.subject,
        tenant=principal.tenant_id,
        roles=sorted(principal.roles),
        school=principal.school,
        municipality=principal.municipality,
    )
