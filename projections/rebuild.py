"""Rebuilding a read model from the log while the current build keeps serving reads.

A full rebuild fills a new build for every tenant, then takes each tenant's lease (the runner
holds one only while it catches up), applies what arrived meanwhile, and re-points the views in
one transaction. A single-tenant rebuild fills a scratch build for that tenant, then, under the
tenant's lease, replaces the tenant's rows of the active build and its tracked position in one
transaction. Either way a query sees the old rows or the new ones, never a mix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from application.ports import EventStore
from domain.ids import TenantId
from infrastructure.database import Connection, Pool, tenant_transaction
from projections.builds import Build, active_build, create_build, drop_build, drop_stale_builds
from projections.builds import switch_to as switch_views
from projections.catch_up import catch_up
from projections.lease import Leases, builder_lease, tenant_lease
from projections.projection import Projection

REBUILD_BATCH_SIZE = 5_000


class RebuildError(RuntimeError):
    """A rebuild could not start or finish; the active build is unchanged."""


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """How far a rebuild is: events applied of those in the log when it started."""

    projection: str
    tenant_id: TenantId | None
    done: int
    total: int
    elapsed_s: float

    @property
    def events_per_s(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class RebuildResult:
    projection: str
    build: int
    events: int
    seconds: float


ProgressCallback = Callable[[RebuildProgress], None]


async def tenant_heads(conn: Connection, tenant_id: TenantId | None = None) -> dict[TenantId, int]:
    """Every tenant's last position (or just ``tenant_id``'s), across row-level security."""
    rows = await conn.fetch("SELECT tenant_id, last_position FROM passend_tenants()")
    heads = {TenantId(row["tenant_id"]): row["last_position"] for row in rows}
    if tenant_id is None:
        return heads
    if tenant_id not in heads:
        raise RebuildError(f"no tenant {tenant_id}")
    return {tenant_id: heads[tenant_id]}


async def rebuild(  # noqa: PLR0913 - the collaborators and the knobs of one rebuild
    pool: Pool,
    store: EventStore,
    projection: Projection,
    *,
    tenant_id: TenantId | None = None,
    batch_size: int = REBUILD_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    lease_timeout_s: float = 60.0,
) -> RebuildResult:
    """Build ``projection`` anew from the log (for one tenant, or all) and switch to it."""
    started = time.perf_counter()
    async with pool.acquire() as control:
        leases = Leases(control)
        if not await leases.try_acquire(builder_lease(projection.name)):
            raise RebuildError(f"a rebuild of {projection.name} is already running")
        try:
            rebuilder = _Rebuilder(
                pool=pool,
                store=store,
                projection=projection,
                leases=leases,
                batch_size=batch_size,
                lease_timeout_s=lease_timeout_s,
            )
            build = await rebuilder.run(tenant_id, progress)
        finally:
            await leases.release(builder_lease(projection.name))
    seconds = time.perf_counter() - started
    return RebuildResult(projection.name, build.build, rebuilder.done, seconds)


class _Rebuilder:
    def __init__(  # noqa: PLR0913
        self,
        *,
        pool: Pool,
        store: EventStore,
        projection: Projection,
        leases: Leases,
        batch_size: int,
        lease_timeout_s: float,
    ) -> None:
        self.pool = pool
        self.store = store
        self.projection = projection
        self.leases = leases
        self.batch_size = batch_size
        self.lease_timeout_s = lease_timeout_s
        self.done = 0
        self._report: Callable[[int], None] = lambda _: None

    async def run(self, tenant_id: TenantId | None, progress: ProgressCallback | None) -> Build:
        started = time.perf_counter()
        control, projection = self.leases.connection, self.projection
        await drop_stale_builds(control, projection)
        heads = await tenant_heads(control, tenant_id)
        if tenant_id is not None:
            active = await active_build(control, projection)
            if active is None:
                raise RebuildError(
                    f"{projection.name} has no active build yet: rebuild all tenants"
                )
            if active.version != projection.version:
                raise RebuildError(f"{projection.name} has a new version: rebuild all tenants")
        total = sum(heads.values())

        def count(applied: int) -> None:
            self.done += applied
            if progress is not None:
                elapsed = time.perf_counter() - started
                progress(RebuildProgress(projection.name, tenant_id, self.done, total, elapsed))

        self._report = count
        build = await create_build(control, projection, tenant_id=tenant_id)
        try:
            for tenant in heads:
                await self._fill(build, tenant)
            if tenant_id is None:
                await self._switch(build)
            else:
                await self._merge(build, tenant_id)
        except BaseException:
            await drop_build(control, build)
            raise
        await drop_stale_builds(control, projection)
        return build

    async def _fill(self, build: Build, tenant_id: TenantId) -> int:
        result = await catch_up(
            self.pool,
            self.store,
            self.projection,
            build,
            tenant_id,
            batch_size=self.batch_size,
            on_page=self._report,
        )
        if result.error is not None:
            raise RebuildError(result.error)
        return result.position

    async def _switch(self, build: Build) -> None:
        """Under every tenant's lease: apply what arrived meanwhile, then re-point the views."""
        tenants = sorted(await tenant_heads(self.leases.connection))
        held: list[int] = []
        try:
            for tenant in tenants:
                key = tenant_lease(self.projection.name, tenant)
                await self.leases.acquire(key, timeout_s=self.lease_timeout_s)
                held.append(key)
                await self._fill(build, tenant)
            await switch_views(self.leases.connection, build)
        finally:
            for key in held:
                await self.leases.release(key)

    async def _merge(self, scratch: Build, tenant_id: TenantId) -> None:
        """Under the tenant's lease: replace its rows and position in the active build."""
        key = tenant_lease(self.projection.name, tenant_id)
        await self.leases.acquire(key, timeout_s=self.lease_timeout_s)
        try:
            position = await self._fill(scratch, tenant_id)
            active = await active_build(self.leases.connection, self.projection)
            if active is None or active.version != scratch.version:
                raise RebuildError(f"the active build of {self.projection.name} changed meanwhile")
            async with self.pool.acquire() as conn, tenant_transaction(conn, tenant_id):
                for table in self.projection.tables:
                    target, source = active.tables[table], scratch.tables[table]
                    await conn.execute(f"DELETE FROM {target} WHERE tenant_id = $1", tenant_id)  # noqa: S608
                    await conn.execute(
                        f"INSERT INTO {target} SELECT * FROM {source} WHERE tenant_id = $1",  # noqa: S608
                        tenant_id,
                    )
                await conn.execute(
                    _RESET_TRACKING, tenant_id, self.projection.name, active.build, position
                )
        finally:
            await self.leases.release(key)
        await drop_build(self.leases.connection, scratch)


_RESET_TRACKING = (
    "INSERT INTO projection_tracking (tenant_id, projection, build, position)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, projection, build) DO UPDATE"
    " SET position = excluded.position, status = 'running', error = NULL,"
    " failed_position = NULL, updated_at = now()"
)
