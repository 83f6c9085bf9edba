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
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from application.ports import RecordedEvent
from domain.ids import TenantId
from infrastructure.database import Connection, Pool, tenant_transaction
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


class LogReader(Protocol):
    """What a catch-up needs of a store: pages of one tenant's log."""

    async def read_log(
        self, tenant_id: TenantId, *, after: int = 0, limit: int = 500
    ) -> list[RecordedEvent]: ...


class SharedReads:
    """One runner pass's reads of the log, shared by the projections standing at one position.

    Every read model of a tenant usually stands at the same position, so without sharing each
    of them read and decoded the same new events again (and decrypted their personal fields).
    Only the last few pages are kept, so a projection far behind costs no more memory than a
    page or two; a read still running when it is dropped finishes for whoever awaits it.
    """

    def __init__(self, store: LogReader, *, pages: int = 4) -> None:
        self._store = store
        self._pages = pages
        self._reads: OrderedDict[tuple[TenantId, int, int], asyncio.Future[list[RecordedEvent]]]
        self._reads = OrderedDict()

    async def read_log(
        self, tenant_id: TenantId, *, after: int = 0, limit: int = 500
    ) -> list[RecordedEvent]:
        key = (tenant_id, after, limit)
        read = self._reads.get(key)
        if read is None:
            read = asyncio.ensure_future(self._store.read_log(tenant_id, after=after, limit=limit))
            read.add_done_callback(_seen)
            self._reads[key] = read
            while len(self._reads) > self._pages:
                self._reads.popitem(last=False)
        # A reader that stops early cancels its own wait, not the read another one shares.
        return await asyncio.shield(read)


def _seen(read: asyncio.Future[list[RecordedEvent]]) -> None:
    """Retrieve a shared read's error, which each of its readers gets and handles anyway."""
    if not read.cancelled():
        read.exception()


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
    async with pool.acquire() as conn, tenant_transaction(conn, tenant_id):
        row = await conn.fetchrow(_TRACKED, tenant_id, build.projection, build.build)
    return (0, RUNNING) if row is None else (row["position"], row["status"])


async def catch_up(  # noqa: PLR0913 - the loop's collaborators and knobs
    pool: Pool,
    store: LogReader,
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
        return CatchUpResult(position, 0, "stopped at a failing event; resume it to retry")
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


class _UnreadableError(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Reader:
    """Pages of the log, the next one read while the current one is applied."""

    def __init__(self, store: LogReader, tenant_id: TenantId, limit: int) -> None:
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
            async with self.pool.acquire() as conn, tenant_transaction(conn, self.tenant_id):
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
        async with self.pool.acquire() as conn, tenant_transaction(conn, self.tenant_id):
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
        async with self.pool.acquire() as conn, tenant_transaction(conn, self.tenant_id):
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
