"""Passend's SQL functions on its tables, called by bare asyncpg with arguments prepared first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.store.harness import (
    Context,
    Sample,
    check_dense_logs,
    count_row_pages,
    events_per_call,
    timed_on_held_connections,
    timed_read_passes,
    write_plan,
)
from bench.store.workload import METADATA, WRITERS, BenchOrder, Ev, warmup
from domain.ids import TenantId
from infrastructure.database import create_pool
from infrastructure.event_batches import prepare_batch
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import (
    APPEND_ONE_SQL,
    APPEND_SQL,
    READ_LOG_EVENTS_SQL,
    append_arguments,
    append_one_arguments,
)
from infrastructure.hash_chain import genesis_hash


class BareSchemaBench:
    """Passend's SQL functions and tables, called by bare asyncpg with prepared arguments."""

    name = "bare_schema"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.codec = EventCodec([BenchOrder])
        self.pool: Any = None

    async def open(self) -> None:
        self.pool = await create_pool(self.ctx.app_dsn, min_size=WRITERS, max_size=WRITERS)

    async def close(self) -> None:
        await self.pool.close()

    async def _fresh(self, tenants: Sequence[str]) -> None:
        await self.ctx.admin.execute("TRUNCATE events, subject_keys, tenant_heads")
        await self.ctx.admin.executemany(
            "INSERT INTO tenant_heads (tenant_id, chain_hash) VALUES ($1, $2)",
            [(t, genesis_hash(t)) for t in tenants],
        )

    def _arguments(self, tenant: str, calls: list[list[Ev]]) -> list[tuple[str, tuple[Any, ...]]]:
        """Each call's statement and arguments, encoded and hashed as the store does."""
        recorded_at = datetime.now(UTC)
        prepared = []
        for evs in calls:
            batch = prepare_batch(
                self.codec,
                TenantId(tenant),
                [e.new for e in evs],
                expected_version=evs[0].version - 1,
                metadata=METADATA,
                recorded_at=recorded_at,
                data_keys={},
            )
            if len(evs) == 1:
                prepared.append((APPEND_ONE_SQL, append_one_arguments(TenantId(tenant), batch)))
            else:
                prepared.append((APPEND_SQL, append_arguments(TenantId(tenant), batch)))
        return prepared

    async def write(self, phase: str, run: int) -> Sample:
        tenants, per_worker = write_plan(self.ctx.workload, phase, f"B{run}")
        batch = events_per_call(phase)
        warm = [f"WARMUP{w}" for w in range(len(tenants))]
        await self._fresh([*tenants, *warm])
        sample = await timed_on_held_connections(
            self.ctx,
            self.pool,
            [self._arguments(t, warmup(1, 10 * batch).calls(batch)) for t in warm],
            [self._arguments(t, c) for t, c in zip(tenants, per_worker, strict=True)],
            lambda conn, call: conn.fetch(call[0], *call[1]),
        )
        await check_dense_logs(self.ctx, tenants)
        return sample

    async def read(self, run: int) -> Sample:
        wk = self.ctx.workload
        tenant = f"B{run}READ"
        await self._fresh([tenant])
        async with self.pool.acquire() as conn:
            for sql, args in self._arguments(tenant, wk.calls(wk.per_stream)):
                await conn.fetch(sql, *args)
            await self.ctx.admin.execute("VACUUM ANALYZE events")
            return await timed_read_passes(
                self.ctx, lambda: count_row_pages(conn, READ_LOG_EVENTS_SQL, tenant, 0)
            )
