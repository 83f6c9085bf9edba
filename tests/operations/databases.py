"""Fresh databases on the suite's server, for tests that dump, restore or delete whole tenants."""

from __future__ import annotations

from datetime import date

from application.demo import DemoSummary, seed_demo
from domain.registry import AGGREGATE_CLASSES
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.system import SystemClock
from projections.rebuild import rebuild
from projections.registry import PROJECTIONS
from tests.conftest import migrated_database


async def demo_database(admin_dsn: str, name: str) -> tuple[str, str, DemoSummary]:
    """A migrated database with the demo tenants and every read model built."""
    admin, app = await migrated_database(admin_dsn, name)
    pool = await create_pool(app, min_size=1, max_size=4)
    try:
        store = PostgresEventStore(pool, EventCodec(AGGREGATE_CLASSES))
        summary = await seed_demo(store, SystemClock(), today=date(2025, 11, 3))
        for projection in PROJECTIONS:
            await rebuild(pool, store, projection)
        await store.close()
    finally:
        await pool.close()
    return admin, app, summary
