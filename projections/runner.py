"""The projection runner: keeps each projection's active build caught up with each tenant's log.

One asyncio task per tenant waits to be woken, then catches every projection up, each under
its (projection, tenant) lease. Wake-ups come from this process's store right after a commit
(``wake``), from other processes through ``LISTEN passend_commits``, and from a poll every
``poll_interval_s`` that finds whatever lags; nothing loops without waiting. A failing event
stops that projection for that tenant only; it is retried by ``resume`` or a restart.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from application.ports import EventStore
from domain.ids import TenantId
from infrastructure import metrics
from infrastructure.commit_notifier import COMMITS_CHANNEL, parse_commit_payload
from infrastructure.connection_loss import Backoff, database_lost
from infrastructure.database import (
    Pool,
    PooledConnection,
    is_open,
    listen,
    scoped_connection,
    stop_listening,
)
from infrastructure.event_store import PostgresEventStore
from projections.builds import active_build, build_of, create_build
from projections.catch_up import Tracked, catch_up_together
from projections.lease import Leases, tenant_lease
from projections.projection import Projection
from projections.rebuild import REBUILD_BATCH_SIZE, RebuildError, rebuild
from projections.status import ProjectionStatus, projection_status, resume_projection

log = logging.getLogger("passend.projections")

Pair = tuple[str, TenantId]
_POSITIONS = (
    "SELECT p.projection, x.* FROM unnest($2::text[]) AS p(projection),"
    " LATERAL passend_projection_position($1, p.projection) AS x"
)


@dataclass(frozen=True, slots=True)
class RunnerHealth:
    """What ``/health`` shows: stopped (projection, tenant) pairs and failed rebuilds."""

    running: bool
    failures: Mapping[Pair, str]
    rebuild_errors: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return self.running and not self.failures and not self.rebuild_errors


class ProjectionRunner:
    """Start with ``start()``; stop with ``stop()``. Several may run, in several processes."""

    def __init__(  # noqa: PLR0913 - the collaborators and the knobs
        self,
        pool: Pool,
        store: EventStore,
        projections: Sequence[Projection],
        *,
        poll_interval_s: float = 1.0,
        batch_size: int = 500,
        max_batch_size: int = REBUILD_BATCH_SIZE,
        concurrency: int = 4,
        lease_retry_s: float = 0.05,
    ) -> None:
        if len({p.name for p in projections}) != len(projections):
            raise ValueError("projection names must be unique")
        self._pool = pool
        self._store = store
        self._projections = tuple(projections)
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._max_batch_size = max_batch_size
        self._lease_retry_s = lease_retry_s
        self._slots = asyncio.Semaphore(concurrency)
        self._wakes: dict[TenantId, asyncio.Event] = {}
        self._tasks: dict[TenantId, asyncio.Task[None]] = {}
        self._applied: dict[Pair, int] = {}
        self._lags: dict[Pair, tuple[int, float]] = {}
        self._named: dict[TenantId, int] = {}  # the highest position a wake named, per tenant
        self._passing: dict[TenantId, int] = {}  # a running pass reads at least up to this
        self._failures: dict[Pair, str] = {}
        self._rebuilds: dict[str, asyncio.Task[None]] = {}
        self._rebuild_errors: dict[str, str] = {}
        self._control: PooledConnection | None = None
        self._leases: Leases | None = None
        self._poller: asyncio.Task[None] | None = None
        self._running = False
        self._listeners: list[Callable[[str, TenantId, int], None]] = []
        if isinstance(store, PostgresEventStore):
            store.on_commit(self.wake)

    @property
    def projection_names(self) -> list[str]:
        return [p.name for p in self._projections]

    def on_applied(self, listener: Callable[[str, TenantId, int], None]) -> None:
        """Call ``listener(projection, tenant, position)`` after each catch-up here."""
        self._listeners.append(listener)

    def health(self) -> RunnerHealth:
        return RunnerHealth(self._running, dict(self._failures), dict(self._rebuild_errors))

    async def start(self) -> None:
        """Install missing builds, retry what failed before, then listen and poll."""
        await self._connect_control()
        await self._check_builds()
        for row in await projection_status(self._pool, self.projection_names):
            if row.failed:
                log.warning("retrying %s for %s after a restart", row.projection, row.tenant_id)
                await resume_projection(self._pool, row.projection, row.tenant_id)
        self._running = True
        self._poller = asyncio.create_task(self._poll_forever(), name="projections-poll")

    async def stop(self) -> None:
        self._running = False
        tasks = [t for t in (self._poller, *self._tasks.values(), *self._rebuilds.values()) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._wakes.clear()
        await self._release_control()

    async def resume(self, projection: str, tenant_id: TenantId) -> bool:
        """Retry a projection stopped for a tenant; False if it was not stopped."""
        resumed = await resume_projection(self._pool, projection, tenant_id)
        self._failures.pop((projection, tenant_id), None)
        self.wake(tenant_id)
        return resumed

    def wake(self, tenant_id: TenantId, position: int | None = None) -> None:
        """Catch ``tenant_id`` up soon; skipped if ``position`` is known to be applied."""
        if not self._running:
            return
        if position is not None:
            if all(
                self._applied.get((p.name, tenant_id), -1) >= position for p in self._projections
            ):
                return
            # A pass that began after this position was named reads it: a commit's own NOTIFY
            # (about 15 ms after the commit woke the runner) needs no second pass.
            if position <= self._passing.get(tenant_id, -1):
                return
            self._named[tenant_id] = max(position, self._named.get(tenant_id, 0))
        wake = self._wakes.get(tenant_id)
        if wake is None:
            wake = self._wakes[tenant_id] = asyncio.Event()
            # A fresh context: the request whose commit woke it is not this task's request.
            self._tasks[tenant_id] = asyncio.create_task(
                self._work(tenant_id, wake),
                name=f"projections-{tenant_id}",
                context=contextvars.Context(),
            )
        wake.set()

    async def _work(self, tenant_id: TenantId, wake: asyncio.Event) -> None:
        # Short waits: once the database is back, every tenant must catch up within seconds.
        backoff = Backoff(first_s=0.1, max_s=2.0)
        while True:
            await wake.wait()
            wake.clear()
            self._passing[tenant_id] = self._named.get(tenant_id, 0)
            try:
                async with self._slots:
                    busy = await self._catch_up_tenant(tenant_id)
                backoff.reset()
                delay = self._lease_retry_s if busy else None
            except Exception as error:
                delay = backoff.next_delay()
                log.warning(
                    "catching up %s failed (%s: %s); retrying in %.1fs",
                    tenant_id,
                    type(error).__name__,
                    error,
                    delay,
                    exc_info=not database_lost(error),
                )
            finally:
                self._passing.pop(tenant_id, None)
            if delay is not None:  # someone else holds a lease, or the database is in trouble
                await asyncio.sleep(delay)
                wake.set()

    async def _catch_up_tenant(self, tenant_id: TenantId) -> bool:
        """One pass over the projections; True if some lease was held by another worker.

        The pass takes its leases, reads the tracked positions and gives the leases back in one
        round trip each, and catches every projection it holds up together: one read of each
        page of the log and one transaction for all of them (``catch_up_together``).
        """
        leases = self._leases
        wanted = [p for p in self._projections if (p.name, tenant_id) not in self._failures]
        if leases is None or not wanted:
            return False
        keys = [tenant_lease(p.name, tenant_id) for p in wanted]
        held = await leases.try_acquire_many(keys)
        mine = [p for p, ok in zip(wanted, held, strict=True) if ok]
        try:
            if mine:
                await self._catch_up_projections(tenant_id, mine)
        finally:
            await leases.release_many([k for k, ok in zip(keys, held, strict=True) if ok])
        return len(mine) < len(wanted)

    async def _catch_up_projections(
        self, tenant_id: TenantId, projections: Sequence[Projection]
    ) -> None:
        async with scoped_connection(self._pool) as conn:
            rows = {
                row["projection"]: row
                for row in await conn.fetch(_POSITIONS, tenant_id, [p.name for p in projections])
            }
        builds = [
            Tracked(
                projection,
                build_of(projection, row["build"], row["version"], "active", None),
                row["position"],
                row["status"],
            )
            for projection in projections
            if (row := rows.get(projection.name)) is not None
            and row["version"] == projection.version
        ]
        results = await catch_up_together(
            self._pool,
            self._store,
            tenant_id,
            builds,
            batch_size=self._batch_size,
            max_batch_size=self._max_batch_size,
        )
        for name, result in results.items():
            pair = (name, tenant_id)
            self._applied[pair] = result.position
            for listener in self._listeners:
                listener(name, tenant_id, result.position)
            if result.error is not None:
                self._failures[pair] = result.error

    async def _poll_forever(self) -> None:
        # While the database is away, poll (and so reconnect) with a short backoff instead.
        backoff = Backoff(first_s=0.1, max_s=min(2.0, self._poll_interval_s))
        while True:
            try:
                await self._poll()
            except Exception as error:  # noqa: BLE001 - any failure: log once per kind, retry
                log.warning("projection poll failed: %s: %s", type(error).__name__, error)
                await backoff.wait()
                continue
            backoff.reset()
            await asyncio.sleep(self._poll_interval_s)

    @property
    def connected(self) -> bool:
        """True while the control connection (listener and leases) is open."""
        return is_open(self._control)

    async def _poll(self) -> None:
        if not is_open(self._control):
            await self._release_control()
            await self._connect_control()
        rows = await projection_status(self._pool, self.projection_names)
        versions = {p.name: p.version for p in self._projections}
        if any(row.version != versions[row.projection] for row in rows):
            await self._check_builds()
        for row in rows:
            self._note(row)

    def _note(self, row: ProjectionStatus) -> None:
        pair = (row.projection, row.tenant_id)
        self._applied[pair] = row.position
        # A pair without a build yet has no lag in seconds. A gauge is set only when its value
        # changed: most pairs stand still at no lag, and setting each one's took longer than
        # reading them.
        lag = (row.head - row.position, row.lag_seconds or 0.0)
        if self._lags.get(pair) != lag:
            self._lags[pair] = lag
            metrics.record_projection_lag(row.projection, row.tenant_id, *lag)
        if row.failed:
            self._failures[pair] = row.error or "stopped"
            return
        self._failures.pop(pair, None)
        if row.build is not None and row.position < row.head:
            self.wake(row.tenant_id)

    async def _check_builds(self) -> None:
        async with self._pool.acquire() as conn:
            for projection in self._projections:
                build = await active_build(conn, projection)
                if build is None:
                    await create_build(conn, projection, active=True)
                elif build.version < projection.version:
                    self._start_rebuild(projection)
                elif build.version > projection.version:
                    log.warning("%s: a newer version is active; not applying", projection.name)

    def _start_rebuild(self, projection: Projection) -> None:
        running = self._rebuilds.get(projection.name)
        if projection.name in self._rebuild_errors or (running and not running.done()):
            return
        self._rebuilds[projection.name] = asyncio.create_task(self._rebuild(projection))

    async def _rebuild(self, projection: Projection) -> None:
        log.info("rebuilding %s for version %d", projection.name, projection.version)
        try:
            result = await rebuild(self._pool, self._store, projection)
        except RebuildError as error:
            log.info("not rebuilding %s here: %s", projection.name, error)
            return
        except Exception as error:
            log.exception("rebuilding %s failed; restart to retry", projection.name)
            self._rebuild_errors[projection.name] = f"{type(error).__name__}: {error}"
            return
        log.info("rebuilt %s: %d events in %.1fs", projection.name, result.events, result.seconds)

    async def _connect_control(self) -> None:
        control = await listen(self._pool, COMMITS_CHANNEL, self._on_notify)
        self._control, self._leases = control, Leases(control)
        for tenant_id in self._wakes:
            self.wake(tenant_id)  # notifications may have been missed

    async def _release_control(self) -> None:
        control, self._control, self._leases = self._control, None, None
        if control is not None:
            await stop_listening(self._pool, control, COMMITS_CHANNEL, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        parsed = parse_commit_payload(str(payload))
        if parsed is not None:
            self.wake(*parsed)
