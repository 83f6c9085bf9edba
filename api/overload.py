"""Admission control: past its capacity a process refuses requests at once instead of queueing.

At most ``max_in_flight`` requests run at a time; up to ``max_queued`` more may wait, each at
most ``queue_wait_s`` seconds, for a slot. Anything beyond is answered at once with 503 and
``Retry-After`` (from the error table in ``api/errors.py``). So what the process accepts keeps a
bounded latency, a burst costs the refused callers one cheap answer each, and when the load
drops the next request is served at once: nothing is left queued behind it. ``/health`` is
never refused, so a load balancer can tell a busy process from a dead one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import ServiceUnavailableError

_NEVER_REFUSED = frozenset({"/health"})


@dataclass(frozen=True, slots=True)
class Capacity:
    """How much one process takes on at a time."""

    max_in_flight: int = 32
    max_queued: int = 64
    queue_wait_s: float = 0.1
    retry_after_s: int = 1


class Admission:
    """Counts the requests running and waiting; a slot is taken or refused without blocking."""

    def __init__(self, capacity: Capacity) -> None:
        self.capacity = capacity
        self._slots = asyncio.Semaphore(capacity.max_in_flight)
        self._waiting = 0
        self.refused = 0

    def _refuse(self, why: str) -> ServiceUnavailableError:
        self.refused += 1
        return ServiceUnavailableError(
            "The service is busy", why, retry_after_s=self.capacity.retry_after_s, kind="busy"
        )

    async def enter(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: returns without waiting
            return
        if self._waiting >= self.capacity.max_queued:
            raise self._refuse("Every slot is taken and the queue is full; try again shortly.")
        self._waiting += 1
        try:
            async with asyncio.timeout(self.capacity.queue_wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise self._refuse("No slot became free in time; try again shortly.") from None
        finally:
            self._waiting -= 1

    def leave(self) -> None:
        self._slots.release()


def admission_middleware(capacity: Capacity) -> Callable[[ASGIApp], ASGIApp]:
    """Litestar middleware that admits HTTP requests through one ``Admission`` per app.

    Litestar builds the middleware once per route: the admission is shared by all of them.
    """
    admission = Admission(capacity)

    def middleware_factory(app: ASGIApp) -> ASGIApp:

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"] in _NEVER_REFUSED:
                await app(scope, receive, send)
                return
            await admission.enter()
            try:
                await app(scope, receive, send)
            finally:
                admission.leave()

        return middleware

    return middleware_factory
