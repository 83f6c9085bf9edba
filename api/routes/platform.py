"""``/v1/platform/tenants``: the operator opens, suspends and reinstates tenants, rotates keys.

The operator is a processor under the AVG: these routes are its only ones, every tenant route
answers its token 404, and each of its actions is an event in the platform log that the
tenant's auditor and swv-admin read at ``GET /v1/tenants/{swv_code}/platform-log``.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import partial
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ServiceUnavailableException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, SkipValidation

from api import authorisation
from api.auth import Claims, Principal
from api.command_routes import CommandBody
from api.dependencies import (
    ClockDependency,
    CommandRunner,
    IdempotencyKey,
    Ids,
    Store,
    command_id_for,
)
from api.key_rotations import rewrap_in_background
from api.schemas.common import (
    COMMAND_ERRORS,
    READ_ERRORS,
    CommandAccepted,
    accepted,
    etag,
    example,
    problems,
)
from api.schemas.headers import ETAG
from api.schemas.platform import (
    KeyRotationsView,
    KeyRotationView,
    PlatformLogView,
    TenancyEvent,
    TenancyView,
)
from application.access import Caller
from application.commands import (
    CommandContext,
    OpenTenant,
    ReinstateTenant,
    RotateTenantKeys,
    SuspendTenant,
)
from application.handlers import platform
from application.ports import EventStore
from application.queries import aggregate_history
from domain.ids import TenantId
from domain.tenancy import PLATFORM_TENANT, Tenancy, tenancy_stream_id
from infrastructure.data_keys import PooledDataKeys
from infrastructure.event_store import PostgresEventStore

TenantCode = FromPath[str]
log = logging.getLogger("passend.platform")


def provide_tenant_keys(state: State) -> PooledDataKeys:
    store, pool = state.get("event_store"), state.get("pool")
    if not isinstance(store, PostgresEventStore) or pool is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return PooledDataKeys(store.data_keys, pool)


TenantKeysDependency = NamedDependency[SkipValidation[PooledDataKeys]]


async def key_rotations_view(
    code: str, store: EventStore, keys: PooledDataKeys
) -> KeyRotationsView:
    history = await aggregate_history(store, PLATFORM_TENANT, Tenancy, tenancy_stream_id(code))
    return KeyRotationsView(
        tenant=history.aggregate.code,
        rotations=[
            KeyRotationView(**dataclasses.asdict(r)) for r in history.aggregate.key_rotations
        ],
        data_keys=await keys.census(TenantId(history.aggregate.code)),
    )


async def provide_operator_commands(  # noqa: PLR0913 - the caller and the use case's ports
    *,
    request: Request[Claims, str, State],
    correlation_id: NamedDependency[UUID],
    ids: Ids,
    event_store: Store,
    clock: ClockDependency,
    idempotency_key: IdempotencyKey = "",
) -> CommandRunner:
    """Runs an operator's commands against the platform log (no tenant suspension applies)."""
    caller = Caller.operator(request.user.sub)
    ctx = CommandContext(
        tenant_id=PLATFORM_TENANT,
        caller=caller,
        command_id=await command_id_for(
            request, PLATFORM_TENANT, caller.actor, idempotency_key, ids
        ),
        correlation_id=correlation_id,
    )
    return CommandRunner(ctx, event_store, clock, in_tenant=False)


OperatorCommands = NamedDependency[SkipValidation[CommandRunner]]


