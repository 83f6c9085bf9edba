"""The restore drill: dump a database with demo tenants, restore it elsewhere, verify it all."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure.backup import dump, restore
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from tests.conftest import new_database
from tests.operations.databases import demo_database

SOURCE, RESTORED = "passend_backup_source", "passend_backup_restored"


async def heads_and_chains(
    app_dsn: str, tenants: list[TenantId]
) -> dict[TenantId, tuple[int, bytes]]:
    """Each tenant's head, after checking that its whole hash chain verifies."""
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool, EventCodec(AGGREGATE_CLASSES))
        found: dict[TenantId, tuple[int, bytes]] = {}
        for tenant in tenants:
            verification = await store.verify_chain(tenant)
            assert verification.intact, verification
            head = await store.head(tenant)
            assert verification.verified_up_to == head.last_position
            found[tenant] = (head.last_position, head.chain_hash)
        await store.close()
        return found
    finally:
        await pool.close()


async def test_a_restored_dump_holds_every_event_and_every_chain_verifies(
    admin_dsn: str, tmp_path: Path
) -> None:
    source_admin, source_app, summary = await demo_database(admin_dsn, SOURCE)
    tenants = [t.tenant_id for t in summary.tenants]
    before = await heads_and_chains(source_app, tenants)
    assert all(position > 0 for position, _ in before.values())

    backup = dump(source_admin, tmp_path / "passend.dump")
    restored_admin, restored_app = await new_database(admin_dsn, RESTORED)
    restore(backup, restored_admin)

    assert await heads_and_chains(restored_app, tenants) == before
    source, copy = await asyncpg.connect(source_admin), await asyncpg.connect(restored_admin)
    try:
        query = "SELECT count(*), count(DISTINCT key_ref) FROM events"
        assert await copy.fetchrow(query) == await source.fetchrow(query)
        keys = "SELECT count(*) FROM subject_keys"
        assert await copy.fetchval(keys) == await source.fetchval(keys) > 0
    finally:
        await source.close()
        await copy.close()
