"""Keeps every tenant's transparency log caught up: extends the tree and signs checkpoints.

Woken right after a commit in this process (``wake``, the store's ``on_commit`` listener) and
by a poll every ``poll_interval_s`` that finds tenants whose tree lags their head (commits of
other processes). It waits ``settle_s`` after a wake so that a burst of commits shares one
checkpoint; a tenant that is being written thus gets a checkpoint well within a second. Each
new checkpoint is handed to the ``on_checkpoint`` listeners (the witnesses' submitter).
Several integrators may run: ``TransparencyLog.integrate`` serialises them per tenant.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from domain.ids import TenantId
from infrastructure.database import Pool, scoped_connection
from infrastructure.signed_note import Checkpoint
from infrastructure.transparency_log import TransparencyLog
from infrastructure.wake_ups import stop_task, woken

log = logging.getLogger("passend.transparency")

CheckpointListener = Callable[[TenantId, Checkpoint], Awaitable[None]]
_UNKNOWN = sys.maxsize
"""The position of a wake that named none: the tree is extended until nothing is left."""


class LogIntegrator:
    def __init__(
        self,
        pool: Pool,
        transparency_log: TransparencyLog,
        *,
        poll_interval_s: float = 1.0,
        settle_s: float = 0.1,
    ) -> None:
        self._pool = pool
        self._log = transparency_log
        self._poll_interval_s = poll_interval_s
        self._settle_s = settle_s
        # tenant -> the position its tree must reach (_UNKNOWN: its head, however far)
        self._dirty: dict[TenantId, int] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[CheckpointListener] = []

    def on_checkpoint(self, listener: CheckpointListener) -> None:
        self._listeners.append(listener)

    def wake(self, tenant_id: TenantId, position: int | None = None) -> None:
        _reach(self._dirty, tenant_id, _UNKNOWN if position is None else position)
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="transparency-log")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    async def checkpoint_now(self, tenant_id: TenantId) -> None:
        """Bring the tenant's tree to its head and sign (on demand)."""
        while (checkpoint := await self._log.integrate(tenant_id, always=True)) is not None:
            await self._announce(tenant_id, checkpoint)

    async def _run(self) -> None:
        while True:
            await woken(self._wake, self._poll_interval_s)
            if self._wake.is_set():
                await asyncio.sleep(self._settle_s)
            self._wake.clear()
            tenants, self._dirty = self._dirty, {}
            try:
                for tenant_id, head in (await self._lagging()).items():
                    _reach(tenants, tenant_id, head)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("finding the lagging transparency logs failed; retrying")
            # One tenant's failure must not hold back the others' checkpoints.
            for tenant_id, target in sorted(tenants.items()):
                await self._extend(tenant_id, target)

    async def _extend(self, tenant_id: TenantId, target: int) -> None:
        """Extend the tenant's tree until it reaches ``target``; on failure, retry later."""
        try:
            # Not one call more than that: after every checkpoint, a call that found nothing
            # to do cost six round trips. A later commit wakes this with its own position.
            while (checkpoint := await self._log.integrate(tenant_id)) is not None:
                await self._announce(tenant_id, checkpoint)
                if checkpoint.size >= target:
                    break
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("extending the transparency log of %s failed; retrying", tenant_id)
            _reach(self._dirty, tenant_id, target)

    async def _lagging(self) -> dict[TenantId, int]:
        """The tenants whose tree lags their head, with the head."""
        async with scoped_connection(self._pool) as conn:
            rows = await conn.fetch("SELECT * FROM passend_log_backlog()")
        return {
            TenantId(r["tenant_id"]): r["last_position"]
            for r in rows
            if r["last_position"] > r["tree_size"]
        }

    async def _announce(self, tenant_id: TenantId, checkpoint: Checkpoint) -> None:
        for listener in self._listeners:
            try:
                await listener(tenant_id, checkpoint)
            except Exception:
                log.exception("a checkpoint listener failed for %s", tenant_id)


def _reach(targets: dict[TenantId, int], tenant_id: TenantId, position: int) -> None:
    targets[tenant_id] = max(position, targets.get(tenant_id, 0))
