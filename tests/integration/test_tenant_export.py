"""A tenant's export (offboarding) reads its log page by page and lets go of it when it fails."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.offboarding import export_tenant
from tests.conftest import new_tenant_id
from tests.integration.events import META, note_events

pytestmark = pytest.mark.integration

FULL_DISK = Path("/dev/full")  # every write that reaches it fails with ENOSPC


async def test_an_export_that_fails_part_way_gives_its_connection_back_at_once(
    database_dsns: tuple[str, str], codec: EventCodec
) -> None:
    pool = await create_pool(database_dsns[1], min_size=0, max_size=2)
    try:
        store = PostgresEventStore(pool, codec, held_connections=0)
        tenant = new_tenant_id()
        await store.register_tenant(tenant)
        # more than a page: the failing write meets a read of the next page in flight
        await store.append(tenant, note_events(600), expected_version=0, metadata=META)
        with pytest.raises(OSError, match="No space left"):
            await export_tenant(store, tenant, FULL_DISK)
        assert pool.get_idle_size() == pool.get_size(), "the log's reader kept its connection"
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)
