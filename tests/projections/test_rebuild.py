"""Rebuilds: a new build fills from the log while the old one serves reads, then takes over."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import pytest

from application.ports import RecordedEvent
from domain.ids import TenantId
from infrastructure.database import Connection, Pool, tenant_transaction
from infrastructure.event_store import PostgresEventStore
from projections.builds import active_build
from projections.projection import TableNames, view_name
from projections.rebuild import RebuildProgress, rebuild
from projections.status import projection_status
from tests.integration.events import META, note_events
from tests.projections.conftest import RunnerFactory, eventually, tenant_with_notes
from tests.projections.note_counts import NoteCounts, fetch_note_counts

pytestmark = pytest.mark.integration


class SlowNoteCounts(NoteCounts):
    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        await asyncio.sleep(0.01)
        await super().apply(conn, tenant_id, events, tables)


async def test_a_rebuild_equals_the_incremental_build_and_reads_never_stop_meanwhile(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    first, first_counts = await tenant_with_notes(pg_store, [3, 4, 2, 6])
    second, second_counts = await tenant_with_notes(pg_store, [5, 1])
    counts = NoteCounts()
    await start_runner(pg_store, [counts], poll_interval_s=0.05)
    await eventually(
        lambda: _counts_are(app_pool, counts.name, {first: first_counts, second: second_counts})
    )
    old_build = await _active_build_number(app_pool, counts)
    steps: list[RebuildProgress] = []

    rebuilding = asyncio.create_task(
        rebuild(
            app_pool, pg_store, SlowNoteCounts(counts.name), batch_size=2, progress=steps.append
        )
    )
    reads = 0
    while not rebuilding.done():
        assert await fetch_note_counts(app_pool, counts.name, second) == second_counts
        if reads == 3:  # an append during the rebuild reaches the old build, then the new one
            events = note_events(2)
            await pg_store.append(first, events, expected_version=0, metadata=META)
            first_counts[events[0].event.originator_id] = 2
        reads += 1
        await asyncio.sleep(0.005)
    result = await rebuilding

    assert reads > 3
    assert result.build != old_build
    assert await _active_build_number(app_pool, counts) == result.build
    await eventually(
        lambda: _counts_are(app_pool, counts.name, {first: first_counts, second: second_counts})
    )
    assert steps[-1].done >= steps[-1].total > 0
    assert steps[-1].events_per_s > 0


async def test_a_single_tenant_rebuild_replaces_that_tenants_rows_only(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    damaged, damaged_counts = await tenant_with_notes(pg_store, [2, 3])
    other, _ = await tenant_with_notes(pg_store, [4])
    counts = NoteCounts()
    await start_runner(pg_store, [counts], poll_interval_s=0.05)
    await eventually(lambda: _counts_are(app_pool, counts.name, {damaged: damaged_counts}))
    await eventually(lambda: _has_rows(app_pool, counts.name, other))
    for tenant in (damaged, other):
        async with app_pool.acquire() as conn, tenant_transaction(conn, tenant):
            await conn.execute(f"UPDATE {view_name(counts.name)} SET events = 99")  # noqa: S608

    await rebuild(app_pool, pg_store, NoteCounts(counts.name), tenant_id=damaged)

    assert await fetch_note_counts(app_pool, counts.name, damaged) == damaged_counts
    assert list((await fetch_note_counts(app_pool, counts.name, other)).values()) == [99]
    [row] = await projection_status(app_pool, [counts.name], tenant_id=damaged)
    assert (row.position, row.lag_events) == (5, 0)


async def test_a_new_version_is_built_into_new_tables_by_the_runner_and_then_switched_to(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    tenant, expected = await tenant_with_notes(pg_store, [2, 7])
    first = await start_runner(pg_store, [NoteCounts(name := NoteCounts().name)])
    await eventually(lambda: _counts_are(app_pool, name, {tenant: expected}))
    await first.stop()

    await start_runner(pg_store, [NoteCounts(name, version=2)], poll_interval_s=0.05)

    async def on_version_two() -> bool:
        rows = await projection_status(app_pool, [name], tenant_id=tenant)
        return rows[0].version == 2 and rows[0].lag_events == 0

    await eventually(on_version_two)
    assert await fetch_note_counts(app_pool, name, tenant) == expected
    async with app_pool.acquire() as conn, tenant_transaction(conn, tenant):
        columns = await conn.fetch(f"SELECT * FROM {view_name(name)} LIMIT 1")  # noqa: S608
    assert "first_position" in columns[0]


async def test_read_model_tables_are_row_level_secured_and_their_views_show_one_tenant(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    tenant, expected = await tenant_with_notes(pg_store, [3])
    other, _ = await tenant_with_notes(pg_store, [2])
    counts = NoteCounts()
    await start_runner(pg_store, [counts])
    await eventually(lambda: _counts_are(app_pool, counts.name, {tenant: expected}))
    await eventually(lambda: _has_rows(app_pool, counts.name, other))

    async with app_pool.acquire() as conn:
        build = await active_build(conn, counts)
        assert build is not None
        secured = await conn.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass",
            build.tables[counts.name],
        )
        unscoped = await conn.fetchval(f"SELECT count(*) FROM {view_name(counts.name)}")  # noqa: S608
    assert secured is not None
    assert tuple(secured) == (True, True)
    assert unscoped == 0
    assert await fetch_note_counts(app_pool, counts.name, tenant) == expected


async def test_a_rebuild_walks_past_a_gap_that_tampering_left_in_a_tenants_log(
    app_pool: Pool, pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant, _ = await tenant_with_notes(pg_store, [3, 4])
    admin = await asyncpg.connect(database_dsns[0])
    try:
        await admin.execute("DELETE FROM events WHERE tenant_id = $1 AND position = 4", tenant)
    finally:
        await admin.close()
    counts = NoteCounts()

    await rebuild(app_pool, pg_store, counts, batch_size=2)

    [row] = await projection_status(app_pool, [counts.name], tenant_id=tenant)
    assert (row.position, row.status, row.lag_events) == (7, "running", 0)


async def _counts_are(pool: Pool, name: str, expected: dict[TenantId, object]) -> bool:
    for tenant, counts in expected.items():
        if await fetch_note_counts(pool, name, tenant) != counts:
            return False
    return True


async def _has_rows(pool: Pool, name: str, tenant: TenantId) -> bool:
    return bool(await fetch_note_counts(pool, name, tenant))


async def _active_build_number(pool: Pool, counts: NoteCounts) -> int:
    async with pool.acquire() as conn:
        build = await active_build(conn, counts)
    assert build is not None
    return build.build
