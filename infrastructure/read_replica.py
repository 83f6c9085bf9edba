"""Reads that tolerate staleness go to a streaming replica; the caller who just wrote sees it.

A ``ReadSide`` picks the pool a read runs on. Without a replica, or while the replica does not
answer or lags more than ``max_lag_s`` behind (watched every ``probe_interval_s``), that is the
primary. A read that names a position (a command's answer gave it) waits up to ``wait_s`` for
the replica to have replayed that position of the tenant's log (its ``tenant_heads`` row is
written in the commit, and WAL replays commits in order) and otherwise reads the primary: the
caller reads its own writes either way. Writes never go to the replica: the access log of a
read served by it is written on the primary by the route, as every write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Literal

import asyncpg

from domain.ids import TenantId
from infrastructure import metrics
from infrastructure.database import Pool, tenant_transaction
from infrastructure.wake_ups import stop_task

log = logging.getLogger("passend.read_replica")

Source = Literal["primary", "replica"]

# Zero while the replica has replayed everything it received: an idle primary sends nothing,
# and the last replayed commit's age would grow although the replica is current.
_LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    " THEN 0 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
)
_POLL_S = 0.01
_PROBE_TIMEOUT_S = 5


@dataclass(frozen=True, slots=True)
class ReadChoice:
    pool: Pool
    source: Source


@dataclass(slots=True)
class ReadSide:
    """Chooses the primary or the replica for each read; watches the replica's health and lag."""

    primary: Pool
    replica: Pool | None = None
    wait_s: float = 1.0
    max_lag_s: float = 30.0
    probe_interval_s: float = 1.0
    replica_usable: bool = False
    lag_s: float | None = None
    _probe: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        """Probe the replica once now, then keep watching it in the background."""
        if self.replica is None:
            return
        await self.probe()
        self._probe = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        probe, self._probe = self._probe, None
        await stop_task(probe)

    async def probe(self) -> None:
        """Look at the replica: does it answer, is it a standby, how far behind is it?"""
        if self.replica is None:
            return
        was = self.replica_usable
        try:
            async with asyncio.timeout(_PROBE_TIMEOUT_S), self.replica.acquire() as conn:
                row = await conn.fetchrow(_LAG_SQL)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            self.replica_usable, self.lag_s = False, None
            reason = f"does not answer ({type(error).__name__})"
        else:
            assert row is not None  # noqa: S101 - a SELECT without FROM returns one row
            in_recovery, lag = bool(row[0]), float(row[1] or 0)
            self.lag_s = lag
            self.replica_usable = in_recovery and lag <= self.max_lag_s
            metrics.record_replica_lag(lag)
            reason = (
                f"lags {lag:.1f} s (more than {self.max_lag_s:g} s)"
                if in_recovery
                else "is not in recovery: not a standby"
            )
        if was != self.replica_usable:
            if self.replica_usable:
                log.info("read replica usable again; reads go to it")
            else:
                log.warning("read replica %s; reads go to the primary", reason)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval_s)
            await self.probe()

    async def choose(self, tenant_id: TenantId, min_position: int | None = None) -> ReadChoice:
        """The replica if usable (and at ``min_position``, if one is given); else the primary."""
        choice = await self._choose(tenant_id, min_position)
        if self.replica is not None:
            metrics.record_replica_read(choice.source)
        return choice

    async def _choose(self, tenant_id: TenantId, min_position: int | None) -> ReadChoice:
        primary = ReadChoice(self.primary, "primary")
        if self.replica is None or not self.replica_usable:
            return primary
        replica = ReadChoice(self.replica, "replica")
        if min_position is None:
            return replica
        deadline = time.monotonic() + self.wait_s
        try:
            async with self.replica.acquire() as conn:
                while True:
                    async with tenant_transaction(conn, tenant_id):
                        replayed = await conn.fetchval(
                            "SELECT last_position FROM tenant_heads WHERE tenant_id = $1",
                            tenant_id,
                        )
                    if replayed is not None and replayed >= min_position:
                        return replica
                    if time.monotonic() >= deadline:
                        return primary
                    await asyncio.sleep(_POLL_S)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self.replica_usable = False  # the probe brings it back once it answers
            log.warning("read replica failed a read; reads go to the primary")
            return primary

    async def close(self) -> None:
        await self.stop()
        if self.replica is not None:
            await self.replica.close()
