"""Partner systems over HTTP: subscriptions, their feeds (pull and Server-Sent Events), consent.

Who may do what:
- The tenant's administrator (``platform-admin`` until the tenant role ``swv-admin`` exists)
  creates subscriptions and manages all of them; the partner named in a subscription (a token
  subject with the ``partner`` role in the tenant) reads, pauses, resumes, replays and rotates
  its own; another partner's subscription is 404, as if it did not exist.
- Only that partner reads the feed: integration events concern pupils.
- The loket and the pupil's own school record and withdraw parental consent.
- The JSON Schemas and the AsyncAPI document under ``/schema`` are public: they hold no data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import (
    NotFoundException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ControllerRouterHandler

from api import authorisation
from api.auth import Principal, Role
from api.command_routes import CommandRoute, Done, command_router
from api.dependencies import Store
from api.partners import PartnerServices
from api.routes.read_models import PoolDependency, provide_pool
from api.schemas.common import READ_ERRORS, problems
from api.schemas.headers import (
    CHECKPOINT,
    NEXT_AFTER,
    NEXT_AFTER_HEADER,
    STREAM_NOT_BUFFERED,
    STREAM_NOT_CACHED,
)
from api.schemas.partners import AttemptRead, DeliveryStatus, SubscriptionRead, WebhookSecrets
from api.settings import Settings
from application import commands as c
from application.access import PARTNER_OF_THE_SUBSCRIPTION
from application.errors import AggregateNotFoundError
from application.handlers import pupils
from application.handlers import subscriptions as h
from application.handling import admits
from application.integration_events import DATA_TYPES, batch_schema, data_schema
from application.ports import EventStore
from application.queries import aggregate_history
from domain.ids import TenantId
from domain.subscription import IntegrationEventType, Subscription, Transport
from infrastructure.database import Connection, tenant_transaction
from infrastructure.webhooks import BATCH_CONTENT_TYPE, UnsafeTargetError
from partners.asyncapi import asyncapi_document
from partners.delivery import ensure_delivery, reenable_delivery, wake_deliveries
from partners.feeds import (
    MAX_LIMIT,
    Subscriber,
    encode_batch,
    list_subscribers,
    load_subscriber,
)
from partners.recipients import record_delivered

ADMINISTERS = (Role.SWV_ADMIN,)
"""Who manages every subscription of a tenant (the tenant's ``swv-admin`` once it exists)."""
administers_subscriptions = authorisation.requires(*ADMINISTERS)
uses_subscriptions = authorisation.requires(*ADMINISTERS, Role.PARTNER)
reads_feeds = authorisation.requires(Role.PARTNER)
records_consent = authorisation.requires(*authorisation.SWV_STAFF, Role.SCHOOL)

SubscriptionId = FromPath[UUID]
MAX_WAIT_S = 30
# Reads with query parameters refuse malformed ones with 422, naming the parameter.
QUERY_READ_ERRORS = {**READ_ERRORS, **problems(422)}
SSE_HEARTBEAT_S = 15.0
CHECKPOINT_EVENT = "checkpoint"

log = logging.getLogger("passend.partners")
"""The stream's message that carries a newer signed checkpoint (its note, line by line)."""

_ACK = """
UPDATE partner_deliveries SET position = $3, updated_at = now()
 WHERE tenant_id = $1 AND subscription_id = $2 AND position < $3
"""
_ATTEMPTS = """
SELECT webhook_id, first_position, last_position, attempted_at, status_code, latency_ms, error
  FROM partner_delivery_attempts WHERE tenant_id = $1 AND subscription_id = $2
 ORDER BY attempted_at DESC, attempt_id DESC LIMIT $3
"""


def _now() -> datetime:
    return datetime.now(UTC)


def _services(state: State) -> PartnerServices:
    services: PartnerServices | None = state.get("partner_services")
    if services is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return services


def _is_admin(principal: Principal) -> bool:
    return principal.has(*ADMINISTERS)


async def _subscription(
    store: EventStore, principal: Principal, subscription_id: UUID
) -> tuple[Subscription, int]:
    """The subscription, by the rule its commands apply: the admin's, or its own partner's."""
    try:
        history = await aggregate_history(store, principal.tenant_id, Subscription, subscription_id)
    except AggregateNotFoundError:
        raise NotFoundException(f"No subscription {subscription_id} here.") from None
    subscription = history.aggregate
    if not await admits(
        store, principal.tenant_id, principal.caller, PARTNER_OF_THE_SUBSCRIPTION, subscription
    ):
        raise NotFoundException(f"No subscription {subscription_id} here.")
    return subscription, history.version


async def _subscriber_for_feed(
    conn: Connection, principal: Principal, subscription_id: UUID
) -> Subscriber:
    subscriber = await load_subscriber(conn, principal.tenant_id, subscription_id)
    if (
        subscriber is None
        or subscriber.state.partner != principal.subject
        or subscriber.state.status == "DELETED"
    ):
        raise NotFoundException(f"No feed {subscription_id} here.")
    return subscriber


async def delivery_status(
    conn: Connection, services: PartnerServices, tenant_id: TenantId, subscriber: Subscriber
) -> DeliveryStatus:
    row = await ensure_delivery(conn, tenant_id, subscriber)
    head = int(
        await conn.fetchval(
            "SELECT last_position FROM passend_tenants() WHERE tenant_id = $1", tenant_id
        )
        or 0
    )
    position = row["position"]
    oldest = await services.renderer.read(conn, tenant_id, subscriber, after=position, limit=1)
    lag_seconds = 0.0
    if oldest.events:
        recorded = datetime.fromisoformat(oldest.events[0]["time"])
        lag_seconds = max((datetime.now(UTC) - recorded).total_seconds(), 0.0)
    return DeliveryStatus(
        position=position,
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        delivered_at=row["delivered_at"],
        lag_events=max(head - position, 0),
        lag_seconds=lag_seconds,
    )


def _read(
    subscription: Subscription, version: int, delivery: DeliveryStatus | None
) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        version=version,
        partner=subscription.partner,
        legal_basis=subscription.legal_basis,
        event_types=list(subscription.event_types),
        municipalities=list(subscription.municipalities),
        schools=list(subscription.schools),
        transport=subscription.transport,
        webhook_url=subscription.webhook_url,
        status=str(subscription.status),
        delivery=delivery,
    )


