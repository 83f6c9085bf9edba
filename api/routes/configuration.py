"""``/v1/tenants/{swv_code}/configuration``: recording, changing and reading it.

The platform operator opens tenants (api/routes/platform.py); the tenant's swv-admin records
and changes its configuration; anybody with a role in the tenant reads it (no personal data).
"""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from api import authorisation
from api.auth import Principal
from api.command_routes import CommandRoute, command_router
from api.dependencies import Store
from api.routes.as_of import AS_OF_READ_ERRORS, REPLAY, ReplayDependency
from api.schemas.common import (
    aggregate_read,
)
from api.schemas.configuration import ConfigurationRead, ConfigurationState
from api.schemas.headers import ETAG
from application import commands as c
from application.handlers import swv as h
from application.queries import aggregate_history
from domain.swv import Swv, swv_stream_id

PATH = "/v1/tenants/{swv_code:str}/configuration"

_CONFIGURATION_EXAMPLE = {
    "name": "Passenderwijs",
    "committee_name": "Commissie van Toelaatbaarheid",
    "policy_version": "OP-2024.1",
    "policy_effective_from": "2024-08-01",
}


COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.ConfigureSwv,
        handler=h.configure_swv,
        guard=authorisation.configures_tenant,
        operation_id="configureTenant",
        summary="Record the configuration of a tenant the platform operator opened",
        description="The tenant's swv-admin, once; 409 if it is configured already.",
        examples={"Passenderwijs": _CONFIGURATION_EXAMPLE},
        creates="configuration",
    ),
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
                "brin": "17XF",
                "vestiging": "00",
                "name": "Basisschool De Singelwijzer",
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
    path = "/"  # below the command router: reads and commands share the path
    tags = ("configuration",)

    @get(
        "/",
        response_headers=[ETAG],
        summary="The tenant's configuration: state, version and events",
        guards=[authorisation.or_as_of(authorisation.reads_configuration)],
        responses=AS_OF_READ_ERRORS,
        dependencies=REPLAY,
        operation_id="getConfiguration",
    )
    async def read(
        self, principal: NamedDependency[Principal], event_store: Store, replay: ReplayDependency
    ) -> Response[ConfigurationRead]:
        tenant = principal.tenant_id
        history = await aggregate_history(
            event_store, tenant, Swv, swv_stream_id(tenant), to_position=replay.position
        )
        return aggregate_read(
            ConfigurationRead,
            history,
            ConfigurationState.of(history.aggregate),
            personal=True,
            replayed_to=replay.moment,
        )


ConfigurationCommands = command_router(PATH, "configuration", COMMANDS, ConfigurationController)

__all__ = ["ConfigurationCommands", "ConfigurationController"]