class PlatformController(Controller):
    path = "/v1/platform/tenants"
    tags = ("platform",)
    guards = [authorisation.platform_operator]  # noqa: RUF012 - Litestar's controller attribute
    dependencies = {  # noqa: RUF012 - Litestar's controller attribute
        "operator": Provide(provide_operator_commands),
        "tenant_keys": Provide(provide_tenant_keys, sync_to_thread=False),
    }

    @post(
        "/",
        summary="Open a tenant: register its log and record the opening in the platform log",
        description="Platform operators only. The tenant's swv-admin then configures it. "
        "409 if it is open already.",
        responses=problems(400, 401, 403, 409, 413, 415, 422),
        operation_id="openTenant",
        dto=CommandBody.for_route("/v1/platform/tenants", OpenTenant),
        return_dto=None,
    )
    async def open(
        self,
        data: Annotated[OpenTenant, example({"code": "PO2605", "name": "SWV De Waarden"})],
        operator: OperatorCommands,
    ) -> Response[CommandAccepted]:
        outcome = await operator(platform.open_tenant, data)
        return accepted(outcome, location=f"/v1/platform/tenants/{data.code}")

    @get(
        "/{code:str}",
        response_headers=[ETAG],
        summary="A tenant in the platform log: open or suspended, and the operator's actions",
        responses=READ_ERRORS,
    )
    async def read(self, code: TenantCode, event_store: Store) -> Response[TenancyView]:
        history = await aggregate_history(
            event_store, PLATFORM_TENANT, Tenancy, tenancy_stream_id(code)
        )
        return Response(
            TenancyView(
                code=history.aggregate.code,
                name=history.aggregate.name,
                suspended=history.aggregate.suspended,
                version=history.version,
                events=TenancyEvent.views(history.events, personal=True),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{code:str}/suspension",
        summary="Suspend a tenant: nothing in it changes until it is reinstated; reads go on",
        responses=COMMAND_ERRORS,
        status_code=200,
        operation_id="suspendTenant",
        dto=CommandBody.for_route("/v1/platform/tenants/{code:str}/suspension", SuspendTenant),
        return_dto=None,
    )
    async def suspend(
        self,
        data: Annotated[SuspendTenant, example({"reason": "Contract beëindigd."})],
        operator: OperatorCommands,
    ) -> Response[CommandAccepted]:
        return accepted(await operator(platform.suspend_tenant, data))

    @post(
        "/{code:str}/reinstatement",
        summary="Reinstate a suspended tenant",
        responses=COMMAND_ERRORS,
        status_code=200,
        operation_id="reinstateTenant",
        dto=CommandBody.for_route("/v1/platform/tenants/{code:str}/reinstatement", ReinstateTenant),
        return_dto=None,
    )
    async def reinstate(
        self,
        data: Annotated[ReinstateTenant, example({"reason": "Contract verlengd."})],
        operator: OperatorCommands,
    ) -> Response[CommandAccepted]:
        return accepted(await operator(platform.reinstate_tenant, data))

    @post(
        "/{code:str}/key-rotations",
        summary="Rotate a tenant's key-encryption key: a new KEK, every data key re-wrapped",
        description="Platform operators only. Makes a new KEK current (new personal data is "
        "wrapped under it at once), records the rotation in the platform log and answers 202; "
        "the data keys are then re-wrapped online, page by page, and the completion is recorded "
        "with its counts. Follow it at the Location. Should the API stop meanwhile, it resumes "
        "re-wrapping as it starts again and records the completion as "
        "system:key-rotation-resumer. Sent again while a rotation has not completed, it "
        "continues that rotation without a new KEK. Once completed, the old KEK is no longer "
        "needed. Counts of keys only: no pupil data.",
        responses={
            **COMMAND_ERRORS,
            202: ResponseSpec(
                data_container=KeyRotationsView, description="Started, or resumed; re-wrapping."
            ),
        },
        status_code=202,
        operation_id="rotateTenantKeys",
        dto=CommandBody.for_route(
            "/v1/platform/tenants/{code:str}/key-rotations", RotateTenantKeys
        ),
        return_dto=None,
    )
    async def rotate_keys(
        self,
        request: Request[Claims, str, State],
        data: Annotated[RotateTenantKeys, example({"reason": "Jaarlijkse sleutelrotatie."})],
        operator: OperatorCommands,
        tenant_keys: TenantKeysDependency,
        event_store: Store,
    ) -> Response[KeyRotationsView]:
        await operator(partial(platform.start_key_rotation, keys=tenant_keys), data)
        rewrap_in_background(
            request.app.state,
            data.code,
            operator.ctx.caller,
            store=operator.store,
            clock=operator.clock,
            keys=tenant_keys,
            correlation_id=operator.ctx.correlation_id,
        )
        return Response(
            await key_rotations_view(data.code, event_store, tenant_keys),
            status_code=202,
            headers={"Location": f"/v1/platform/tenants/{data.code}/key-rotations"},
        )

    @get(
        "/{code:str}/key-rotations",
        summary="A tenant's key rotations, and how many data keys each KEK wraps now",
        responses=READ_ERRORS,
    )
    async def key_rotations(
        self, code: TenantCode, event_store: Store, tenant_keys: TenantKeysDependency
    ) -> KeyRotationsView:
        return await key_rotations_view(code, event_store, tenant_keys)


@get(
    "/v1/tenants/{swv_code:str}/platform-log",
    summary="What the platform operator did to this tenant (opened, suspended, rotated keys)",
    tags=["platform"],
    guards=[authorisation.reads_platform_log],
    responses=problems(400, 401, 403, 404),
)
async def platform_log(
    principal: NamedDependency[Principal], event_store: Store
) -> PlatformLogView:
    events = await platform.platform_log(event_store, principal.tenant_id)
    return PlatformLogView(
        tenant=principal.tenant_id, events=TenancyEvent.views(events, personal=True)
    )
