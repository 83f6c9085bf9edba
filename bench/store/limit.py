"""The limit: bare asyncpg with the counter-row CTE of ../shared/bench/limit_asyncpg.py."""

from __future__ import annotations

from typing import Any

import asyncpg

from bench.store.harness import (
    Context,
    Sample,
    count_row_pages,
    events_per_call,
    timed_on_held_connections,
    timed_read_passes,
    write_plan,
)
from bench.store.workload import WRITERS, Ev, warmup
from infrastructure.database import Connection

LIMIT_DDL = """
DROP TABLE IF EXISTS bench_events;
DROP TABLE IF EXISTS bench_tenant_positions;
CREATE TABLE bench_events (
  tenant_id   text        NOT NULL,
  stream_id   uuid        NOT NULL,
  version     int         NOT NULL,
  position    bigint      NOT NULL,
  topic       text        NOT NULL,
  state       bytea       NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream_id, version),
  UNIQUE (tenant_id, position)
);
CREATE TABLE bench_tenant_positions (tenant_id text PRIMARY KEY, last_position bigint NOT NULL);
"""
LIMIT_CTE_ONE = (
    "WITH c AS (INSERT INTO bench_tenant_positions AS tp (tenant_id, last_position)"
    " VALUES ($1, 1) ON CONFLICT (tenant_id) DO UPDATE SET last_position = tp.last_position + 1"
    " RETURNING last_position)"
    " INSERT INTO bench_events (tenant_id, stream_id, version, position, topic, state)"
    " SELECT $1, $2, $3, c.last_position, $4, $5 FROM c RETURNING position"
)
LIMIT_CTE_MANY = (
    "WITH c AS (INSERT INTO bench_tenant_positions AS tp (tenant_id, last_position)"
    " VALUES ($1, cardinality($2::uuid[])) ON CONFLICT (tenant_id) DO UPDATE"
    " SET last_position = tp.last_position + EXCLUDED.last_position RETURNING last_position)"
    " INSERT INTO bench_events (tenant_id, stream_id, version, position, topic, state)"
    " SELECT $1, u.s, u.v, c.last_position - cardinality($2::uuid[]) + u.o, u.t, u.st"
    " FROM c, unnest($2::uuid[], $3::int[], $4::text[], $5::bytea[])"
    " WITH ORDINALITY AS u(s, v, t, st, o) RETURNING position"
)
LIMIT_PAGE = (
    "SELECT stream_id, version, position, topic, state, recorded_at FROM bench_events"
    " WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3"
)
LIMIT_PAGE_POSITION = 2


async def limit_append(conn: Connection, tenant: str, evs: list[Ev]) -> None:
    """``counter_cte`` of ../shared/bench/limit_asyncpg.py: one statement, one round trip."""
    if len(evs) == 1:
        e = evs[0]
        await conn.fetchval(LIMIT_CTE_ONE, tenant, e.stream_id, e.version, e.topic, e.state)
    else:
        await conn.fetch(
            LIMIT_CTE_MANY,
            tenant,
            [e.stream_id for e in evs],
            [e.version for e in evs],
            [e.topic for e in evs],
            [e.state for e in evs],
        )


class LimitBench:
    name = "limit"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pool: Any = None

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.ctx.admin_dsn, min_size=WRITERS, max_size=WRITERS
        )
        await self.ctx.admin.execute(LIMIT_DDL)

    async def close(self) -> None:
        await self.pool.close()

    async def _fresh(self) -> None:
        await self.ctx.admin.execute("TRUNCATE bench_events, bench_tenant_positions")

    async def write(self, phase: str, run: int) -> Sample:
        wk = self.ctx.workload
        tenants, per_worker = write_plan(wk, phase, f"L{run}")
        batch = events_per_call(phase)
        await self._fresh()
        warm = warmup(1, 10 * batch).calls(batch)
        sample = await timed_on_held_connections(
            self.ctx,
            self.pool,
            [[(f"WARMUP{i}", evs) for evs in warm] for i in range(len(tenants))],
            [[(t, evs) for evs in calls] for t, calls in zip(tenants, per_worker, strict=True)],
            lambda conn, call: limit_append(conn, *call),
        )
        rows = await self.ctx.admin.fetch(
            "SELECT tenant_id, count(*) AS n, min(position) AS lo, max(position) AS hi"
            " FROM bench_events WHERE tenant_id = ANY($1) GROUP BY tenant_id",
            tenants,
        )
        assert sum(r["n"] for r in rows) == wk.n, rows  # noqa: S101
        assert all(r["lo"] == 1 and r["hi"] == r["n"] for r in rows), rows  # noqa: S101
        return sample

    async def read(self, run: int) -> Sample:
        wk = self.ctx.workload
        tenant = f"r{run}read"
        await self._fresh()
        records = [
            (tenant, e.stream_id, e.version, i, e.topic, e.state)
            for i, e in enumerate((c[0] for c in wk.calls(1)), start=1)
        ]
        async with self.pool.acquire() as conn:
            await conn.copy_records_to_table(
                "bench_events",
                records=records,
                columns=["tenant_id", "stream_id", "version", "position", "topic", "state"],
            )
            await conn.execute("VACUUM ANALYZE bench_events")
            return await timed_read_passes(
                self.ctx, lambda: count_row_pages(conn, LIMIT_PAGE, tenant, LIMIT_PAGE_POSITION)
            )
