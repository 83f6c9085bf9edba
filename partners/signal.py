"""Wakes feed readers and delivery workers when a tenant's integration events advance.

The projection runner in this process reports each caught-up position at once (``note``);
runners in other processes NOTIFY ``passend_partner_events`` when a page adds integration
events, and the signal then reads every tenant's ``partner_events`` position (one query for
all, as its poll does, which covers a lost notification). Waiters block on one asyncio.Event
per tenant, so a thousand idle streams cost a thousand suspended coroutines and no queries.
"""

from __future__ import annotations

import asyncio
import logging

from domain.ids import TenantId
from infrastructure.database import Listener, Pool
from infrastructure.wake_ups import stop_task, woken
from projections.partner_events import FEED_CHANNEL
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
        self._notified = asyncio.Event()
        self._missed = False
        self._listener = Listener(pool, FEED_CHANNEL, self._on_notify)

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
            if self._missed:
                self._notified.set()  # positions changed since the last read: read them now
            await woken(event, remaining)
        return True

    async def refresh(self) -> None:
        self._missed = False
        for row in await projection_status(self._pool, [PROJECTION]):
            self.note(row.tenant_id, row.position)

    def start(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_forever(), name="partners-signal")

    async def stop(self) -> None:
        poller, self._poller = self._poller, None
        await stop_task(poller)
        await self._listener.stop()

    async def _poll_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self._listener.keep_listening()
                await self.refresh()
            except Exception:
                log.warning("could not read partner feed positions", exc_info=True)
            # A notification refreshes at once only for someone waiting (or as soon as someone
            # starts to): every command that adds integration events notifies, and reading
            # every tenant's position for each cost more than the command when nobody waited.
            next_poll = loop.time() + self._poll_interval_s
            while (remaining := next_poll - loop.time()) > 0:
                if not await woken(self._notified, remaining):
                    break
                self._notified.clear()
                if self._events:
                    break
                self._missed = True

    def _on_notify(self, _conn: object, _pid: int, _channel: str, _payload: object) -> None:
        # Only a hint: the positions are read from the active builds, never from the payload.
        self._notified.set()
