"""The asyncpg pool the application uses, and tenant-scoped transactions on it.

The pool logs in as ``passend_app``, a role without superuser rights, so row-level security
applies to every query. Timeouts keep a stuck client from holding a tenant's head row.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from domain.ids import TenantId

if TYPE_CHECKING:
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    PooledConnection: TypeAlias = PoolConnectionProxy[asyncpg.Record]
else:
    from asyncpg.pool import PoolConnectionProxy as PooledConnection

    Pool = asyncpg.Pool
    Connection = asyncpg.Connection


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Server-side limits for every application connection, in milliseconds."""

    lock_ms: int = 5_000
    statement_ms: int = 30_000
    idle_in_transaction_ms: int = 60_000


def _jsonb_to_wire(value: bytes | str) -> bytes:
    # jsonb's binary format is a version byte followed by the JSON text.
    return b"\x01" + (value.encode() if isinstance(value, str) else value)


def _jsonb_from_wire(value: bytes) -> bytes:
    return value[1:]


_ARRAYS_USED = (
    "SELECT $1::uuid[], $2::text[], $3::bigint[], $4::int[], $5::int2[], $6::bool[],"
    " $7::bytea[], $8::jsonb[], $9::date[], $10::timestamptz[]"
)
"""One statement over every array type the queries pass: asyncpg has no built-in codec for them."""


async def init_connection(connection: Connection) -> None:
    """Pass jsonb as raw JSON bytes, so msgspec encodes and decodes it without copies.

    And learn the array types now: asyncpg looks a type up once per connection, with three
    queries of its own (a recursive catalog query between switching JIT off and on), in the
    statement that first uses it. On a connection the pool opens under load that was five
    such look-ups, each on a request that was already waiting; here it is one, before the
    connection serves anything.
    """
    await connection.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=_jsonb_to_wire,
        decoder=_jsonb_from_wire,
        format="binary",
    )
    await connection.prepare(_ARRAYS_USED)


# Backend pids of connections being released with nothing in their session to undo.
_SCOPED_PIDS: ContextVar[tuple[int, ...]] = ContextVar("passend_scoped_pids", default=())


async def _reset_session(connection: Connection) -> None:
    """Reset a released connection's session, unless it was only used in a scoped way.

    asyncpg has already rolled back any open transaction and dropped listener callbacks. Its
    reset query (release advisory locks, close cursors, UNLISTEN, RESET ALL) costs one more
    round trip per checkout; after ``HeldConnections`` work there is nothing for it to undo.
    """
    if connection.get_server_pid() in _SCOPED_PIDS.get():
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)


