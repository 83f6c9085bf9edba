"""The runner against a real PostgreSQL: catching up, waking up, failing loudly, resuming."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from domain.ids import TenantId
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from projections.status import projection_status
from tests.integration.events import META, note_events
from tests.projections.conftest import RunnerFactory, eventually, tenant_with_notes
from tests.projections.note_counts import NoteCounts, fetch_note_counts

pytestmark = pytest.mark.integration


async def test_runner_catches_every_tenant_up_with_what_was_appended_before_it_started(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    first, first_counts = await tenant_with_notes(pg_store, [3, 1, 4])
    second, second_counts = await tenant_with_notes(pg_store, [2, 5])
    counts = NoteCounts()

    await start_runner(pg_store, [counts])

    async def caught_up() -> bool:
        return (
            await fetch_note_counts(app_pool, counts.name, first) == first_counts
            and await fetch_note_counts(app_pool, counts.name, second) == second_counts
        )

    await eventually(caught_up)
    rows = await projection_status(app_pool, [counts.name], tenant_id=first)
    assert [(r.position, r.head, r.lag_events, r.lag_seconds, r.status) for r in rows] == [
        (8, 8, 0, 0.0, "running")
    ]


async def test_an_append_is_visible_in_the_read_model_well_before_the_next_poll(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    tenant, _ = await tenant_with_notes(pg_store, [1])
    counts = NoteCounts()
    await start_runner(pg_store, [counts], poll_interval_s=60.0)
    await eventually(lambda: _has_streams(app_pool, counts, tenant, 1))

    # The next poll is a minute away: each append wakes the runner itself (eventually waits 10 s).
    for streams in range(2, 7):
        await pg_store.append(tenant, note_events(1), expected_version=0, metadata=META)
        await eventually(_stream_count_is(app_pool, counts, tenant, streams))


async def test_a_commit_in_another_process_wakes_the_runner_through_notify(
    app_pool: Pool, codec: EventCodec, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    tenant, _ = await tenant_with_notes(pg_store, [1])
    counts = NoteCounts()
    await start_runner(pg_store, [counts], poll_interval_s=60.0)
    await eventually(lambda: _has_streams(app_pool, counts, tenant, 1))
    elsewhere = PostgresEventStore(app_pool, codec)  # not the runner's store: no in-process wake
    notifier = CommitNotifier(app_pool)
    elsewhere.on_commit(notifier.commit)

    await elsewhere.append(tenant, note_events(1), expected_version=0, metadata=META)

    # The next poll is a minute away: only the notification can wake the runner this soon.
    await eventually(lambda: _has_streams(app_pool, counts, tenant, 2), timeout_s=15)
    await notifier.aclose()


async def test_a_failing_event_stops_that_tenant_at_the_event_before_while_others_go_on(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    broken, _ = await tenant_with_notes(pg_store, [2])
    await pg_store.append(
        broken, note_events(3, text="boom"), expected_version=0, metadata=META
    )  # positions 3, 4, 5: the write at 4 cannot be counted
    healthy, healthy_counts = await tenant_with_notes(pg_store, [2, 3])
    counts = NoteCounts(fail_on_text="boom0")
    runner = await start_runner(pg_store, [counts], poll_interval_s=0.05)

    await eventually(
        lambda: _equals(fetch_note_counts(app_pool, counts.name, healthy), healthy_counts)
    )
    await eventually(lambda: _status_is(app_pool, counts, broken, "failed"))

    [row] = await projection_status(app_pool, [counts.name], tenant_id=broken)
    assert (row.position, row.failed_position, row.lag_events) == (3, 4, 2)
    assert row.error is not None
    assert "position 4" in row.error
    assert "cannot count a note that says 'boom0'" in row.error
    assert row.lag_seconds > 0
    assert (counts.name, broken) in runner.health().failures
    assert not runner.health().ok
    calls_after_failure = counts.calls[broken]
    await pg_store.append(broken, note_events(1), expected_version=0, metadata=META)
    await eventually(lambda: _status_is(app_pool, counts, healthy, "running"))
    await pg_store.append(healthy, note_events(1), expected_version=0, metadata=META)
    await eventually(lambda: _has_streams(app_pool, counts, healthy, 3))
    assert counts.calls[broken] == calls_after_failure  # stopped, not retried in a loop

    counts.fail_on_text = None  # the read model is fixed
    assert await runner.resume(counts.name, broken)
    await eventually(lambda: _status_is(app_pool, counts, broken, "running"))
    await eventually(lambda: _has_streams(app_pool, counts, broken, 3))
    assert sorted((await fetch_note_counts(app_pool, counts.name, broken)).values()) == [1, 2, 3]
    assert runner.health().ok


async def test_read_models_of_a_tenant_caught_up_together_stop_only_where_one_fails(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    tenant, _ = await tenant_with_notes(pg_store, [2])
    await pg_store.append(tenant, note_events(3, text="boom"), expected_version=0, metadata=META)
    fragile, sturdy = NoteCounts(fail_on_text="boom0"), NoteCounts()
    await start_runner(pg_store, [fragile, sturdy], poll_interval_s=0.05)

    await eventually(lambda: _status_is(app_pool, fragile, tenant, "failed"))
    await eventually(lambda: _has_streams(app_pool, sturdy, tenant, 2))
    await pg_store.append(tenant, note_events(2), expected_version=0, metadata=META)

    await eventually(lambda: _has_streams(app_pool, sturdy, tenant, 3))
    rows = await projection_status(app_pool, [fragile.name, sturdy.name], tenant_id=tenant)
    where = {row.projection: (row.position, row.status) for row in rows}
    assert where == {fragile.name: (3, "failed"), sturdy.name: (7, "running")}
    assert sorted((await fetch_note_counts(app_pool, sturdy.name, tenant)).values()) == [2, 2, 3]


async def _has_streams(pool: Pool, counts: NoteCounts, tenant: TenantId, streams: int) -> bool:
    return len(await fetch_note_counts(pool, counts.name, tenant)) == streams


async def _status_is(pool: Pool, counts: NoteCounts, tenant: TenantId, status: str) -> bool:
    rows = await projection_status(pool, [counts.name], tenant_id=tenant)
    return (
        bool(rows) and rows[0].status == status and (status == "failed" or rows[0].lag_events == 0)
    )


async def _equals(value: Awaitable[object], expected: object) -> bool:
    return await value == expected


def _stream_count_is(
    pool: Pool, counts: NoteCounts, tenant: TenantId, streams: int
) -> Callable[[], Awaitable[bool]]:
    return lambda: _has_streams(pool, counts, tenant, streams)
