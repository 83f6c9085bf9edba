"""``/v1/platform/tenants``: the platform operator opens, suspends and reinstates tenants.

The operator is a processor under the AVG: these routes are its only ones, every tenant route
answers its token 404, and each of its actions is an event in the platform log that the
tenant's auditor and swv-admin read at ``GET /v1/tenants/{swv_code}/platform-log``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation

from api import authorisation
from api.auth import Claims, Principal
from api.dependencies import (
    ClockDependency,
    CommandRunner,
    IdempotencyKey,
    Ids,
    Store,
    command_id_for,
)
from api.schemas.common import (
    COMMAND_ERRORS,
    READ_ERRORS,
    CommandAccepted,
    accepted,
    etag,
    event_views,
    example,
    problems,
)
from api.schemas.platform import OpenTenantBody, OperatorReasonBody, PlatformLogView, TenancyView
from application.access import Caller
from application.commands import CommandContext, OpenTenant, ReinstateTenant, SuspendTenant
from application.handlers import platform
from application.queries import aggregate_history
from domain.tenancy import PLATFORM_TENANT, Tenancy, tenancy_stream_id

TenantCode = FromPath[str]


async def provide_operator_commands(  # noqa: PLR0913 - the caller and the use case's ports
    *,
    request: Request[Claims, str, State],
    correlation_id: NamedDependency[UUID],
    ids: Ids,
    event_store: Store,
    clock: ClockDependency,
    idempotency_key: IdempotencyKey = None,
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
        "operator": Provide(provide_operator_commands)
    }

    @post(
        "/",
        summary="Open a tenant: register its log and record the opening in the platform log",
        description="Platform operators only. The tenant's swv-admin then configures it. "
        "409 if it is open already.",
        responses=problems(400, 401, 403, 409, 413, 422),
    )
    async def open(
        self,
        data: Annotated[OpenTenantBody, example({"code": "PO2604", "name": "Passenderwijs"})],
        operator: OperatorCommands,
    ) -> Response[CommandAccepted]:
        command = OpenTenant(code=data.code, name=data.name)
        outcome = await operator(platform.open_tenant, command)
        return accepted(outcome, location=f"/v1/platform/tenants/{data.code}")

    @get(
        "/{code:str}",
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
                events=event_views(history.events, personal=True),
            ),
            headers=etag(history.version),
        )

    @post(
        "/{code:str}/suspension",
        summary="Suspend a tenant: nothing in it changes until it is reinstated; reads go on",
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def suspend(
        self,
        code: TenantCode,
        data: Annotated[OperatorReasonBody, example({"reason": "Contract beëindigd."})],
        operator: OperatorCommands,
    ) -> Response[CommandAccepted]:
        command = SuspendTenant(code=code, reason=data.reason)
        return accepted(await operator(platform.suspend_tenant, command))

    @post(
        "/{code:str}/reinstatement",
        summary="Reinstate a suspended tenant",
        responses=COMMAND_ERRORS,
        status_code=200,
    )
    async def reinstate(
        self,
        code: TenantCode,
        data: Annotated[OperatorReasonBody, example({"reason": "Contract verlengd."})],
        operator: OperatorCommands,
    ) -> Response[CommandAccepted]:
        command = ReinstateTenant(code=code, reason=data.reason)
        return accepted(await operator(platform.reinstate_tenant, command))


@get(
    "/v1/tenants/{swv_code:str}/platform-log",
    summary="What the platform operator did to this tenant (opened, suspended, reinstated)",
    tags=["platform"],
    guards=[authorisation.reads_platform_log],
    responses=problems(400, 401, 403, 404),
)
async def platform_log(
    principal: NamedDependency[Principal], event_store: Store
) -> PlatformLogView:
    events = await platform.platform_log(event_store, principal.tenant_id)
    return PlatformLogView(tenant=principal.tenant_id, events=event_views(events, personal=True))