class HeldConnections:
    """Pooled connections that one user keeps between its calls, instead of a checkout each.

    A checkout from the asyncpg pool and its release cost about 40 µs of client CPU and two
    more event-loop iterations (the release runs in a shielded task). For work that leaves
    nothing in its session (transaction-local settings only: no ``SET``, ``LISTEN``, session
    advisory locks or ``WITH HOLD`` cursors), the connection can instead stay
    out of the pool until the next call. At most ``limit`` connections are kept out (more
    concurrent callers check out and release as usual), so other users of the pool keep the
    rest. Kept connections go back to the pool once the holder has been unused for
    ``idle_s`` to twice that, or at ``release_all``: a closing pool waits at most that long.
    A connection whose call ended in a way that can leave a query in flight goes back at once.
    """

    def __init__(self, pool: Pool, limit: int, *, idle_s: float = 0.25) -> None:
        self._pool = pool
        self._limit = limit
        self._idle_s = idle_s
        self._idle: list[PooledConnection] = []
        self._out = 0  # kept out of the pool on this holder's account: idle or in use
        self._uses = 0
        self._uses_seen = -1
        self._timer: asyncio.TimerHandle | None = None
        self._releasing: set[asyncio.Task[None]] = set()

    def lease(self) -> _Lease:
        """``async with held.lease() as conn``: a connection for one call."""
        return _Lease(self)

    async def take(self) -> PooledConnection:
        return self._take_idle() or await self._acquire()

    def _take_idle(self) -> PooledConnection | None:
        self._uses += 1
        while self._idle:
            idle = self._idle.pop()
            if is_open(idle):
                return idle
            self._out -= 1  # its connection died while idle; the pool has it back already
        return None

    async def _acquire(self) -> PooledConnection:
        connection: PooledConnection = await self._pool.acquire()
        self._out += 1
        return connection

    async def fetchval(self, query: str, *args: object) -> Any:  # noqa: ANN401 - asyncpg's value
        """``fetchval`` on a kept connection: what ``lease`` does, in one coroutine.

        For the store's hottest calls: the lease's context manager costs three more coroutines
        per call, which on the single-event append is a measurable share of the client's time.
        """
        connection = self._take_idle() or await self._acquire()
        try:
            value = await connection.fetchval(query, *args)
        except BaseException as error:
            await self.give_back(connection, healthy=healthy_after(error))
            raise
        if not self._keep(connection):
            await self._release(connection)
        return value

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        """``fetch`` on a kept connection, as ``fetchval``."""
        connection = self._take_idle() or await self._acquire()
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
        except BaseException as error:
            await self.give_back(connection, healthy=healthy_after(error))
            raise
        if not self._keep(connection):
            await self._release(connection)
        return rows

    async def give_back(self, connection: PooledConnection, *, healthy: bool = True) -> None:
        """Keep ``connection`` for the next call, or return it to the pool."""
        if not (healthy and self._keep(connection)):
            await self._release(connection)

    def _keep(self, connection: PooledConnection) -> bool:
        """Keep a healthy ``connection`` among the idle ones; False if it must go back."""
        if (
            self._out <= self._limit
            and is_open(connection)
            and not connection.is_in_transaction()
            and not self._pool.is_closing()
        ):
            self._idle.append(connection)
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self._idle_s, self._sweep)
            return True
        return False

    async def release_all(self) -> None:
        """Return every idle connection to the pool now."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await self._release(connection)

    def _sweep(self) -> None:
        self._timer = None
        if self._uses != self._uses_seen:  # used since the last look: look again later
            self._uses_seen = self._uses
            if self._idle:
                self._timer = asyncio.get_running_loop().call_later(self._idle_s, self._sweep)
            return
        if self._idle:
            task = asyncio.get_running_loop().create_task(self.release_all())
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)

    async def _release(self, connection: PooledConnection) -> None:
        self._out -= 1
        # nothing to undo in the session: skip the pool's reset query
        token = _SCOPED_PIDS.set((*_SCOPED_PIDS.get(), connection.get_server_pid()))
        try:
            await self._pool.release(connection)
        finally:
            _SCOPED_PIDS.reset(token)


@asynccontextmanager
async def scoped_connection(pool: Pool) -> AsyncIterator[PooledConnection]:
    """A checkout for work that leaves nothing in its session, given back without the reset.

    For transactions and transaction-local settings only (no ``SET``, ``LISTEN``, session
    advisory locks or ``WITH HOLD`` cursors): the pool's reset query would be one more round
    trip per checkout with nothing to undo. asyncpg still rolls back an open transaction, and
    handles a connection whose query was interrupted, on release.
    """
    connection: PooledConnection = await pool.acquire()
    pid = connection.get_server_pid()
    try:
        yield connection
    finally:
        token = _SCOPED_PIDS.set((*_SCOPED_PIDS.get(), pid))
        try:
            await pool.release(connection)
        finally:
            _SCOPED_PIDS.reset(token)


def is_open(connection: Connection | None) -> bool:
    """True if ``connection`` is open; a pooled one whose connection died counts as closed.

    The pool detaches the proxy of a connection that closed; even ``is_closed()`` raises then.
    """
    if connection is None:
        return False
    try:
        return not connection.is_closed()
    except asyncpg.InterfaceError:
        return False


class _Lease:
    __slots__ = ("_connection", "_held")

    def __init__(self, held: HeldConnections) -> None:
        self._held = held

    _connection: PooledConnection

    async def __aenter__(self) -> PooledConnection:
        self._connection = await self._held.take()
        return self._connection

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._held.give_back(self._connection, healthy=exc is None or healthy_after(exc))


def healthy_after(error: BaseException) -> bool:
    """Whether a connection whose call raised ``error`` is as good as before.

    It is after an error of the statement or of the caller's own code; after one that can
    leave a query in flight (a cancellation, a timeout, a lost connection, a client-side
    protocol error) the pool's release sorts it out.
    """
    return isinstance(error, Exception) and not isinstance(error, _LEAVES_A_QUERY_IN_FLIGHT)


_LEAVES_A_QUERY_IN_FLIGHT = (
    TimeoutError,
    OSError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
)


_IDLE_CLOSE_S = 300.0
"""asyncpg's default: a connection idle this long is closed (in a pool not opened full)."""


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    timeouts: Timeouts | None = None,
    connect_timeout_s: float = 10,
) -> Pool:
    """Open a pool; its connections carry the jsonb codec and the timeouts.

    A pool opened at its full size keeps every connection: asyncpg would close one idle for
    five minutes, and the pool hands out its most recently used connections first, so the
    ones deepest in it sit idle until a burst needs them, and are then opened again.
    """
    limits = timeouts or Timeouts()
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        max_inactive_connection_lifetime=0 if min_size >= max_size else _IDLE_CLOSE_S,
        init=init_connection,
        reset=_reset_session,
        server_settings={
            "lock_timeout": str(limits.lock_ms),
            "statement_timeout": str(limits.statement_ms),
            "idle_in_transaction_session_timeout": str(limits.idle_in_transaction_ms),
            "application_name": "passend",
        },
        timeout=connect_timeout_s,
    )
    if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
        raise RuntimeError("could not create the connection pool")
    return pool