class SubscriptionController(Controller):
    path = "/"  # below the command router: reads and commands share the paths
    tags = ("partners",)
    dependencies = {"pool": Provide(provide_pool, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/",
        summary="The tenant's subscriptions (a partner sees its own)",
        guards=[uses_subscriptions],
        responses=QUERY_READ_ERRORS,
    )
    async def list_subscriptions(
        self, principal: NamedDependency[Principal], pool: PoolDependency
    ) -> list[UUID]:
        partner = None if _is_admin(principal) else principal.subject
        async with pool.acquire() as conn:
            found = await list_subscribers(conn, principal.tenant_id, partner=partner)
        return [s.id for s in found]

    @get(
        "/{subscription_id:uuid}",
        summary="A subscription and its status: position, failures, lag in events and seconds",
        guards=[uses_subscriptions],
        responses=QUERY_READ_ERRORS,
    )
    async def read(
        self,
        subscription_id: SubscriptionId,
        principal: NamedDependency[Principal],
        event_store: Store,
        pool: PoolDependency,
        state: State,
    ) -> SubscriptionRead:
        subscription, version = await _subscription(event_store, principal, subscription_id)
        delivery = None
        async with pool.acquire() as conn:
            subscriber = await load_subscriber(conn, principal.tenant_id, subscription_id)
            if subscriber is not None:
                delivery = await delivery_status(
                    conn, _services(state), principal.tenant_id, subscriber
                )
        return _read(subscription, version, delivery)

    @get(
        "/{subscription_id:uuid}/attempts",
        summary="The latest webhook delivery attempts: time, status, latency, error",
        guards=[uses_subscriptions],
        responses=QUERY_READ_ERRORS,
    )
    async def attempts(
        self,
        subscription_id: SubscriptionId,
        principal: NamedDependency[Principal],
        event_store: Store,
        pool: PoolDependency,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[AttemptRead]:
        await _subscription(event_store, principal, subscription_id)
        async with pool.acquire() as conn, tenant_transaction(conn, principal.tenant_id):
            rows = await conn.fetch(_ATTEMPTS, principal.tenant_id, subscription_id, limit)
        return [AttemptRead(**dict(row)) for row in rows]

    @get(
        "/{subscription_id:uuid}/webhook-secrets",
        summary="The webhook signing secrets to accept: current, and previous during the overlap",
        guards=[uses_subscriptions],
        responses=QUERY_READ_ERRORS,
    )
    async def secrets(
        self,
        subscription_id: SubscriptionId,
        principal: NamedDependency[Principal],
        event_store: Store,
        state: State,
    ) -> WebhookSecrets:
        subscription, _ = await _subscription(event_store, principal, subscription_id)
        return _secrets(_services(state), principal.tenant_id, subscription)


async def public_webhook_target(command: c.CreateSubscription, state: State) -> None:
    """A webhook URL must resolve to public addresses only (unless the settings allow)."""
    if command.webhook_url is None or command.transport is not Transport.WEBHOOK:
        return
    try:
        await _services(state).targets.pin(command.webhook_url)
    except UnsafeTargetError as error:
        raise ValidationException(
            f"The webhook URL is refused: {error}.",
            extra=[{"key": "webhook_url", "message": str(error), "source": "body"}],
        ) from None


_WAKE_TIMEOUT_S = 1.0


async def wake_delivery(done: Done) -> None:
    """The delivery worker looks at the subscription now, in this process or another.

    Best effort: the command is recorded already, so a failed wake must not answer 5xx (a
    retry without an Idempotency-Key would record it twice); the worker's poll still finds it.
    """
    services: PartnerServices | None = done.state.get("partner_services")
    if services is not None and services.worker is not None:
        services.worker.wake()
        return
    # serve --workers' HTTP worker, or passend deliveries run elsewhere
    try:
        async with asyncio.timeout(_WAKE_TIMEOUT_S):
            await wake_deliveries(provide_pool(done.state), done.principal.tenant_id)
    except Exception:
        log.warning(
            "The delivery workers could not be woken; they find it at their next poll.",
            exc_info=True,
        )


async def retry_disabled_delivery(done: Done) -> None:
    """A delivery a 410 disabled tries again from its position once the partner resumes."""
    async with provide_pool(done.state).acquire() as conn:
        await reenable_delivery(conn, done.principal.tenant_id, done.command.subscription_id)
    await wake_delivery(done)


async def current_secrets(done: Done) -> WebhookSecrets:
    tenant_id = done.principal.tenant_id
    history = await aggregate_history(
        done.commands.store, tenant_id, Subscription, done.command.subscription_id
    )
    return _secrets(_services(done.state), tenant_id, history.aggregate)


PATH = "/v1/tenants/{swv_code:str}/subscriptions"
COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.CreateSubscription,
        handler=h.create_subscription,
        guard=administers_subscriptions,
        operation_id="createSubscription",
        summary="Create a subscription of a partner to integration events",
        description=(
            "Types its legal basis does not permit are refused (422). A webhook URL must "
            "resolve to public addresses only."
        ),
        examples={
            "Leerplicht, pulled": {
                "partner": "rbl-utrecht-west",
                "legal_basis": "LEERPLICHTWET",
                "event_types": ["nl.passend.pupil.enrolled.v1", "nl.passend.pupil.left.v1"],
                "transport": "PULL",
                "municipalities": ["GM0632"],
            }
        },
        creates="subscriptions/{id}",
        checks=(public_webhook_target,),
        # no wake: the partner_events projection notifies the workers once it has the row
    ),
    CommandRoute(
        method="POST",
        path="/{subscription_id:uuid}/pause",
        command=c.ChangeSubscription,
        handler=h.pause_subscription,
        guard=uses_subscriptions,
        operation_id="pauseSubscription",
        summary="Pause deliveries; the position is kept",
    ),
    CommandRoute(
        method="POST",
        path="/{subscription_id:uuid}/resume",
        command=c.ChangeSubscription,
        handler=h.resume_subscription,
        guard=uses_subscriptions,
        operation_id="resumeSubscription",
        summary="Resume a paused subscription, or a delivery a 410 disabled, from its position",
        then=(retry_disabled_delivery,),
    ),
    CommandRoute(
        method="POST",
        path="/{subscription_id:uuid}/replays",
        command=c.ReplaySubscription,
        handler=h.replay_subscription,
        guard=uses_subscriptions,
        operation_id="replaySubscription",
        summary="Deliver again everything after a position (0: the whole log)",
        examples={"The whole log": {"after_position": 0}},
    ),
    CommandRoute(
        method="DELETE",
        path="/{subscription_id:uuid}",
        command=c.ChangeSubscription,
        handler=h.delete_subscription,
        guard=uses_subscriptions,
        operation_id="deleteSubscription",
        summary="Delete a subscription: nothing more is delivered",
    ),
    CommandRoute(
        method="POST",
        path="/{subscription_id:uuid}/secret-rotations",
        command=c.RotateWebhookSecret,
        handler=h.rotate_webhook_secret,
        guard=uses_subscriptions,
        operation_id="rotateWebhookSecret",
        summary="Rotate the webhook secret; both are signed with until the overlap ends",
        examples={"A day's overlap": {"overlap_seconds": 86400}},
        answer=current_secrets,
    ),
]
SubscriptionCommands = command_router(PATH, "partners", COMMANDS, SubscriptionController)


