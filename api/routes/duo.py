"""``/v1/tenants/{swv_code}/duo/tlv-registrations``: the TLVs issued in a period, for DUO.

The format is Passend's own (docs/duo-export.md, with its JSON Schema), unconfirmed until DUO's
specification is obtained. No pupil data; the SWV's staff and auditors read it.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api import authorisation
from api.auth import Principal, Role
from api.dependencies import Store
from api.schemas.common import READ_ERRORS, problems
from application.duo import TlvRegistrationExport, TlvRegistrations
from domain.errors import PeriodError

reads_duo_export = authorisation.requires(*authorisation.SWV_STAFF, Role.AUDITOR)


@get(
    "/v1/tenants/{swv_code:str}/duo/tlv-registrations",
    summary="The TLVs issued in a period, as registrations for DUO (Passend's own format)",
    description=(
        "Format `passend-duo-tlv-registraties/1`, documented with its JSON Schema in "
        "docs/duo-export.md; unconfirmed until DUO's own specification is obtained."
    ),
    guards=[reads_duo_export],
    responses={**READ_ERRORS, **problems(422)},
    operation_id="exportTlvRegistrations",
    tags=["duo"],
)
async def tlv_registrations(
    principal: NamedDependency[Principal],
    event_store: Store,
    period_from: Annotated[date, QueryParameter(description="The first day of the period.")],
    period_until: Annotated[date, QueryParameter(description="The last day of the period.")],
) -> TlvRegistrationExport:
    if period_until < period_from:
        raise PeriodError(
            f"A period from {period_from} cannot end on {period_until}.", fields=("period_until",)
        )
    tenant = principal.tenant_id
    registrations = TlvRegistrations(tenant)
    pages = event_store.read_log_pages(tenant)
    async with contextlib.aclosing(pages):
        async for page in pages:
            registrations.fold(page)
    return registrations.export(period_from, period_until)
