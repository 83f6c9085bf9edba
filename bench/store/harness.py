"""Timing one phase of one implementation: wall time, client and server CPU, WAL."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import asyncpg

from bench.database import ServerCpu
from bench.store.workload import BATCH, PAGE, READ_PASSES, WRITERS, Ev, Workload
from infrastructure.database import Connection, Pool

CallT = TypeVar("CallT")


@dataclass(slots=True)
class Sample:
    """One timed phase run of one implementation."""

    events: int
    secs: float
    client_cpu: float
    server_cpu: float
    wal_bytes: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.secs

    def per_event_us(self, seconds: float) -> float:
        return seconds / self.events * 1e6


class Window:
    """Wall time, this process's CPU time (all threads) and the server's CPU time."""

    def __init__(self, server: ServerCpu | None) -> None:
        self.server = server
        self.s0 = server.seconds() if server else float("nan")
        self.c0 = time.process_time()
        self.t0 = time.perf_counter()

    def stop(self, events: int) -> Sample:
        secs = time.perf_counter() - self.t0
        cpu = time.process_time() - self.c0
        srv = self.server.seconds() - self.s0 if self.server else float("nan")
        return Sample(events, secs, cpu, srv)


@dataclass
class Context:
    admin_dsn: str  # the bench database, as a superuser
    app_dsn: str  # the bench database, as passend_app
    admin: asyncpg.Connection[asyncpg.Record]
    server: ServerCpu | None
    workload: Workload
    profile: cProfile.Profile | None = None

    async def wal_lsn(self) -> int:
        return int(await self.admin.fetchval("SELECT pg_current_wal_insert_lsn() - '0/0'"))

    async def checkpoint(self) -> None:
        await self.admin.execute("CHECKPOINT")


class Bench(Protocol):
    name: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def write(self, phase: str, run: int) -> Sample: ...
    async def read(self, run: int) -> Sample: ...


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep what is alive before a timed window (the workload, above all) out of collections.

    The harness holds about 130,000 objects; without this, every full collection during a
    run scans them, which penalises whichever implementation allocates most. A service
    freezes its start-up heap the same way.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def timed(
    ctx: Context, events: int, body: Callable[[], Awaitable[None]], *, checkpoint: bool = True
) -> Sample:
    if checkpoint:
        await ctx.checkpoint()
    lsn0 = await ctx.wal_lsn()
    with frozen_heap():
        window = Window(ctx.server)
        if ctx.profile is not None:
            ctx.profile.enable()
        await body()
        if ctx.profile is not None:
            ctx.profile.disable()
        sample = window.stop(events)
    sample.wal_bytes = await ctx.wal_lsn() - lsn0
    return sample


def write_plan(
    wk: Workload, phase: str, tenant_prefix: str
) -> tuple[list[str], list[list[list[Ev]]]]:
    """A write phase's tenants and each writer's calls (one writer per tenant)."""
    if phase == "concurrent":
        return [f"{tenant_prefix}W{w}" for w in range(WRITERS)], wk.worker_calls(WRITERS, 1)
    return [f"{tenant_prefix}{phase[0].upper()}"], [wk.calls(events_per_call(phase))]


def events_per_call(phase: str) -> int:
    return BATCH if phase == "batch" else 1


async def timed_on_held_connections(
    ctx: Context,
    pool: Pool,
    warm: list[list[CallT]],
    work: list[list[CallT]],
    call: Callable[[Connection, CallT], Awaitable[object]],
) -> Sample:
    """Each writer's calls on a connection of its own, held through its warm-up and timing."""
    conns = [await pool.acquire() for _ in work]
    try:
        for conn, calls in zip(conns, warm, strict=True):
            for item in calls:
                await call(conn, item)

        async def worker(conn: Connection, calls: list[CallT]) -> None:
            for item in calls:
                await call(conn, item)

        async def body() -> None:
            await asyncio.gather(*(worker(c, w) for c, w in zip(conns, work, strict=True)))

        return await timed(ctx, ctx.workload.n, body)
    finally:
        for conn in conns:
            await pool.release(conn)


async def timed_read_passes(ctx: Context, read_all: Callable[[], Awaitable[int]]) -> Sample:
    """One untimed pass that must see every event, then ``READ_PASSES`` timed ones."""
    assert await read_all() == ctx.workload.n  # noqa: S101

    async def body() -> None:
        for _ in range(READ_PASSES):
            await read_all()

    return await timed(ctx, ctx.workload.n * READ_PASSES, body, checkpoint=False)


async def count_row_pages(conn: Connection, sql: str, tenant: str, position_column: int) -> int:
    """Fetch a tenant's log in pages of ``PAGE`` rows without decoding; return the row count."""
    count, after = 0, 0
    while True:
        rows = await conn.fetch(sql, tenant, after, PAGE)
        count += len(rows)
        if len(rows) < PAGE:
            return count
        after = rows[-1][position_column]


async def check_dense_logs(ctx: Context, tenants: Sequence[str]) -> None:
    """Passend's tables hold the workload, each tenant's positions 1..n, its head at n."""
    rows = await ctx.admin.fetch(
        "SELECT h.tenant_id, h.last_position, count(e.*) AS n, min(e.position) AS lo,"
        " max(e.position) AS hi FROM tenant_heads h JOIN events e USING (tenant_id)"
        " WHERE h.tenant_id = ANY($1) GROUP BY h.tenant_id, h.last_position",
        list(tenants),
    )
    assert sum(r["n"] for r in rows) == ctx.workload.n, rows  # noqa: S101
    for r in rows:
        assert r["lo"] == 1, dict(r)  # noqa: S101
        assert r["hi"] == r["n"] == r["last_position"], dict(r)  # noqa: S101
