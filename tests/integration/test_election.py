"""One process of several is elected; when it stops or loses its connection another takes over."""

from __future__ import annotations

import asyncio
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
    """What one process runs while it is elected."""

    def __init__(self, dsn: str, key: int) -> None:
        self.running = False
        self.starts = 0
        self.election = Election(
            dsn, key, on_elected=self._elected, on_deposed=self._deposed, retry_s=0.1
        )

    async def _elected(self) -> None:
        self.running = True
        self.starts += 1

    async def _deposed(self) -> None:
        self.running = False


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
        await admin.execute(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory'"
            " AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
            key,
        )
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
