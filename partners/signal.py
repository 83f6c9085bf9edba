"""Wakes feed readers and delivery workers when a tenant's integration events advance.

The projection runner in this process reports each caught-up position at once (``note``);
a poll of every tenant's ``partner_events`` position, one query for all, covers runners in
other processes. Waiters block on one asyncio.Event per tenant, so a thousand idle streams
cost a thousand suspended coroutines and no queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from domain.ids import TenantId
from infrastructure.database import Pool
from projections.status import projection_status

PROJECTION = "partner_events"
log = logging.getLogger("passend.partners")


class FeedSignal:
    def __init__(self, pool: Pool, *, poll_interval_s: float = 0.5) -> None:
        self._pool = pool
        self._poll_interval_s = poll_interval_s
        self._positions: dict[TenantId, int] = {}
        self._events: dict[TenantId, asyncio.Event] = {}
        self._poller: asyncio.Task[None] | None = None

    def position(self, tenant_id: TenantId) -> int:
        return self._positions.get(tenant_id, 0)

    def note(self, tenant_id: TenantId, position: int) -> None:
        if position <= self._positions.get(tenant_id, -1):
            return
        self._positions[tenant_id] = position
        event = self._events.pop(tenant_id, None)
        if event is not None:
            event.set()

    def on_applied(self, projection: str, tenant_id: TenantId, position: int) -> None:
        """The projection runner's listener."""
        if projection == PROJECTION:
            self.note(tenant_id, position)

    async def wait_beyond(self, tenant_id: TenantId, position: int, timeout_s: float) -> bool:
        """Wait until the tenant's events pass ``position``; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._positions.get(tenant_id, 0) <= position:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._events.setdefault(tenant_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return True

    async def refresh(self) -> None:
        for row in await projection_status(self._pool, [PROJECTION]):
            self.note(row.tenant_id, row.position)

    def start(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_forever(), name="partners-signal")

    async def stop(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.warning("could not read partner feed positions", exc_info=True)
            await asyncio.sleep(self._poll_interval_s)
