"""Providers for route handlers: the caller, the store, the clock, ids, the correlation id."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.exceptions import ServiceUnavailableException
from litestar.params import FromPath
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Claims, Principal, principal_for
from application.ports import Clock, EventStore, IdFactory

CORRELATION_HEADER = "X-Correlation-ID"
log = logging.getLogger("passend.api")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def new_id(self) -> UUID:
        return uuid.uuid4()


def provide_principal(request: Request[Claims, str, State], swv_code: FromPath[str]) -> Principal:
    return principal_for(request.user, swv_code)


def provide_event_store(state: State) -> EventStore:
    store: EventStore | None = state.get("event_store")
    if store is None:
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return store


def provide_clock(state: State) -> Clock:
    clock: Clock = state.get("clock") or SystemClock()
    return clock


def provide_ids(state: State) -> IdFactory:
    ids: IdFactory = state.get("ids") or RandomIds()
    return ids


def provide_correlation_id(request: Request[Any, Any, Any]) -> UUID:
    correlation_id: UUID = request.state.correlation_id
    return correlation_id


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
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_noting_status)
        finally:
            log.info(
                "%s %s -> %s correlation_id=%s",
                scope.get("method"),
                scope["path"],
                status,
                correlation_id,
            )

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
}
