"""Worker processes show they are alive and reach their database by a heartbeat file."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import uvloop

from api.startup import heartbeat, run_service
from tests.serving import free_port


async def beat_for(dsn: str, path: Path, seconds: float) -> None:
    task = asyncio.create_task(heartbeat(dsn, path, interval_s=0.1))
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_the_heartbeat_file_is_touched_while_the_database_answers(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    alive = tmp_path / "run" / "alive"

    await beat_for(database_dsns[1], alive, 0.5)
    first = alive.stat().st_mtime_ns
    await beat_for(database_dsns[1], alive, 0.5)

    assert alive.stat().st_mtime_ns > first


async def test_no_heartbeat_without_the_database(tmp_path: Path) -> None:
    alive = tmp_path / "alive"

    await beat_for(f"postgresql://passend_app@127.0.0.1:{free_port()}/passend", alive, 0.5)

    assert not alive.exists()


def test_a_long_lived_process_runs_its_main_coroutine_on_uvloop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        loops.append(asyncio.get_running_loop())

    run_service(main())

    assert isinstance(loops[0], uvloop.Loop)
