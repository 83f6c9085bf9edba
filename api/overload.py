"""Admission control: past its capacity a process refuses requests at once instead of queueing.

At most ``max_in_flight`` requests run at a time; up to ``max_queued`` more may wait, each at
most ``queue_wait_s`` seconds, for a slot. Anything beyond is answered at once with 503 and
``Retry-After`` (from the error table in ``api/errors.py``). So what the process accepts keeps a
bounded latency, a burst costs the refused callers one cheap answer each, and when the load
drops the next request is served at once: nothing is left queued behind it. ``/health`` is
(and ``/health/live``, ``/health/ready``) never refused, so a load balancer can tell a busy
process from a dead one. ``declare_busy``
declares the refusal in the OpenAPI document on every operation the middleware can refuse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import PROBLEM_JSON, PROBLEM_TYPE_BASE, ServiceUnavailableError

# Health is never refused: a busy process is neither dead (restarted on a refused liveness)
# nor one to take out of service for good.
_NEVER_REFUSED = frozenset({"/health", "/health/live", "/health/ready"})
_BUSY = "The service is busy"
_QUEUE_FULL = "Every slot is taken and the queue is full; try again shortly."


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
            _BUSY, why, retry_after_s=self.capacity.retry_after_s, kind="busy"
        )

    async def enter(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: returns without waiting
            return
        if self._waiting >= self.capacity.max_queued:
            raise self._refuse(_QUEUE_FULL)
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


def declare_busy(document: Mapping[str, Any]) -> None:
    """Declare the busy 503 on every operation of the document but those never refused.

    Next to a 503 the route declares itself (its database or read model not ready yet) the
    busy problem is one more example of it.
    """
    example = {
        "summary": "Too many requests at once (busy)",
        "value": {
            "type": f"{PROBLEM_TYPE_BASE}busy",
            "title": _BUSY,
            "status": 503,
            "detail": _QUEUE_FULL,
        },
    }
    for path, item in document.get("paths", {}).items():
        if path in _NEVER_REFUSED:
            continue
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue  # a path item's parameters or summary
            answer = operation["responses"].setdefault(
                "503", {"description": "Too many requests at once: try again after Retry-After."}
            )
            if "busy" not in answer["description"]:
                answer["description"] += " Or too many requests at once (busy)."
            problem = answer.setdefault("content", {}).setdefault(
                PROBLEM_JSON, {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            )
            problem.setdefault("examples", {})["busy"] = example
