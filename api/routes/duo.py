"""``/v1/tenants/{swv_code}/duo/tlv-registrations``: the TLVs issued in a period, for DUO.

The format is Passend's own (docs/duo-export.md, with its JSON Schema), unconfirmed until DUO's
specification is obtained. No pupil data; the SWV's staff and auditors read it, auditors also
as of a moment (replaying the tenant's whole log up to there, as every read of it does).
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Annotated

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api import authorisation
from api.auth import Principal, Role
from api.dependencies import Store
from api.routes.as_of import AS_OF_READ_ERRORS, REPLAY, ReplayDependency
from application.duo import TlvRegistrationExport, TlvRegistrations
from domain.errors import PeriodError
from projections.as_of import replayed

reads_duo_export = authorisation.requires(*authorisation.SWV_STAFF, Role.AUDITOR)


@get(
    "/v1/tenants/{swv_code:str}/duo/tlv-registrations",
    summary="The TLVs issued in a period, as registrations for DUO (Passend's own format)",
    description=(
        "Format `passend-duo-tlv-registraties/1`, documented with its JSON Schema in "
        "docs/duo-export.md; unconfirmed until DUO's own specification is obtained. Every"
        " read replays the tenant's whole log, as of a moment up to there."
    ),
    guards=[authorisation.or_as_of(reads_duo_export)],
    responses=AS_OF_READ_ERRORS,
    dependencies=REPLAY,
    operation_id="exportTlvRegistrations",
    tags=["duo"],
)
async def tlv_registrations(
    principal: NamedDependency[Principal],
    event_store: Store,
    replay: ReplayDependency,
    period_from: Annotated[date, QueryParameter(description="The first day of the period.")],
    period_until: Annotated[date, QueryParameter(description="The last day of the period.")],
) -> TlvRegistrationExport:
    if period_until < period_from:
        raise PeriodError(
            f"A period from {period_from} cannot end on {period_until}.", fields=("period_until",)
        )
    tenant = principal.tenant_id
    registrations = TlvRegistrations(tenant)
    if replay.position is None:
        pages = event_store.read_log_pages(tenant)
        async with contextlib.aclosing(pages):
            async for page in pages:
                registrations.fold(page)
    else:
        await replayed(event_store, tenant, replay.position, registrations.fold)
    export = registrations.export(period_from, period_until)
    return msgspec.structs.replace(export, replayed_to=replay.moment)
