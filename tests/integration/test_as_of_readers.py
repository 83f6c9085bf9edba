"""An as-of replay lets go of the log's reader as soon as it stops, at its position or failing.

The reader holds a connection (and a page read ahead) while it is suspended; a replay that
stopped without closing it would keep both until the generator is finalised, some time later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from application.ports import RecordedEvent
from domain.ids import TenantId
from infrastructure.database import Pool, create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from projections.as_of import PAGE_SIZE, cases_as_of, replayed
from tests.conftest import new_tenant_id
from tests.integration.events import META, note_events

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_dsns: tuple[str, str]) -> AsyncIterator[Pool]:
    """A pool of the test's own, so that what is idle in it is what the replay gave back."""
    pool = await create_pool(database_dsns[1], min_size=0, max_size=3)
    yield pool
    await asyncio.wait_for(pool.close(), timeout=5)


async def a_log_of_two_pages(pool: Pool, codec: EventCodec) -> tuple[PostgresEventStore, TenantId]:
    store = PostgresEventStore(pool, codec, held_connections=0)
    tenant = new_tenant_id()
    await store.register_tenant(tenant)
    for _ in range(2):  # a note of PAGE_SIZE events each: an append takes at most that many
        await store.append(tenant, note_events(PAGE_SIZE), expected_version=0, metadata=META)
    return store, tenant


async def test_a_replay_that_reaches_its_position_gives_its_connection_back_at_once(
    pool: Pool, codec: EventCodec
) -> None:
    store, tenant = await a_log_of_two_pages(pool, codec)

    assert await cases_as_of(store, tenant, 10) == []  # notes make no case

    assert pool.get_idle_size() == pool.get_size(), "the log's reader kept its connection"


async def test_a_replay_whose_fold_fails_gives_its_connection_back_at_once(
    pool: Pool, codec: EventCodec
) -> None:
    store, tenant = await a_log_of_two_pages(pool, codec)

    def fail(page: list[RecordedEvent]) -> None:
        raise ValueError(f"cannot fold the page from {page[0].position}")

    with pytest.raises(ValueError, match="cannot fold the page from 1"):
        await replayed(store, tenant, PAGE_SIZE + 100, fail)

    assert pool.get_idle_size() == pool.get_size(), "the log's reader kept its connection"
