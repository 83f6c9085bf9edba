"""Providers for route handlers: the caller, the store, the clock, ids, the correlation id."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import ScopeType
from litestar.exceptions import ServiceUnavailableException, ValidationException
from litestar.params import FromPath, HeaderParameter, SkipValidation
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace

from api.auth import Claims, Principal, principal_for
from api.logs import bind_request, unbind_request
from api.tracing import name_request_span
from application.commands import CommandContext
from application.handlers.platform import ensure_tenant_active
from application.ports import Clock, EventStore, IdempotencyKeys, IdFactory
from domain.ids import TenantId
from infrastructure import metrics
from infrastructure.database import Pool
from infrastructure.idempotency_keys import request_fingerprint
from infrastructure.system import RandomIds, SystemClock

R = TypeVar("R")

# Ports are Protocols, which the signature model cannot check: injected as they are.
Store = NamedDependency[SkipValidation[EventStore]]
ClockDependency = NamedDependency[SkipValidation[Clock]]
Ids = NamedDependency[SkipValidation[IdFactory]]

CORRELATION_HEADER = "X-Correlation-ID"
log = logging.getLogger("passend.api")
_tracer = trace.get_tracer("passend.api")


def provide_principal(request: Request[Claims, str, State], swv_code: FromPath[str]) -> Principal:
    return principal_for(request.user, swv_code)


def provide_event_store(state: State) -> EventStore:
    store: EventStore | None = state.get("event_store")
    if store is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return store


def provide_pool(state: State) -> Pool:
    pool: Pool | None = state.get("pool")
    if pool is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return pool


PoolDependency = NamedDependency[SkipValidation[Pool]]


def provide_clock(state: State) -> Clock:
    clock: Clock = state.get("clock") or SystemClock()
    return clock


def provide_ids(state: State) -> IdFactory:
    ids: IdFactory = state.get("ids") or RandomIds()
    return ids


def provide_correlation_id(request: Request[Any, Any, Any]) -> UUID:
    correlation_id: UUID = request.state.correlation_id
    return correlation_id


# A UUID, or nothing (a header that is sent empty, or not at all: the server picks an id).
UUID_PATTERN = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        pattern=UUID_PATTERN,
        description="A UUID naming this command; a retry with the same key is recorded once.",
    ),
]


# One version, as an ETag ("3", W/"3") or bare (3); "*" or an empty header: any version.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"[0-9]+"|[0-9]+)?\s*$'
IfMatch = Annotated[
    str,
    HeaderParameter(
        name="If-Match",
        required=False,
        pattern=IF_MATCH_PATTERN,
        description=(
            'The version (ETag) the command was decided on, e.g. "3"; 412 if stale. '
            '"*" or an empty header: whatever the current version is.'
        ),
    ),
]


def expected_version(if_match: str) -> int | None:
    """The version an ``If-Match`` header names: ``"3"``, ``W/"3"`` or ``3``; ``*`` is any."""
    if if_match.strip() in {"", "*"}:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ValidationException(
            'If-Match must name one version, e.g. "3".',
            extra=[{"key": "If-Match", "message": "not a version", "source": "header"}],
        )
    return int(tag)


async def command_id_for(
    request: Request[Any, Any, Any],
    tenant_id: TenantId,
    caller: str,
    idempotency_key: str,
    ids: IdFactory,
) -> UUID:
    """A new command id, or the one an ``Idempotency-Key`` of this caller in this tenant names.

    The same key with another request is refused (422), as the IETF idempotency-key draft
    says; keys are kept for a day (infrastructure/idempotency_keys.py).
    """
    if not idempotency_key:
        return ids.new_id()
    keys: IdempotencyKeys | None = request.app.state.get("idempotency_keys")
    if keys is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    fingerprint = request_fingerprint(request.method, request.url.path, await request.body())
    return await keys.claim(
        tenant_id, caller, str(UUID(idempotency_key)), fingerprint, ids.new_id()
    )


async def provide_command_context(  # noqa: PLR0913 - the request, the caller and its headers
    *,
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    correlation_id: NamedDependency[UUID],
    ids: Ids,
    idempotency_key: IdempotencyKey = "",
    if_match: IfMatch = "",
) -> CommandContext:
    """The command's context: the caller, the request's correlation id, a command id."""
    command_id = await command_id_for(
        request, principal.tenant_id, principal.subject, idempotency_key, ids
    )
    return CommandContext(
        tenant_id=principal.tenant_id,
        caller=principal.caller,
        command_id=command_id,
        correlation_id=correlation_id,
        expected_version=expected_version(if_match),
    )


async def provide_create_context(
    *,
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    correlation_id: NamedDependency[UUID],
    ids: Ids,
    idempotency_key: IdempotencyKey = "",
) -> CommandContext:
    """A creating command's context: nothing exists yet whose version ``If-Match`` could name."""
    return await provide_command_context(
        request=request,
        principal=principal,
        correlation_id=correlation_id,
        ids=ids,
        idempotency_key=idempotency_key,
    )


