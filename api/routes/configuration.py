"""``/v1/tenants``: opening a tenant, and ``…/{swv_code}/configuration``: changing and reading it.

Platform admins open tenants and change their configuration; anybody with a role in the
tenant reads it (it holds no personal data).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency

from api import authorisation
from api.auth import Claims, Principal
from api.command_routes import CommandBody, CommandRoute, command_router
from api.dependencies import ClockDependency, IdempotencyKey, Ids, Store
from api.schemas.common import (
    READ_ERRORS,
    CommandAccepted,
    accepted,
    etag,
    event_views,
    example,
    problems,
)
from api.schemas.configuration import ConfigurationRead, ConfigurationState
from application import commands as c
from application.commands import CommandContext
from application.handlers import swv as h
from application.queries import aggregate_history
from domain.ids import TenantId
from domain.swv import Swv, swv_stream_id

PATH = "/v1/tenants/{swv_code:str}/configuration"

_TENANT_EXAMPLE = {
    "code": "PO2604",
    "name": "Passenderwijs",
    "committee_name": "Commissie van Toelaatbaarheid",
    "policy_version": "OP-2024.1",
    "policy_effective_from": "2024-08-01",
}


@post(
    "/v1/tenants",
    summary="Open a tenant: register its log and record its configuration",
    description="Platform admins only (token claim platform_admin). 409 if it exists.",
    tags=["configuration"],
    guards=[authorisation.platform_admin],
    responses=problems(400, 401, 403, 409, 413, 415, 422),
    operation_id="openTenant",
    dto=CommandBody.for_route("/v1/tenants", c.OpenTenant),
    return_dto=None,
)
async def open_tenant(  # noqa: PLR0913 - the body, the caller and the use case's ports
    *,
    data: Annotated[c.OpenTenant, example(_TENANT_EXAMPLE, "A tenant")],
    request: Request[Claims, str, State],
    correlation_id: NamedDependency[UUID],
    event_store: Store,
    clock: ClockDependency,
    ids: Ids,
    idempotency_key: IdempotencyKey = None,
) -> Response[CommandAccepted]:
    ctx = CommandContext(
        tenant_id=TenantId(data.code),
        actor=f"platform-admin:{request.user.sub}",
        command_id=idempotency_key or ids.new_id(),
        correlation_id=correlation_id,
    )
    outcome = await h.open_tenant(data, ctx, store=event_store, clock=clock)
    return accepted(outcome, location=f"/v1/tenants/{data.code}/configuration")


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/municipalities",
        command=c.AddMunicipality,
        handler=h.add_municipality,
        guard=authorisation.configures_tenant,
        operation_id="addMunicipality",
        summary="Add a municipality to the SWV's region",
        examples={"Woerden": {"code": "GM0632", "name": "Woerden"}},
    ),
    CommandRoute(
        method="POST",
        path="/schools",
        command=c.AddSchool,
        handler=h.add_school,
        guard=authorisation.configures_tenant,
        operation_id="addSchool",
        summary="Add a school (BRIN plus vestiging) in one of the municipalities",
        examples={
            "A regular primary school": {
                "brin": "12AB",
                "vestiging": "00",
                "name": "De Regenboog",
                "board": "Stichting Primair",
                "school_type": "REGULAR",
                "municipality_code": "GM0632",
            }
        },
    ),
    CommandRoute(
        method="POST",
        path="/arrangement-types",
        command=c.AddArrangementType,
        handler=h.add_arrangement_type,
        guard=authorisation.configures_tenant,
        operation_id="addArrangementType",
        summary="Add an arrangement type to the catalogue",
        examples={
            "Ambulante begeleiding": {
                "code": "ambulante-begeleiding",
                "name": "Ambulante begeleiding",
                "unit": "HOURS",
                "default_duration_months": 6,
            }
        },
    ),
    CommandRoute(
        method="DELETE",
        path="/arrangement-types/{code:str}",
        command=c.WithdrawArrangementType,
        handler=h.withdraw_arrangement_type,
        guard=authorisation.configures_tenant,
        operation_id="withdrawArrangementType",
        summary="Withdraw an arrangement type from the catalogue",
    ),
    CommandRoute(
        method="PUT",
        path="/committee",
        command=c.RenameCommittee,
        handler=h.rename_committee,
        guard=authorisation.configures_tenant,
        operation_id="renameCommittee",
        summary="Rename the committee",
        examples={"A new name": {"committee_name": "Toelaatbaarheidscommissie"}},
    ),
    CommandRoute(
        method="POST",
        path="/policies",
        command=c.AdoptPolicy,
        handler=h.adopt_policy,
        guard=authorisation.configures_tenant,
        operation_id="adoptPolicy",
        summary="Adopt a new policy version (later decisions quote it)",
        examples={
            "A new ondersteuningsplan": {
                "policy_version": "OP-2026.1",
                "effective_from": "2026-08-01",
                "lapse_unredeemed_tlvs": True,
                "tlv_redemption_months": 12,
                "lbt_affiliated": True,
            }
        },
    ),
]


class ConfigurationController(Controller):
    path = PATH
    tags = ("configuration",)

    @get(
        "/",
        summary="The tenant's configuration: state, version and events",
        guards=[authorisation.reads_configuration],
        responses=READ_ERRORS,
        operation_id="getConfiguration",
    )
    async def read(
        self, principal: NamedDependency[Principal], event_store: Store
    ) -> Response[ConfigurationRead]:
        tenant = principal.tenant_id
        history = await aggregate_history(event_store, tenant, Swv, swv_stream_id(tenant))
        return Response(
            ConfigurationRead(
                id=history.aggregate.id,
                version=history.version,
                state=ConfigurationState.of(history.aggregate),
                events=event_views(history.events, personal=True),
            ),
            headers=etag(history.version),
        )


ConfigurationCommands = command_router(PATH, "configuration", COMMANDS)

__all__ = ["ConfigurationCommands", "ConfigurationController", "open_tenant"]
