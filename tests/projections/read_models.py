"""Helpers for the read models' tests: the three projections, waiting for them, their rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from domain.ids import TenantId
from infrastructure.database import Pool, tenant_transaction
from infrastructure.event_store import PostgresEventStore
from projections.builds import Build, create_build, drop_build
from projections.catch_up import catch_up
from projections.deadlines_due import DeadlinesDueProjection
from projections.municipality_figures import MunicipalityFiguresProjection
from projections.projection import Projection
from projections.school_caseload import SchoolCaseloadProjection
from projections.status import projection_status

READ_MODELS: tuple[Projection, ...] = (
    SchoolCaseloadProjection(),
    DeadlinesDueProjection(),
    MunicipalityFiguresProjection(),
)

Rows = dict[str, list[tuple[Any, ...]]]


async def caught_up(
    pool: Pool, tenant_id: TenantId, projections: Sequence[Projection] = READ_MODELS
) -> bool:
    """Whether every projection's active build has applied the tenant's whole log."""
    rows = await projection_status(pool, [p.name for p in projections], tenant_id=tenant_id)
    for row in rows:
        if row.failed:
            pytest.fail(f"{row.projection} stopped: {row.error}")
    return len(rows) == len(projections) and all(
        row.build is not None and row.lag_events == 0 for row in rows
    )


async def scratch_build(
    pool: Pool,
    store: PostgresEventStore,
    projection: Projection,
    tenant_id: TenantId,
    *,
    batch_size: int,
) -> Build:
    """A private build of ``projection`` for one tenant, caught up in pages of ``batch_size``."""
    async with pool.acquire() as conn:
        build = await create_build(conn, projection, tenant_id=tenant_id)
    await advance(pool, store, projection, build, tenant_id, batch_size=batch_size)
    return build


async def advance(
    pool: Pool,
    store: PostgresEventStore,
    projection: Projection,
    build: Build,
    tenant_id: TenantId,
    *,
    batch_size: int,
) -> None:
    result = await catch_up(pool, store, projection, build, tenant_id, batch_size=batch_size)
    assert result.error is None, result.error


async def rows_of(pool: Pool, build: Build, tenant_id: TenantId) -> Rows:
    """Every row of the build's tables for the tenant, sorted, to compare two builds."""
    found: Rows = {}
    async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
        for table, physical in build.tables.physical.items():
            records = await conn.fetch(f"SELECT * FROM {physical} WHERE tenant_id = $1", tenant_id)  # noqa: S608
            found[table] = sorted((tuple(r.values()) for r in records), key=repr)
    return found


async def drop(pool: Pool, *builds: Build) -> None:
    async with pool.acquire() as conn:
        for build in builds:
            await drop_build(conn, build)
