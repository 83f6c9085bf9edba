"""Entry points for ``passend projections run`` and ``passend projections rebuild``.

Both take the application DSN only: a projections process never needs the admin role. The
separate process is woken by other processes' NOTIFYs and by polling; it appends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from domain.ids import TenantId
from infrastructure.database import create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.wake_ups import stop_event
from projections.projection import Projection
from projections.rebuild import ProgressCallback, RebuildResult, rebuild
from projections.runner import ProjectionRunner


async def run_projections_process(  # noqa: PLR0913 - what the CLI passes through
    app_dsn: str,
    projections: Sequence[Projection],
    codec: EventCodec,
    *,
    stop: asyncio.Event | None = None,
    poll_interval_s: float = 1.0,
    pool_size: int = 8,
) -> None:
    """Run a projection runner until ``stop`` is set, or until SIGINT/SIGTERM without one."""
    stop = stop_event(stop)
    pool = await create_pool(app_dsn, min_size=2, max_size=pool_size)
    try:
        store = PostgresEventStore(pool, codec)
        runner = ProjectionRunner(pool, store, projections, poll_interval_s=poll_interval_s)
        await runner.start()
        try:
            await stop.wait()
        finally:
            await runner.stop()
            await store.close()
    finally:
        await pool.close()


async def rebuild_projection(
    app_dsn: str,
    projection: Projection,
    codec: EventCodec,
    *,
    tenant_id: TenantId | None = None,
    progress: ProgressCallback | None = None,
) -> RebuildResult:
    """Rebuild one projection (for one tenant, or all) in this process."""
    pool = await create_pool(app_dsn, min_size=2, max_size=4)
    try:
        return await rebuild(
            pool,
            PostgresEventStore(pool, codec),
            projection,
            tenant_id=tenant_id,
            progress=progress,
        )
    finally:
        await pool.close()
