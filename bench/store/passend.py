"""Passend's event store as the application uses it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bench.store.harness import (
    Context,
    Sample,
    check_dense_logs,
    events_per_call,
    timed,
    timed_read_passes,
    write_plan,
)
from bench.store.workload import METADATA, PAGE, WRITERS, BenchOrder, Ev, warmup
from domain.ids import TenantId
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import (
    PostgresEventStore,
)


class PassendBench:
    name = "passend"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.codec = EventCodec([BenchOrder])
        self.pool: Any = None
        self.store: PostgresEventStore

    async def open(self) -> None:
        # The store alone on its pool: it keeps one connection per writer (the service keeps
        # only HELD_BY_DEFAULT, as the pool is shared with the runner and the deliveries).
        self.pool = await create_pool(self.ctx.app_dsn, min_size=WRITERS + 1, max_size=WRITERS + 1)
        self.store = PostgresEventStore(self.pool, self.codec, held_connections=WRITERS)

    async def close(self) -> None:
        await self.store.close()
        await self.pool.close()

    async def _fresh(self, tenants: Sequence[str]) -> None:
        await self.ctx.admin.execute("TRUNCATE events, subject_keys, tenant_heads")
        for tenant in tenants:
            await self.store.register_tenant(TenantId(tenant))

    async def _append(self, tenant: TenantId, calls: list[list[Ev]]) -> None:
        append = self.store.append
        for evs in calls:
            await append(
                tenant,
                [e.new for e in evs],
                expected_version=evs[0].version - 1,
                metadata=METADATA,
            )

    async def _warm(self, batch: int) -> None:
        # concurrent, so that every pooled connection prepares its statements
        wk = warmup(WRITERS, 10 * batch)
        await asyncio.gather(
            *(self._append(TenantId(f"WARMUP{w}"), wk.calls(batch, [w])) for w in range(WRITERS))
        )

    async def write(self, phase: str, run: int) -> Sample:
        tenants, per_worker = write_plan(self.ctx.workload, phase, f"R{run}")
        await self._fresh([*tenants, *(f"WARMUP{w}" for w in range(WRITERS))])
        await self._warm(events_per_call(phase))

        async def body() -> None:
            await asyncio.gather(
                *(self._append(TenantId(t), c) for t, c in zip(tenants, per_worker, strict=True))
            )

        sample = await timed(self.ctx, self.ctx.workload.n, body)
        await check_dense_logs(self.ctx, tenants)
        return sample

    async def read(self, run: int) -> Sample:
        wk = self.ctx.workload
        tenant = TenantId(f"R{run}READ")
        await self._fresh([tenant])
        await self._append(tenant, wk.calls(wk.per_stream))  # untimed load, 1 stream per call
        await self.ctx.admin.execute("VACUUM ANALYZE events")

        async def read_all() -> int:
            count = 0
            async for page in self.store.read_log_pages(tenant, page_size=PAGE):
                count += len(page)
            return count

        return await timed_read_passes(self.ctx, read_all)
