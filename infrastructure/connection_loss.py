"""When the database goes away: which errors mean that, and how to wait before trying again.

Two kinds of loss matter to a caller. *Unreachable*: no statement was sent (the server refused
the connection, is starting, or has no slot left), so nothing was recorded. *Lost*: the
connection broke while a statement or a ``COMMIT`` may have been on the wire, so the outcome is
unknown; only a retry with the same command id can tell. Workers that hold connections (the
projection runner, delivery workers) reconnect by themselves with ``Backoff`` and
``database.is_open``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field

import asyncpg

# Its own generator, not the random module's shared one: jitter is no secret, and drawing from
# the shared state from a background task disturbs whoever seeded it (property tests do).
_JITTER = random.Random()  # noqa: S311

# Nothing reached the server: certainly nothing recorded.
UNREACHABLE: tuple[type[Exception], ...] = (
    ConnectionRefusedError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
# The connection broke, possibly with a statement or COMMIT in flight.
LOST: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection left mid-protocol by the break
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def database_unreachable(error: BaseException) -> bool:
    """True if ``error`` says the database could not be reached before anything was sent."""
    return isinstance(error, UNREACHABLE)


def database_lost(error: BaseException) -> bool:
    """True if ``error`` is a loss of the database, of either kind."""
    return isinstance(error, UNREACHABLE + LOST)


@dataclass(slots=True)
class Backoff:
    """Exponential waits with jitter between ``first_s`` and ``max_s``; ``reset`` after success.

    The cap is small on purpose: a component must be back within seconds of its database.
    """

    first_s: float = 0.1
    max_s: float = 2.0
    factor: float = 2.0
    _next_s: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        base = self.first_s if self._next_s == 0.0 else min(self._next_s * self.factor, self.max_s)
        self._next_s = base
        return base * _JITTER.uniform(0.5, 1.0)

    async def wait(self) -> float:
        """Sleep the next delay; returns it."""
        delay = self.next_delay()
        await asyncio.sleep(delay)
        return delay

    def reset(self) -> None:
        self._next_s = 0.0


class DatabaseUnreachableAtStartError(RuntimeError):
    """The database did not answer within the start-up timeout: the process gives up."""


def _where(dsn: str) -> str:
    """``host:port/database`` of a DSN: no user, no password in any log line."""
    rest = dsn.partition("://")[2]
    return rest.rpartition("@")[2].split("?", 1)[0]


async def wait_for_database(dsn: str, *, timeout_s: float, what: str, log: logging.Logger) -> None:
    """Return once ``dsn`` accepts a connection; log each failed try; give up after ``timeout_s``.

    Start-up never hangs silently: an operator sees every retry, and an orchestrator an exit
    it can act on (restart with backoff, or alert) instead of a process that never gets ready.
    """
    deadline = time.monotonic() + timeout_s
    backoff = Backoff(first_s=0.5, max_s=5.0)
    attempt = 0
    while True:
        attempt += 1
        left = deadline - time.monotonic()
        try:
            connection = await asyncpg.connect(dsn, timeout=max(0.5, min(5.0, left)))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            reason = f"{type(error).__name__}: {error}".strip()
            left = deadline - time.monotonic()
            if left <= 0:
                log.error(  # noqa: TRY400 - the reason is in the message; no traceback needed
                    "%s: the database at %s did not answer within %.0f s (%d tries; last: %s);"
                    " giving up",
                    what,
                    _where(dsn),
                    timeout_s,
                    attempt,
                    reason,
                )
                raise DatabaseUnreachableAtStartError(
                    f"the database at {_where(dsn)} did not answer within {timeout_s:.0f} s"
                    f" ({reason})"
                ) from error
            delay = min(backoff.next_delay(), left)
            log.warning(
                "%s: waiting for the database at %s (try %d: %s); again in %.1f s, giving up"
                " in %.0f s",
                what,
                _where(dsn),
                attempt,
                reason,
                delay,
                left,
            )
            await asyncio.sleep(delay)
        else:
            await connection.close()
            if attempt > 1:
                log.info("%s: the database at %s answers", what, _where(dsn))
            return