@dataclass(frozen=True, slots=True)
class CommandRunner:
    """Runs use cases for one request: its command context, the store and the clock."""

    ctx: CommandContext
    store: EventStore
    clock: Clock
    in_tenant: bool = True

    @property
    def tenant_id(self) -> TenantId:
        return self.ctx.tenant_id

    async def __call__(self, handler: Callable[..., Awaitable[R]], command: object) -> R:
        name = getattr(handler, "__name__", type(command).__name__)
        with _tracer.start_as_current_span(
            f"command {name}",
            attributes={"passend.tenant": self.ctx.tenant_id, "passend.command": name},
        ):
            if self.in_tenant:
                await ensure_tenant_active(self.store, self.ctx.tenant_id)
            return await handler(command, self.ctx, store=self.store, clock=self.clock)


def provide_commands(
    ctx: NamedDependency[CommandContext], event_store: Store, clock: ClockDependency
) -> CommandRunner:
    return CommandRunner(ctx, event_store, clock)


Commands = NamedDependency[SkipValidation[CommandRunner]]


def correlation_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request a correlation id (the caller's, if a UUID), echo it, log the request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(CORRELATION_HEADER.lower().encode(), b"")
        try:
            correlation_id = UUID(given.decode("latin-1"))
        except ValueError:
            correlation_id = uuid.uuid4()
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        bind_request(
            correlation_id=str(correlation_id),
            tenant=scope.get("path_params", {}).get("swv_code"),
            route=scope.get("path_template"),
        )
        name_request_span(scope.get("method", "HTTP"), scope.get("path_template") or "unmatched")
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_noting_status)
        finally:
            elapsed = time.perf_counter() - started
            metrics.observe_request(
                scope.get("path_template") or "unmatched", scope.get("method", ""), status, elapsed
            )
            # The path holds codes and ids only; the query string and body are never logged.
            log.info(
                "%s %s -> %s correlation_id=%s",
                scope.get("method"),
                scope["path"],
                status,
                correlation_id,
                extra={
                    "method": scope.get("method"),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            unbind_request()

    return middleware


async def echo_correlation_id(message: Message, scope: Scope) -> None:
    """Runs for every response, error responses included (a ``before_send`` hook)."""
    correlation_id = scope.get("state", {}).get("correlation_id")
    if message["type"] == "http.response.start" and correlation_id is not None:
        headers = list(message.get("headers", []))
        headers.append((CORRELATION_HEADER.lower().encode(), str(correlation_id).encode()))
        message["headers"] = headers


DEPENDENCIES = {
    "principal": Provide(provide_principal, sync_to_thread=False),
    "event_store": Provide(provide_event_store, sync_to_thread=False),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "ids": Provide(provide_ids, sync_to_thread=False),
    "correlation_id": Provide(provide_correlation_id, sync_to_thread=False),
    "ctx": Provide(provide_command_context),
    "commands": Provide(provide_commands, sync_to_thread=False),
}