def _secrets(
    services: PartnerServices, tenant_id: TenantId, subscription: Subscription
) -> WebhookSecrets:
    keys = services.renderer.keys
    generation = subscription.secret_generation
    overlap = subscription.previous_secret_valid_until
    found = [keys.webhook_secret(tenant_id, subscription.id, generation)]
    if overlap is not None and overlap > datetime.now(UTC):
        found.append(keys.webhook_secret(tenant_id, subscription.id, generation - 1))
    return WebhookSecrets(secrets=found, generation=generation, previous_valid_until=overlap)


LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID", required=False, description="Resume after this position."
    ),
]


class FeedController(Controller):
    path = "/v1/tenants/{swv_code:str}/feeds"
    tags = ("partners",)
    dependencies = {"pool": Provide(provide_pool, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/{subscription_id:uuid}/events",
        summary="Integration events after a position, as a CloudEvents batch (long poll)",
        description=(
            "`after` is a tenant position (each event's `sequence`); `wait` holds the request "
            "up to that many seconds until an event arrives. `Passend-Next-After` names where "
            "to continue even when the page is empty."
        ),
        guards=[reads_feeds],
        responses=QUERY_READ_ERRORS,
        response_headers=[NEXT_AFTER, CHECKPOINT],
        media_type=BATCH_CONTENT_TYPE,
    )
    async def events(  # noqa: PLR0913, PLR0917 - the query's parameters
        self,
        subscription_id: SubscriptionId,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        state: State,
        after: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
        wait: Annotated[int, QueryParameter(ge=0, le=MAX_WAIT_S)] = 0,
    ) -> Response[bytes]:
        services = _services(state)
        tenant_id = principal.tenant_id
        async with pool.acquire() as conn:
            subscriber = await _subscriber_for_feed(conn, principal, subscription_id)
            page = await services.renderer.read(
                conn, tenant_id, subscriber, after=after, limit=limit, with_checkpoint=True
            )
            if subscriber.state.transport == Transport.PULL:
                # A pull's `after` acknowledges what came before it: the status shows it.
                await ensure_delivery(conn, tenant_id, subscriber)
                async with tenant_transaction(conn, tenant_id):
                    await conn.execute(_ACK, tenant_id, subscription_id, after)
        if not page.events and wait > 0:
            await services.signal.wait_beyond(tenant_id, page.projected, wait)
            async with pool.acquire() as conn:
                page = await services.renderer.read(
                    conn, tenant_id, subscriber, after=after, limit=limit, with_checkpoint=True
                )
        if page.events:
            async with pool.acquire() as conn:
                await record_delivered(
                    conn, tenant_id, subscriber, after=after, up_to=page.next_after, at=_now()
                )
        return Response(
            encode_batch(page.events),
            media_type=BATCH_CONTENT_TYPE,
            headers={NEXT_AFTER_HEADER: str(page.next_after), **page.checkpoint_headers()},
        )

    @get(
        "/{subscription_id:uuid}/stream",
        summary="Integration events as Server-Sent Events; `id:` is the position",
        description="Reconnect with `Last-Event-ID` (or `after`) to resume without a gap.",
        guards=[reads_feeds],
        responses=QUERY_READ_ERRORS,
        response_headers=[STREAM_NOT_CACHED, STREAM_NOT_BUFFERED],
    )
    async def stream(  # noqa: PLR0913, PLR0917 - the stream's parameters
        self,
        subscription_id: SubscriptionId,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        state: State,
        last_event_id: LastEventId = None,
        after: Annotated[int, QueryParameter(ge=0)] = 0,
        idle_timeout: Annotated[
            int | None,
            QueryParameter(
                ge=0, description="Close the stream after this many seconds without an event."
            ),
        ] = None,
    ) -> ServerSentEvent:
        services = _services(state)
        tenant_id = principal.tenant_id
        async with pool.acquire() as conn:
            subscriber = await _subscriber_for_feed(conn, principal, subscription_id)
        start = int(last_event_id) if last_event_id and last_event_id.isdigit() else after

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            cursor, checkpoint = start, None
            while True:
                async with pool.acquire() as conn:
                    page = await services.renderer.read(
                        conn,
                        tenant_id,
                        subscriber,
                        after=cursor,
                        limit=MAX_LIMIT,
                        with_checkpoint=True,
                    )
                    if page.events:
                        await record_delivered(
                            conn,
                            tenant_id,
                            subscriber,
                            after=cursor,
                            up_to=page.next_after,
                            at=_now(),
                        )
                if page.checkpoint is not None and page.checkpoint != checkpoint:
                    checkpoint = page.checkpoint
                    yield ServerSentEventMessage(data=checkpoint, event=CHECKPOINT_EVENT)
                for event in page.events:
                    yield ServerSentEventMessage(
                        data=encode_batch([event])[1:-1].decode(),
                        id=str(int(event["sequence"])),
                        event=event["type"],
                    )
                cursor = page.next_after
                if len(page.events) == MAX_LIMIT:
                    continue
                wait = (
                    SSE_HEARTBEAT_S if idle_timeout is None else min(idle_timeout, SSE_HEARTBEAT_S)
                )
                if not await services.signal.wait_beyond(tenant_id, page.projected, wait):
                    if idle_timeout is not None:
                        return
                    yield ServerSentEventMessage(comment="keep-alive")

        return ServerSentEvent(messages())


CONSENTS_PATH = "/v1/tenants/{swv_code:str}/pupils/{pupil_id:uuid}/consents"
CONSENT_COMMANDS = [
    CommandRoute(
        method="POST",
        path="/",
        command=c.RecordParentalConsent,
        handler=pupils.record_parental_consent,
        guard=records_consent,
        operation_id="recordParentalConsent",
        summary="Record the parents' consent to share the pupil's events with a partner",
        examples={"For the wijkteam": {"partner": "wijkteam-woerden"}},
    ),
    CommandRoute(
        method="DELETE",
        path="/{partner:str}",
        command=c.WithdrawParentalConsent,
        handler=pupils.withdraw_parental_consent,
        guard=records_consent,
        operation_id="withdrawParentalConsent",
        summary="Record that the parents withdrew their consent for a partner",
    ),
]
ConsentCommands = command_router(CONSENTS_PATH, "partners", CONSENT_COMMANDS)


@get(
    "/schema/integration-events/{name:str}",
    summary="The JSON Schema of an integration event type's data, or of a batch",
    include_in_schema=False,
    responses={404: READ_ERRORS[404]},
)
async def integration_event_schema(name: FromPath[str]) -> dict[str, Any]:
    """``<type>.json`` (e.g. ``nl.passend.tlv.granted.v1.json``) or ``batch.json``."""
    stem = name.removesuffix(".json")
    if stem == "batch":
        return batch_schema()
    try:
        event_type = IntegrationEventType(stem)
    except ValueError:
        known = ", ".join(sorted(DATA_TYPES))
        raise NotFoundException(f"No integration event type {stem!r}; known: {known}.") from None
    return data_schema(event_type)


@get(
    "/schema/asyncapi.json",
    summary="The AsyncAPI 3 document of the partner feeds and webhooks",
    include_in_schema=False,
)
async def asyncapi(request: Request[Any, Any, State]) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return asyncapi_document(public_url=settings.public_url)


PARTNER_ROUTES: list[ControllerRouterHandler] = [
    SubscriptionCommands,
    FeedController,
    ConsentCommands,
    integration_event_schema,
    asyncapi,
]
