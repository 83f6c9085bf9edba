"""One process of several is elected; when it stops or loses its connection another takes over."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import asyncpg
import pytest

from infrastructure.election import Election, election_key

pytestmark = pytest.mark.integration


async def _eventually(condition: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


class _Process:
    """What one process runs while it is elected; its hooks fail the first times if told."""

    def __init__(
        self,
        dsn: str,
        key: int,
        *,
        failing_starts: int = 0,
        failing_stops: int = 0,
        check_timeout_s: float = 5.0,
    ) -> None:
        self.running = False
        self.starts = 0
        self.stops = 0
        self._failing_starts = failing_starts
        self._failing_stops = failing_stops
        self.election = Election(
            dsn,
            key,
            on_elected=self._elected,
            on_deposed=self._deposed,
            retry_s=0.1,
            check_timeout_s=check_timeout_s,
            max_backoff_s=0.2,
        )

    async def _elected(self) -> None:
        if self._failing_starts:
            self._failing_starts -= 1
            raise RuntimeError("the background work did not start")
        self.running = True
        self.starts += 1

    async def _deposed(self) -> None:
        self.running = False
        self.stops += 1
        if self._failing_stops:
            self._failing_stops -= 1
            raise RuntimeError("the background work did not stop cleanly")


async def _terminate_holder(admin: asyncpg.Connection[asyncpg.Record], key: int) -> None:
    await admin.execute(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory'"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
        key,
    )


async def test_one_of_three_runs_and_another_takes_over_when_it_stops(
    database_dsns: tuple[str, str],
) -> None:
    key = election_key("test-stop", "machine-a")
    processes = [_Process(database_dsns[1], key) for _ in range(3)]
    for process in processes:
        await process.election.start()
    try:
        first = processes[0]
        assert first.running, "the first to try is elected at once"
        await asyncio.sleep(0.3)
        assert [p.running for p in processes] == [True, False, False]

        await first.election.stop()

        assert not first.election.elected
        assert await _eventually(lambda: sum(p.running for p in processes[1:]) == 1)
        await asyncio.sleep(0.3)
        assert sum(p.running for p in processes) == 1
    finally:
        for process in processes:
            await process.election.stop()


async def test_a_process_whose_connection_is_lost_stops_and_one_is_elected_anew(
    database_dsns: tuple[str, str],
) -> None:
    admin_dsn, app_dsn = database_dsns
    key = election_key("test-lost", "machine-a")
    here, there = _Process(app_dsn, key), _Process(app_dsn, key)
    await here.election.start()
    await there.election.start()
    admin = await asyncpg.connect(admin_dsn)
    try:
        assert here.running
        await _terminate_holder(admin, key)
        # elected anew: the other, or this one again on a new connection if it was quicker
        assert await _eventually(lambda: there.starts + here.starts == 2)
        await asyncio.sleep(0.3)
        assert here.running + there.running == 1
        assert there.starts + here.starts == 2
    finally:
        await admin.close()
        await here.election.stop()
        await there.election.stop()


async def test_machines_elect_one_each(database_dsns: tuple[str, str]) -> None:
    on_a = _Process(database_dsns[1], election_key("test-machines", "machine-a"))
    on_b = _Process(database_dsns[1], election_key("test-machines", "machine-b"))
    await on_a.election.start()
    await on_b.election.start()
    try:
        assert on_a.running
        assert on_b.running
    finally:
        await on_a.election.stop()
        await on_b.election.stop()


async def test_work_that_fails_to_start_is_stopped_and_the_election_goes_on(
    database_dsns: tuple[str, str],
) -> None:
    # Otherwise the first failure ends the election and the machine runs nothing until restarted.
    process = _Process(
        database_dsns[1], election_key("test-failing-start", "machine-a"), failing_starts=2
    )
    await process.election.start()
    try:
        assert not process.running
        assert process.stops == 1, "what the failed start began is stopped"
        assert await _eventually(lambda: process.running)
        assert (process.starts, process.stops) == (1, 2)
    finally:
        await process.election.stop()


async def test_work_that_fails_to_stop_when_deposed_does_not_end_the_election(
    database_dsns: tuple[str, str],
) -> None:
    admin_dsn, app_dsn = database_dsns
    key = election_key("test-failing-stop", "machine-a")
    process = _Process(app_dsn, key, failing_stops=1)
    await process.election.start()
    admin = await asyncpg.connect(admin_dsn)
    try:
        assert process.running
        await _terminate_holder(admin, key)
        assert await _eventually(lambda: process.starts == 2), "elected again after a failed stop"
        assert process.running
    finally:
        await admin.close()
        await process.election.stop()


async def test_a_holder_whose_connection_stops_answering_is_deposed(
    database_dsns: tuple[str, str],
) -> None:
    # A connection that hangs (a stopped server process, a dropped network path) raises no error:
    # without a timeout the holder would believe itself elected for ever.
    admin_dsn, app_dsn = database_dsns
    key = election_key("test-hanging", "machine-a")
    process = _Process(app_dsn, key, check_timeout_s=0.5)
    await process.election.start()
    admin = await asyncpg.connect(admin_dsn)
    backend: int | None = None
    try:
        assert process.running
        backend = await admin.fetchval(
            "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
            " AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
            key,
        )
        assert backend is not None
        os.kill(backend, signal.SIGSTOP)
        assert await _eventually(lambda: not process.running), "deposed while the server hangs"
        os.kill(backend, signal.SIGCONT)
        backend = None
        assert await _eventually(lambda: process.starts == 2), "elected again on a new connection"
    finally:
        if backend is not None:
            os.kill(backend, signal.SIGCONT)
        await admin.close()
        await process.election.stop()
