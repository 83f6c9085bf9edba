"""Catching one build of a projection up with one tenant's log, page by page, exactly once.

Each page is applied in one tenant-scoped transaction that also moves the tracked position,
with ``WHERE position = <old>``: a crash before the commit leaves both unchanged, and a worker
whose lease was lost cannot apply a page twice. An event that cannot be applied stops this
projection for this tenant at the position before it, with the error recorded; the caller
goes on with other tenants. Connection trouble is not the event's fault: it is raised instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from application.ports import EventStore, RecordedEvent
from domain.ids import TenantId
from infrastructure.database import Connection, Pool, scoped_connection, tenant_transaction
from projections.builds import Build
from projections.projection import Projection
from projections.status import FAILED, RUNNING

log = logging.getLogger("passend.projections")

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.TransactionRollbackError,
    asyncpg.QueryCanceledError,
    asyncpg.LockNotAvailableError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.OperatorInterventionError,
)

_TRACK = """
INSERT INTO projection_tracking AS t (tenant_id, projection, build, position, status, error,
                                     failed_position, updated_at)
VALUES ($1, $2, $3, $5, $6, $7, $8, now())
ON CONFLICT (tenant_id, projection, build) DO UPDATE
   SET position = excluded.position, status = excluded.status, error = excluded.error,
       failed_position = excluded.failed_position, updated_at = excluded.updated_at
 WHERE t.position = $4 AND t.status = 'running'
RETURNING 1
"""
_TRACKED = (
    "SELECT position, status FROM projection_tracking"
    " WHERE tenant_id = $1 AND projection = $2 AND build = $3"
)


_STOPPED = "stopped at a failing event; resume it to retry"


class StalePositionError(RuntimeError):
    """Another worker moved the tracked position first; this one's page was rolled back."""


_NOT_THE_EVENTS_FAULT: tuple[type[Exception], ...] = (StalePositionError, *TRANSIENT_ERRORS)


@dataclass(frozen=True, slots=True)
class CatchUpResult:
    """Where the build stands after a catch-up, and why it stopped if it did."""

    position: int
    applied: int
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


async def tracked_position(pool: Pool, build: Build, tenant_id: TenantId) -> tuple[int, str]:
    """The build's position in the tenant log (0 if never tracked) and its status."""
    async with scoped_connection(pool) as conn, tenant_transaction(conn, tenant_id):
        row = await conn.fetchrow(_TRACKED, tenant_id, build.projection, build.build)
    return (0, RUNNING) if row is None else (row["position"], row["status"])


async def catch_up(  # noqa: PLR0913 - the loop's collaborators and knobs
    pool: Pool,
    store: EventStore,
    projection: Projection,
    build: Build,
    tenant_id: TenantId,
    *,
    batch_size: int,
    on_page: Callable[[int], None] | None = None,
    tracked: tuple[int, str] | None = None,
) -> CatchUpResult:
    """Apply everything after the tracked position (``tracked``, if the caller just read it)."""
    position, status = tracked or await tracked_position(pool, build, tenant_id)
    if status == FAILED:
        return CatchUpResult(position, 0, _STOPPED)
    work = _Work(pool, projection, build, tenant_id)
    reader = _Reader(store, tenant_id, batch_size)
    applied = 0
    try:
        while page := await reader.next(position):
            done, message = await work.apply_page(position, page)
            applied += done
            # Follow the events' own positions: a log with a gap (an event removed behind the
            # store's back) must not make the tracked position and this loop's disagree.
            position = page[done - 1].position if done else position
            if on_page is not None:
                on_page(done)
            if message is not None:
                return CatchUpResult(position, applied, message)
    except _UnreadableError as unreadable:
        return CatchUpResult(position, applied, await work.fail_reading(position, unreadable.error))
    finally:
        await reader.close()
    return CatchUpResult(position, applied)


@dataclass(frozen=True, slots=True)
class Tracked:
    """A build to catch up, and where it stands (as the caller just read it)."""

    projection: Projection
    build: Build
    position: int
    status: str


_ADVANCE = """
UPDATE projection_tracking AS t SET position = u.new, updated_at = now()
  FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS u(projection, build, old, new)
 WHERE t.tenant_id = $1 AND t.projection = u.projection AND t.build = u.build
   AND t.position = u.old AND t.status = 'running'
RETURNING t.projection
"""


