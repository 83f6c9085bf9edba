"""Every event is applied exactly once: across crashes, restarts and competing runners."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from application.ports import RecordedEvent
from domain.ids import TenantId
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Connection, Pool, create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from projections.builds import active_build, create_build
from projections.catch_up import catch_up
from projections.projection import TableNames
from projections.status import projection_status
from tests.integration.events import META, note_events
from tests.projections.conftest import RunnerFactory, eventually, tenant_with_notes
from tests.projections.note_counts import NoteCounts, fetch_note_counts

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


class SimulatedCrashError(BaseException):
    """Not an Exception: like a killed process, nothing in the runner may handle it."""


class CrashingNoteCounts(NoteCounts):
    """Writes its rows for a page, then dies before the transaction commits."""

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        await super().apply(conn, tenant_id, events, tables)
        if events[-1].position > 4:
            raise SimulatedCrashError


async def test_a_crash_between_applying_and_committing_applies_nothing_twice_after_restart(
    app_pool: Pool, pg_store: PostgresEventStore
) -> None:
    tenant, expected = await tenant_with_notes(pg_store, [3, 4, 2])
    crashing = CrashingNoteCounts()
    async with app_pool.acquire() as conn:
        build = await create_build(conn, crashing, active=True)

    with pytest.raises(SimulatedCrashError):
        await catch_up(app_pool, pg_store, crashing, build, tenant, batch_size=4)

    [row] = await projection_status(app_pool, [crashing.name], tenant_id=tenant)
    assert row.position == 4  # the first page committed, the second died with its rows
    restarted = NoteCounts(crashing.name)
    result = await catch_up(app_pool, pg_store, restarted, build, tenant, batch_size=4)
    assert (result.position, result.applied, result.error) == (9, 5, None)
    assert await fetch_note_counts(app_pool, crashing.name, tenant) == expected


async def test_a_killed_process_mid_transaction_leaves_nothing_applied_twice(
    app_pool: Pool, pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant, expected = await tenant_with_notes(pg_store, [5, 5])
    counts = NoteCounts()
    async with app_pool.acquire() as conn:
        await create_build(conn, counts, active=True)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HANGING_CHILD,
        database_dsns[1],
        counts.name,
        tenant,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    assert await asyncio.wait_for(child.stdout.readline(), 30) == b"applied, not committed\n"
    child.send_signal(signal.SIGKILL)
    await child.wait()

    async with app_pool.acquire() as conn:
        build = await active_build(conn, counts)
    assert build is not None
    result = await catch_up(app_pool, pg_store, counts, build, tenant, batch_size=100)
    assert (result.position, result.applied) == (10, 10)
    assert await fetch_note_counts(app_pool, counts.name, tenant) == expected


_HANGING_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from domain.registry import AGGREGATE_CLASSES
    from infrastructure.database import create_pool
    from infrastructure.event_codec import EventCodec
    from infrastructure.event_store import PostgresEventStore
    from projections.builds import active_build
    from projections.catch_up import catch_up
    from tests.projections.note_counts import NoteCounts
    from tests.sample_aggregate import Note

    class Hanging(NoteCounts):
        async def apply(self, conn, tenant_id, events, tables):
            await super().apply(conn, tenant_id, events, tables)
            print("applied, not committed", flush=True)
            await asyncio.sleep(60)

    async def main(dsn, name, tenant):
        pool = await create_pool(dsn)
        store = PostgresEventStore(pool, EventCodec([*AGGREGATE_CLASSES, Note]))
        projection = Hanging(name)
        async with pool.acquire() as conn:
            build = await active_build(conn, projection)
        await catch_up(pool, store, projection, build, tenant, batch_size=100)

    asyncio.run(main(*sys.argv[1:]))
    """
)


async def test_two_runners_on_separate_connections_never_apply_one_tenant_twice(
    database_dsns: tuple[str, str], codec: EventCodec, start_runner: RunnerFactory
) -> None:
    pools = [await create_pool(database_dsns[1], max_size=8) for _ in range(2)]
    runners = []
    try:
        stores = [PostgresEventStore(pool, codec) for pool in pools]
        notifier = CommitNotifier(pools[0], delay_s=0.005)
        stores[0].on_commit(notifier.commit)
        name = NoteCounts().name
        copies = [NoteCounts(name), NoteCounts(name)]
        for pool, store, copy in zip(pools, stores, copies, strict=True):
            runners.append(
                await start_runner(
                    store, [copy], pool=pool, poll_interval_s=0.02, lease_retry_s=0.001
                )
            )
        tenants = [new for new, _ in [await tenant_with_notes(stores[0], [1]) for _ in range(4)]]

        async def write(tenant: TenantId) -> None:
            for _ in range(25):
                await stores[0].append(tenant, note_events(2), expected_version=0, metadata=META)

        await asyncio.gather(*(write(tenant) for tenant in tenants))

        async def caught_up() -> bool:
            rows = await projection_status(pools[0], [name])
            return all(r.lag_events == 0 for r in rows if r.tenant_id in tenants)

        await eventually(caught_up)
        await notifier.aclose()
        for tenant in tenants:
            counts = await fetch_note_counts(pools[0], name, tenant)
            assert sorted(counts.values()) == [1] + [2] * 25
            assert copies[0].calls[tenant] + copies[1].calls[tenant] == 51
        assert all(copy.calls for copy in copies), "both runners took part"
    finally:
        for runner in runners:
            await runner.stop()  # before its pool closes: it holds a connection
        for pool in pools:
            await pool.close()