_CONNECTION_SLOT_SETTINGS = (
    "max_connections",
    "superuser_reserved_connections",
    "reserved_connections",  # PostgreSQL 16 and later
)


async def connection_slots(dsn: str) -> int:
    """How many connections the server of ``dsn`` lets roles open that have no reserved slots.

    ``max_connections`` less the slots kept for superusers and (PostgreSQL 16 on) for roles
    with ``pg_use_reserved_connections``: more and the server refuses them (too many clients).
    """
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT name, setting::int FROM pg_settings WHERE name = ANY($1::text[])",
            list(_CONNECTION_SLOT_SETTINGS),
        )
    finally:
        await connection.close()
    settings = {row[0]: row[1] for row in rows}
    reserved = settings.get("superuser_reserved_connections", 0)
    return int(settings["max_connections"] - reserved - settings.get("reserved_connections", 0))


@asynccontextmanager
async def tenant_transaction(
    connection: Connection, tenant_id: TenantId
) -> AsyncIterator[Connection]:
    """A transaction in which row-level security shows only ``tenant_id``'s rows."""
    async with connection.transaction():
        await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
        yield connection


_PLAIN_TENANT = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""A tenant id written into a statement's text as it is: no quote, backslash or dollar in it."""


@asynccontextmanager
async def tenant_read(connection: Connection, tenant_id: TenantId) -> AsyncIterator[Connection]:
    """``tenant_transaction`` for reads, its BEGIN and tenant setting sent as one round trip.

    A read-model read is four round trips in ``tenant_transaction`` (BEGIN, the setting, the
    query, COMMIT); this makes it three. asyncpg binds no parameters in a multi-statement
    query, so the id is written in as a literal, only when it is plain (else, and inside a
    transaction already, it is ``tenant_transaction``). The transaction is READ ONLY and
    asyncpg does not know of it: nothing in it may start ``connection.transaction()``.
    """
    if connection.is_in_transaction() or not _PLAIN_TENANT.fullmatch(tenant_id):
        async with tenant_transaction(connection, tenant_id):
            yield connection
        return
    begin = f"BEGIN READ ONLY; SELECT set_config('app.tenant_id', '{tenant_id}', true)"
    async with begun_with(connection, begin):
        yield connection


@asynccontextmanager
async def begun_with(connection: Connection, statements: str) -> AsyncIterator[Connection]:
    """A transaction begun in one round trip with its first statements (``BEGIN; …``).

    asyncpg binds no parameters in a multi-statement query, so ``statements`` carries only
    literals the caller knows to be safe. asyncpg does not know of the transaction: nothing
    in it may start ``connection.transaction()``. Committed at the end, rolled back on error.
    """
    await connection.execute(statements)
    try:
        yield connection
    except BaseException:
        # asyncpg rolls an open transaction back on release too, should this fail
        with contextlib.suppress(Exception):
            await connection.execute("ROLLBACK")
        raise
    await connection.execute("COMMIT")


Notified = Callable[[object, int, str, object], None]
"""asyncpg's listener callback: (connection, backend pid, channel, payload)."""


async def listen(pool: Pool, channel: str, callback: Notified) -> PooledConnection:
    """A connection of ``pool`` kept out of it, listening on ``channel``."""
    connection: PooledConnection = await pool.acquire()
    try:
        await connection.add_listener(channel, callback)
    except BaseException:
        await pool.release(connection)
        raise
    return connection


async def stop_listening(
    pool: Pool, connection: PooledConnection, channel: str, callback: Notified
) -> None:
    """Undo ``listen``; a listening connection that died is back in the pool already."""
    with contextlib.suppress(Exception):
        await connection.remove_listener(channel, callback)
    with contextlib.suppress(Exception):
        await pool.release(connection)


class Listener:
    """A connection of ``pool`` listening on ``channel``, opened again once it was lost."""

    def __init__(self, pool: Pool, channel: str, callback: Notified) -> None:
        self._pool = pool
        self._channel = channel
        self._callback = callback
        self._connection: PooledConnection | None = None

    async def keep_listening(self) -> None:
        """Listen, on a new connection if the last one died; nothing if it is open."""
        if not is_open(self._connection):
            await self.stop()
            self._connection = await listen(self._pool, self._channel, self._callback)

    async def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await stop_listening(self._pool, connection, self._channel, self._callback)