async def catch_up_together(  # noqa: PLR0913 - the collaborators and the page sizes
    pool: Pool,
    store: EventStore,
    tenant_id: TenantId,
    builds: Sequence[Tracked],
    *,
    batch_size: int,
    max_batch_size: int | None = None,
) -> dict[str, CatchUpResult]:
    """Catch several projections up with one tenant's log: one read and one transaction a page.

    The result of each is what ``catch_up`` of it alone gives. Every read model of a tenant
    usually stands at the same position, and a command adds an event or two: alone, each
    read the same events (and their data keys) and applied them in a transaction of its own.
    Together a page is read once from the lowest position, and each build applies the events
    past its own, all in one transaction that moves every tracked position. Should that
    transaction fail for anything but the connection, the page is applied build by build as
    ``catch_up`` does, so a failing event stops its own projection only; should the page
    not be readable, each build reads alone and finds the event that cannot be read.

    A full page means the builds are behind: each next page is twice as large, up to
    ``max_batch_size``. Every page costs each read model a read of the rows it changes and a
    write of each, once however many of its events changed a row: from far behind (a new
    tenant's builds, a runner started on a long log) pages of 5,000 took a quarter less CPU
    per event than pages of 500, while a live catch-up still reads a page of a few events.
    """
    pages = _Pages(batch_size, max_batch_size or batch_size)
    return await _Together(pool, store, tenant_id, pages, builds).run()


@dataclass(slots=True)
class _Pages:
    """How many events to read next: ``first``, doubled after each full page up to ``most``."""

    size: int
    most: int

    def more_after(self, page: Sequence[RecordedEvent]) -> bool:
        """Whether more may follow ``page`` (it was full); the next page is then larger."""
        if len(page) < self.size:
            return False
        self.size = min(self.size * 2, max(self.most, self.size))
        return True


class _Together:
    """One pass of ``catch_up_together``: where each build stands, and what it applied."""

    def __init__(
        self,
        pool: Pool,
        store: EventStore,
        tenant_id: TenantId,
        pages: _Pages,
        builds: Sequence[Tracked],
    ) -> None:
        self.pool, self.store, self.tenant_id, self.pages = pool, store, tenant_id, pages
        self.builds = {tracked.projection.name: tracked for tracked in builds}
        self.results = {
            name: CatchUpResult(tracked.position, 0, _STOPPED)
            for name, tracked in self.builds.items()
            if tracked.status == FAILED
        }
        self.positions = {
            name: tracked.position
            for name, tracked in self.builds.items()
            if tracked.status != FAILED
        }
        self.applied = dict.fromkeys(self.positions, 0)

    async def run(self) -> dict[str, CatchUpResult]:
        while self.positions:
            after = min(self.positions.values())
            try:
                page = await self.store.read_log(self.tenant_id, after=after, limit=self.pages.size)
            except TRANSIENT_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - an unreadable event: each build finds it alone
                return self.results | await self._alone()
            # builds usually stand at one position: the events past it are picked out once
            past = {
                position: [e for e in page if e.position > position]
                for position in set(self.positions.values())
            }
            pages = {
                name: events
                for name, position in self.positions.items()
                if (events := past[position])
            }
            if pages:
                await self._apply(pages)
            if not self.pages.more_after(page):
                break
        done = {name: CatchUpResult(p, self.applied[name]) for name, p in self.positions.items()}
        return self.results | done

    def _work(self, name: str) -> _Work:
        return _Work(
            self.pool, self.builds[name].projection, self.builds[name].build, self.tenant_id
        )

    async def _apply(self, pages: dict[str, list[RecordedEvent]]) -> None:
        try:
            await self._apply_in_one_transaction(pages)
        except _NOT_THE_EVENTS_FAULT:
            raise
        except Exception:  # noqa: BLE001 - some read model's code: each build applies alone
            for name, events in pages.items():
                done, message = await self._work(name).apply_page(self.positions[name], events)
                self.applied[name] += done
                if done:
                    self.positions[name] = events[done - 1].position
                if message is not None:
                    position = self.positions.pop(name)
                    self.results[name] = CatchUpResult(position, self.applied[name], message)
            return
        for name, events in pages.items():
            self.applied[name] += len(events)
            self.positions[name] = events[-1].position

    async def _apply_in_one_transaction(self, pages: dict[str, list[RecordedEvent]]) -> None:
        names = list(pages)
        async with scoped_connection(self.pool) as conn, tenant_transaction(conn, self.tenant_id):
            for name in names:
                build = self.builds[name]
                await build.projection.apply(conn, self.tenant_id, pages[name], build.build.tables)
            moved = await conn.fetch(
                _ADVANCE,
                self.tenant_id,
                names,
                [self.builds[name].build.build for name in names],
                [self.positions[name] for name in names],
                [pages[name][-1].position for name in names],
            )
            # a build never tracked before has no row to move yet: tracked as ``catch_up`` does
            for name in set(names) - {row[0] for row in moved}:
                await self._work(name).track(conn, self.positions[name], pages[name][-1].position)

    async def _alone(self) -> dict[str, CatchUpResult]:
        return {
            name: await catch_up(
                self.pool,
                self.store,
                self.builds[name].projection,
                self.builds[name].build,
                self.tenant_id,
                batch_size=self.pages.size,
                tracked=(position, RUNNING),
            )
            for name, position in self.positions.items()
        }


