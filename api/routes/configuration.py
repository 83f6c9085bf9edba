"""``/v1/tenants/{swv_code}/configuration``: recording, changing and reading it.

The platform operator opens tenants (api/routes/platform.py); the tenant's swv-admin records
and changes its configuration; anybody with a role in the tenant reads it (no personal data).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import authorisation
from api.auth import Principal
from api.dependencies import Commands, Store
from api.schemas.common import (
    COMMAND_ERRORS,
    READ_ERRORS,
    CommandAccepted,
    accepted,
    etag,
    event_views,
    example,
)
from api.schemas.configuration import (
    ArrangementTypeBody,
    CommitteeBody,
    ConfigurationBody,
    ConfigurationRead,
    ConfigurationState,
    MunicipalityBody,
    PolicyBody,
    SchoolBody,
)
from application.commands import (
    AddArrangementType,
    AddMunicipality,
    AddSchool,
    AdoptPolicy,
    ConfigureSwv,
    RenameCommittee,
    WithdrawArrangementType,
)
from application.handlers import swv
from application.queries import aggregate_history
from domain.swv import Swv, swv_stream_id

_CONFIGURATION_EXAMPLE = {
    "name": "Passenderwijs",
    "committee_name": "Commissie van Toelaatbaarheid",
    "policy_version": "OP-2024.1",
    "policy_effective_from": "2024-08-01",
}


class ConfigurationController(Controller):
    path = "/v1/tenants/{swv_code:str}/configuration"
    tags = ("configuration",)

    @get(
        "/",
        summary="The tenant's configuration: state, version and events",
        guards=[authorisation.reads_configuration],
        responses=READ_ERRORS,
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

    @post(
        "/",
        summary="Record the configuration of a tenant the platform operator opened",
        description="The tenant's swv-admin, once; 409 if it is configured already.",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
    )
    async def configure(
        self,
        data: Annotated[ConfigurationBody, example(_CONFIGURATION_EXAMPLE)],
        principal: NamedDependency[Principal],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = ConfigureSwv(
            name=data.name,
            committee_name=data.committee_name,
            policy_version=data.policy_version,
            policy_effective_from=data.policy_effective_from,
            lapse_unredeemed_tlvs=data.lapse_unredeemed_tlvs,
            tlv_redemption_months=data.tlv_redemption_months,
            lbt_affiliated=data.lbt_affiliated,
            pause_count=data.pause_count,
        )
        outcome = await commands(swv.configure_swv, command)
        return accepted(outcome, location=f"/v1/tenants/{principal.tenant_id}/configuration")

    @post(
        "/municipalities",
        summary="Add a municipality to the SWV's region",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def add_municipality(
        self,
        data: Annotated[MunicipalityBody, example({"code": "GM0632", "name": "Woerden"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AddMunicipality(code=data.code, name=data.name)
        return accepted(await commands(swv.add_municipality, command))

    @post(
        "/schools",
        summary="Add a school (BRIN plus vestiging) in one of the municipalities",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def add_school(
        self,
        data: Annotated[
            SchoolBody,
            example(
                {
                    "brin": "12AB",
                    "vestiging": "00",
                    "name": "De Regenboog",
                    "board": "Stichting Primair",
                    "school_type": "REGULAR",
                    "municipality_code": "GM0632",
                }
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AddSchool(
            brin=data.brin,
            vestiging=data.vestiging,
            name=data.name,
            board=data.board,
            school_type=data.school_type,
            municipality_code=data.municipality_code,
        )
        return accepted(await commands(swv.add_school, command))

    @post(
        "/arrangement-types",
        summary="Add an arrangement type to the catalogue",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def add_arrangement_type(
        self,
        data: Annotated[
            ArrangementTypeBody,
            example(
                {
                    "code": "ambulante-begeleiding",
                    "name": "Ambulante begeleiding",
                    "unit": "HOURS",
                    "default_duration_months": 6,
                }
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AddArrangementType(
            code=data.code,
            name=data.name,
            unit=data.unit,
            default_duration_months=data.default_duration_months,
        )
        return accepted(await commands(swv.add_arrangement_type, command))

    @delete(
        "/arrangement-types/{code:str}",
        summary="Withdraw an arrangement type from the catalogue",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def withdraw_arrangement_type(
        self, code: FromPath[str], commands: Commands
    ) -> Response[CommandAccepted]:
        command = WithdrawArrangementType(code=code)
        return accepted(await commands(swv.withdraw_arrangement_type, command))

    @put(
        "/committee",
        summary="Rename the committee",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
    )
    async def rename_committee(
        self,
        data: Annotated[CommitteeBody, example({"committee_name": "Toelaatbaarheidscommissie"})],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = RenameCommittee(committee_name=data.committee_name)
        return accepted(await commands(swv.rename_committee, command))

    @post(
        "/policies",
        summary="Adopt a new policy version (later decisions quote it)",
        guards=[authorisation.configures_tenant],
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def adopt_policy(
        self,
        data: Annotated[
            PolicyBody,
            example(
                {
                    "policy_version": "OP-2026.1",
                    "effective_from": "2026-08-01",
                    "lapse_unredeemed_tlvs": True,
                    "tlv_redemption_months": 12,
                    "lbt_affiliated": True,
                }
            ),
        ],
        commands: Commands,
    ) -> Response[CommandAccepted]:
        command = AdoptPolicy(
            policy_version=data.policy_version,
            effective_from=data.effective_from,
            lapse_unredeemed_tlvs=data.lapse_unredeemed_tlvs,
            tlv_redemption_months=data.tlv_redemption_months,
            lbt_affiliated=data.lbt_affiliated,
            pause_count=data.pause_count,
        )
        return accepted(await commands(swv.adopt_policy, command))


__all__ = ["ConfigurationController"]
