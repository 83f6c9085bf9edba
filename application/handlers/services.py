"""Handlers for the tenant's services and provisions: the catalogue, requests, grants, delivery.

The swv-admin keeps the catalogue (opened with its first service); a school asks for a service
for itself or one of its pupils; the loket grants hours, with any municipal share, or refuses,
and records what was delivered.
"""

from application.access import (
    CONFIGURES_TENANT,
    PROCESSES_CASES,
    SCHOOL_OF_THE_CASE,
    school_for_new_record,
)
from application.acts import Act
from application.aggregate_ids import SERVICE_REQUEST_IDS, new_aggregate_id
from application.commands import (
    CommandContext,
    CommandOutcome,
    GrantService,
    OfferService,
    RecordServiceDelivery,
    RefuseService,
    RequestService,
    WithdrawService,
    WithdrawServiceRequest,
)
from application.errors import UnconfiguredReferenceError
from application.handling import change, changes, check_access, create, load, load_swv, save
from application.ports import Clock, EventStore
from application.references import configured_school
from domain.errors import InvalidValueError, SwvConfigurationError
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.service import (
    MunicipalShare,
    Service,
    ServiceCatalogue,
    ServiceRequest,
    catalogue_stream_id,
)
from domain.swv import Swv


async def load_catalogue(store: EventStore, tenant_id: TenantId) -> ServiceCatalogue | None:
    """The tenant's catalogue, or None before its first service was offered."""
    loaded = await load(store, tenant_id, catalogue_stream_id(tenant_id))
    return loaded.require(ServiceCatalogue) if loaded.events else None


async def _change_catalogue(
    store: EventStore, ctx: CommandContext, act: Act, *, offer: Service | None, withdraw: str
) -> CommandOutcome:
    await load_swv(store, ctx.tenant_id)
    loaded = await load(store, ctx.tenant_id, catalogue_stream_id(ctx.tenant_id))
    done = loaded.outcome_of(ctx)
    if done is not None:
        return done
    CONFIGURES_TENANT.check_role(ctx.caller)
    loaded.check_expected_version(ctx)
    catalogue = (
        loaded.require(ServiceCatalogue)
        if loaded.events
        else ServiceCatalogue.open(tenant_id=ctx.tenant_id, **act.stamp)
    )
    if offer is not None:
        catalogue.offer(offer, **act.stamp)
    else:
        catalogue.withdraw(withdraw, **act.stamp)
    return await save(store, ctx, catalogue, expected_version=loaded.version)


async def offer_service(
    cmd: OfferService, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    service = Service(cmd.code, cmd.name, cmd.kind, cmd.for_pupils)
    return await _change_catalogue(store, ctx, Act.of(ctx, clock), offer=service, withdraw="")


async def withdraw_service(
    cmd: WithdrawService, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    return await _change_catalogue(store, ctx, Act.of(ctx, clock), offer=None, withdraw=cmd.code)


def _offered(catalogue: ServiceCatalogue | None, code: str) -> Service:
    try:
        if catalogue is None:
            raise SwvConfigurationError(  # noqa: TRY301
                "This SWV offers no services yet.", fields=("service_code",)
            )
        return catalogue.service(code)
    except SwvConfigurationError as error:
        raise UnconfiguredReferenceError("service_code", str(error)) from None


async def request_service(
    cmd: RequestService, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    """A school asks for a service, for itself or for one of its pupils."""
    act = Act.of(ctx, clock)
    request_id = new_aggregate_id(SERVICE_REQUEST_IDS, ctx)
    swv = await load_swv(store, ctx.tenant_id)
    service = _offered(await load_catalogue(store, ctx.tenant_id), cmd.service_code)
    school_code = school_for_new_record(ctx.caller, cmd.school_code)
    if school_code is None:
        raise InvalidValueError("Name the school that asks.", fields=("school_code",))
    school = configured_school(swv, school_code)
    pupil = (
        None
        if cmd.pupil_id is None
        else (await load(store, ctx.tenant_id, cmd.pupil_id)).require(Pupil)
    )

    def request() -> ServiceRequest:
        if pupil is not None:
            pupil.check_active()
        return ServiceRequest.request(
            request_id=request_id,
            service=service,
            school_code=school.code,
            pupil_id=None if pupil is None else pupil.id,
            question=cmd.question,
            requested_on=act.happened(cmd.requested_on, "requested_on"),
            **act.stamp,
        )

    async def allowed() -> None:
        if pupil is not None:
            await check_access(store, ctx, SCHOOL_OF_THE_CASE, pupil)

    return await create(store, ctx, request_id, request, allowed=allowed)


def _shares(swv: Swv, cmd: GrantService) -> tuple[MunicipalShare, ...]:
    for share in cmd.municipal_shares:
        if share.municipality_code not in swv.municipalities:
            raise UnconfiguredReferenceError(
                "municipal_shares",
                f"Municipality {share.municipality_code!r} is not part of {swv.code}.",
            )
    return tuple(MunicipalShare(s.municipality_code, s.percent) for s in cmd.municipal_shares)


async def grant_service(
    cmd: GrantService, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    decided_on = act.happened(cmd.decided_on, "decided_on")
    shares = _shares(swv, cmd)
    return await change(
        store,
        ctx,
        ServiceRequest,
        cmd.service_request_id,
        lambda request: request.grant(
            hours=cmd.hours,
            provider=cmd.provider,
            start_on=cmd.start_on,
            end_on=cmd.end_on,
            municipal_shares=shares,
            decided_on=decided_on,
            policy_version=swv.policy_on(decided_on).version,
            **act.stamp,
        ),
        rule=PROCESSES_CASES,
    )


async def refuse_service(
    cmd: RefuseService, ctx: CommandContext, *, store: EventStore, clock: Clock
) -> CommandOutcome:
    act = Act.of(ctx, clock)
    swv = await load_swv(store, ctx.tenant_id)
    decided_on = act.happened(cmd.decided_on, "decided_on")
    return await change(
        store,
        ctx,
        ServiceRequest,
        cmd.service_request_id,
        lambda request: request.refuse(
            reasons=cmd.reasons,
            decided_on=decided_on,
            policy_version=swv.policy_on(decided_on).version,
            **act.stamp,
        ),
        rule=PROCESSES_CASES,
    )


@changes(ServiceRequest, "service_request_id", rule=SCHOOL_OF_THE_CASE)
def withdraw_service_request(
    cmd: WithdrawServiceRequest, request: ServiceRequest, act: Act
) -> None:
    request.withdraw(withdrawn_on=act.happened(cmd.withdrawn_on, "withdrawn_on"), **act.stamp)


@changes(ServiceRequest, "service_request_id", rule=PROCESSES_CASES)
def record_service_delivery(cmd: RecordServiceDelivery, request: ServiceRequest, act: Act) -> None:
    request.record_delivery(
        hours=cmd.hours,
        delivered_on=act.happened(cmd.delivered_on, "delivered_on"),
        **act.stamp,
    )