class _UnreadableError(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Reader:
    """Pages of the log, the next one read while the current one is applied."""

    def __init__(self, store: EventStore, tenant_id: TenantId, limit: int) -> None:
        self._store = store
        self._tenant_id = tenant_id
        self._limit = limit
        self._ahead: asyncio.Future[list[RecordedEvent]] | None = None
        self._ahead_after = -1
        self._done = False

    def _read(self, after: int) -> None:
        self._ahead_after = after
        self._ahead = asyncio.ensure_future(
            self._store.read_log(self._tenant_id, after=after, limit=self._limit)
        )

    async def next(self, after: int) -> list[RecordedEvent]:
        """The page after ``after``; empty when the log has no more (or a page fell short)."""
        if self._done:
            return []
        if self._ahead is None or self._ahead_after != after:
            await self.close()
            self._read(after)
        ahead, self._ahead = self._ahead, None
        assert ahead is not None  # noqa: S101 - set just above
        try:
            page = await ahead
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            if self._limit == 1:
                raise _UnreadableError(error) from error
            self._limit = 1  # find the event that cannot be read: one at a time from here
            return await self.next(after)
        if len(page) == self._limit:
            self._read(page[-1].position)
        else:
            self._done = True
        return page

    async def close(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return
        ahead.cancel()
        # Not ``await ahead``: its CancelledError could not be told from this task's own, and
        # swallowing that one would keep a stopped runner's task going.
        await asyncio.wait({ahead})
        if not ahead.cancelled():
            ahead.exception()  # neither the page nor its error is wanted any more


@dataclass(frozen=True, slots=True)
class _Work:
    """Applying pages of one tenant's events to one build."""

    pool: Pool
    projection: Projection
    build: Build
    tenant_id: TenantId

    async def apply_page(
        self, position: int, page: Sequence[RecordedEvent]
    ) -> tuple[int, str | None]:
        """Apply ``page`` in one transaction; on an apply error, apply up to the failing event."""
        try:
            async with (
                scoped_connection(self.pool) as conn,
                tenant_transaction(conn, self.tenant_id),
            ):
                await self.projection.apply(conn, self.tenant_id, page, self.build.tables)
                await self.track(conn, position, page[-1].position)
        except _NOT_THE_EVENTS_FAULT:
            raise
        except Exception:  # noqa: BLE001 - any error of the read model's code: find its event
            return await self._apply_until_failure(position, page)
        return len(page), None

    async def _apply_until_failure(
        self, position: int, page: Sequence[RecordedEvent]
    ) -> tuple[int, str | None]:
        done = 0
        async with scoped_connection(self.pool) as conn, tenant_transaction(conn, self.tenant_id):
            for event in page:
                try:
                    async with conn.transaction():  # a savepoint per event, on this slow path only
                        await self.projection.apply(
                            conn, self.tenant_id, [event], self.build.tables
                        )
                except TRANSIENT_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - recorded, logged, and stops the pair
                    message = self._stopped(event.position, "applying", error)
                    reached = page[done - 1].position if done else position
                    await self.track(conn, position, reached, error=message, failed=event.position)
                    return done, message
                done += 1
            await self.track(conn, position, page[-1].position)
        return done, None

    async def fail_reading(self, position: int, error: Exception) -> str:
        """Stop at ``position``: the event after it cannot be read."""
        message = self._stopped(position + 1, "reading", error)
        async with scoped_connection(self.pool) as conn, tenant_transaction(conn, self.tenant_id):
            await self.track(conn, position, position, error=message, failed=position + 1)
        return message

    async def track(
        self,
        conn: Connection,
        old: int,
        new: int,
        *,
        error: str | None = None,
        failed: int | None = None,
    ) -> None:
        status = RUNNING if error is None else FAILED
        build = self.build
        args = (build.projection, build.build, old, new, status, error, failed)
        if await conn.fetchval(_TRACK, self.tenant_id, *args) is None:
            raise StalePositionError(f"{build.projection} for {self.tenant_id} moved on from {old}")

    def _stopped(self, position: int, doing: str, error: Exception) -> str:
        message = (
            f"projection {self.build.projection} (build {self.build.build}) stopped for tenant"
            f" {self.tenant_id}: {doing} the event at position {position} failed:"
            f" {type(error).__name__}: {error}"
        )
        log.error("%s", message, exc_info=error)
        return message
