"""One of several processes on a machine is elected to run work that needs only one of them.

The elected process holds a session advisory lock on a connection of its own; the others try
to take it every ``retry_s``. When the holder stops or dies its connection closes, PostgreSQL
frees the lock and another process takes over within that time. A holder checks its connection
as often and is deposed when it is lost, so for up to ``retry_s`` two may run: what is elected
must stay correct then (the projection runner's and deliveries' leases keep it so), it only
costs the duplicated work.

A statement that does not answer within ``check_timeout_s`` counts as a lost connection. A hook
that fails leaves the election to the others (its connection, and with it the lock, is given
up) and this process tries again after a growing wait: whatever went wrong, the machine must
not be left without a runner until the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
from collections.abc import Awaitable, Callable

import asyncpg

from infrastructure.connection_loss import Backoff
from infrastructure.database import Connection

log = logging.getLogger("passend.election")

Hook = Callable[[], Awaitable[None]]
APPLICATION_NAME = "passend-election"
"""How an election's connection shows in ``pg_stat_activity``."""


def election_key(name: str, machine: str | None = None) -> int:
    """The advisory lock key of election ``name`` among the processes of ``machine``."""
    text = "\x1f".join(("passend.election", name, machine or socket.gethostname()))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), signed=True)


_HELD = """
SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1)
"""


async def election_held(connection: Connection, key: int) -> bool:
    """Whether some process holds the election of ``key`` in this connection's database.

    A bigint advisory lock shows in ``pg_locks`` as its high and low halves (classid, objid).
    """
    held = await connection.fetchval(_HELD, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)
    return bool(held)


class Election:
    """Runs ``on_elected`` once this process holds the lock, ``on_deposed`` when it loses it."""

    def __init__(  # noqa: PLR0913 - the hooks and the knobs
        self,
        dsn: str,
        key: int,
        *,
        on_elected: Hook,
        on_deposed: Hook,
        retry_s: float = 2.0,
        check_timeout_s: float = 5.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        self._dsn = dsn
        self._key = key
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._retry_s = retry_s
        self._check_timeout_s = check_timeout_s
        self._backoff = Backoff(first_s=retry_s, max_s=max(retry_s, max_backoff_s))
        self._failed = False
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._task: asyncio.Task[None] | None = None
        self.elected = False

    async def start(self) -> None:
        """Try once now (so a single process is elected before it serves), then keep trying."""
        await self._try()
        self._task = asyncio.create_task(self._run(), name="election")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._depose()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
                await conn.close(timeout=5)  # frees the lock for the next process at once

    async def _run(self) -> None:
        while True:
            await (self._backoff.wait() if self._failed else asyncio.sleep(self._retry_s))
            await self._try()

    async def _try(self) -> None:
        try:
            await self._check_or_take()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            log.warning("election: %s: %s", type(error).__name__, error)
            await self._give_up()
        except Exception:
            log.exception("election: the background work failed; trying again later")
            await self._give_up()
            self._failed = True
        else:
            if self._failed and self.elected:
                self._failed = False
                self._backoff.reset()

    async def _check_or_take(self) -> None:
        timeout = self._check_timeout_s
        if self._conn is None or self._conn.is_closed():
            await self._depose()
            self._conn = await asyncpg.connect(
                self._dsn, timeout=timeout, server_settings={"application_name": APPLICATION_NAME}
            )
        if self.elected:
            # the lock lives as long as this answers
            await self._conn.fetchval("SELECT 1", timeout=timeout)
        elif await self._conn.fetchval(
            "SELECT pg_try_advisory_lock($1)", self._key, timeout=timeout
        ):
            self.elected = True
            log.info("elected: this process runs the background work")
            await self._on_elected()

    async def _give_up(self) -> None:
        """Close the connection, which frees the lock, and stop what was started."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()
        await self._depose()

    async def _depose(self) -> None:
        if self.elected:
            self.elected = False
            log.info("deposed: another process may run the background work")
            try:
                await self._on_deposed()
            except Exception:
                log.exception("election: stopping the background work failed")
