"""`serve --workers`: HTTP workers on one socket, and the background work in a process beside them.

Every connection accepted on the shared socket sends at once. The projection runner and the
nightly jobs run in the background process only, which the election lets run alone and
``serve`` starts again when it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any, cast

import asyncpg
import httpx
import msgspec
from litestar.datastructures import State

from api.background import ELECTION, start_background, stop_background
from api.partners import stop_partner_services
from api.serving import http_worker_settings
from api.settings import Settings
from api.worker_supervisor import listening_socket
from domain.ids import TenantId
from infrastructure.database import create_pool
from infrastructure.election import APPLICATION_NAME, election_key
from infrastructure.event_store import application_store
from projections.registry import PROJECTIONS
from projections.status import projection_status
from tests.api.conftest import Api, open_tenant
from tests.partners.test_webhooks import register_pupils
from tests.serving import free_port

PASSEND = str(Path(sys.executable).parent / "passend")


async def test_a_connection_accepted_on_the_workers_socket_has_nagles_algorithm_off() -> None:
    # Otherwise an answer written as head and body waits for the client's delayed ACK.
    sock = listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection: socket.socket = writer.get_extra_info("socket")
        accepted.set_result(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=sock)
    async with server:
        _, client = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        assert await asyncio.wait_for(accepted, timeout=10) != 0
        client.close()


@contextlib.asynccontextmanager
async def _serving_workers(
    database_dsns: tuple[str, str], data_dir: Path, *, log: IO[bytes] | None = None
) -> AsyncIterator[tuple[subprocess.Popen[bytes], Api]]:
    """``passend serve --workers 2`` on a free port, answering ``/health``; killed if still up.

    With ``log``, every process logs to it at INFO.
    """
    port = free_port()
    admin, app = database_dsns
    env = dict(
        os.environ,
        DATABASE_URL=admin,
        PASSEND_DATABASE_APP_URL=app,
        PASSEND_DATA_DIR=str(data_dir),
        PASSEND_LOG_LEVEL="warning" if log is None else "info",
    )
    serve = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, waited for below
        [PASSEND, "serve", "--no-demo", "--workers", "2", "--port", str(port)],
        env=env,
        stderr=log,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(600):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            settings = Settings(database_url=admin, database_app_url=app, data_dir=data_dir)
            # The test client is an httpx client too; this one reaches the served processes.
            yield serve, Api(cast("Any", client), settings)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


async def test_two_workers_serve_one_port_and_stop_on_sigterm(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    async with _serving_workers(database_dsns, tmp_path) as (serve, api):
        answers = [(await api.client.get("/health")).status_code for _ in range(4)]
        assert answers == [200] * 4
        assert await _candidates_and_holders(database_dsns[0]) == (1, 1), (
            "the background process alone stands for election, and holds it"
        )
        serve.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(serve.wait, 60) == 0
        assert _children(serve.pid) == {}, "no worker or background process is left behind"


async def test_the_background_process_alone_projects_and_is_started_again_when_killed(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    async with _serving_workers(database_dsns, tmp_path) as (serve, api):
        tenant = await open_tenant(api)
        assert await _caught_up(database_dsns[1], tenant, await register_pupils(api, tenant, 1))
        [background] = [pid for pid, line in _children(serve.pid).items() if "api.serving" in line]

        os.kill(background, signal.SIGSTOP)
        try:
            position = await register_pupils(api, tenant, 1)
            # The HTTP workers answered the command; none of them applies it.
            assert not await _caught_up(database_dsns[1], tenant, position, seconds=3)
        finally:
            os.kill(background, signal.SIGKILL)

        assert await _caught_up(database_dsns[1], tenant, position)
        assert background not in _children(serve.pid), "another background process took over"
        assert await _caught_up(database_dsns[1], tenant, await register_pupils(api, tenant, 1))
        serve.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(serve.wait, 60) == 0


async def test_a_sigkilled_serve_leaves_no_process_and_frees_the_election(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    async with _serving_workers(database_dsns, tmp_path) as (serve, _):
        assert await _candidates_and_holders(database_dsns[0]) == (1, 1)
        children = _children(serve.pid)
        descendants = [*children, *(p for child in children for p in _children(child))]
        # the supervisor, its two workers (and its resource tracker), the background process
        assert len(descendants) >= 4
        serve.kill()
        serve.wait()
        for _ in range(600):
            if not any(_alive(pid) for pid in descendants):
                break
            await asyncio.sleep(0.1)
        assert not [pid for pid in descendants if _alive(pid)], "orphans of a SIGKILLed serve"
    conn = await asyncpg.connect(database_dsns[0])
    try:
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = $1",
            election_key(ELECTION),
        )
    finally:
        await conn.close()
    assert held == 0, "the next serve on the machine is elected at once"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


async def test_the_background_process_alone_runs_the_nightly_jobs(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    with (tmp_path / "serve.log").open("w+b") as log:
        async with _serving_workers(database_dsns, tmp_path, log=log) as (serve, api):
            [supervisor] = [p for p, line in _children(serve.pid).items() if "supervisor" in line]
            workers = [p for p, line in _children(supervisor).items() if "spawn_main" in line]
            assert len(workers) == 2
            for worker in workers:
                settings = Settings.from_env(_environment(worker))
                assert not settings.run_retention
                assert not settings.run_absence_signals
            assert await _caught_up(database_dsns[1], await open_tenant(api), 1)  # elected by now
            await asyncio.sleep(2)  # a worker that started them late would have logged it
            serve.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(serve.wait, 60) == 0
        log.seek(0)
        started = [line for line in log if b"this process runs the nightly jobs" in line]
    assert len(started) == 1, "one process of the machine runs them: the elected background one"


async def test_the_nightly_jobs_run_while_elected_and_stop_when_deposed(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    admin, app = database_dsns
    settings = Settings(
        database_url=admin,
        database_app_url=app,
        data_dir=tmp_path,
        elect_background=True,
        run_projections=False,
        run_deliveries=False,
        resume_key_rotations=False,
    )
    pool = await create_pool(app, min_size=1, max_size=4)
    store = application_store(pool, tmp_path)
    first, second = State(), State()  # two background processes' states, one machine
    try:
        await start_background(first, settings, pool, store)
        await start_background(second, settings, pool, store)
        nightly: list[asyncio.Task[None]] = [
            first.retention_task,
            first.absence_signals_task,
        ]  # raises AttributeError on a state that never had them
        assert not any(task.done() for task in nightly)
        assert second.get("retention_task") is second.get("absence_signals_task") is None

        await stop_background(first)  # deposed: it stops them, and the other is elected
        assert all(task.done() for task in nightly)
        for _ in range(100):
            if second.get("retention_task") is not None:
                break
            await asyncio.sleep(0.1)
        assert second.get("retention_task") is not None
        assert second.get("absence_signals_task") is not None
    finally:
        for state in (first, second):
            await stop_background(state)
            await stop_partner_services(state)
        await store.close()
        await pool.close()


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.decode().partition("=")[::2] for entry in raw.split(b"\0") if entry)


async def _caught_up(app_dsn: str, tenant: TenantId, position: int, seconds: float = 60) -> bool:
    """Whether every read model of ``tenant`` applies ``position`` within ``seconds``."""
    pool = await create_pool(app_dsn, min_size=1, max_size=1)
    names = [p.name for p in PROJECTIONS]
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            rows = await projection_status(pool, names, tenant_id=tenant)
            if len(rows) == len(names) and all(row.position >= position for row in rows):
                return True
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.1)
    finally:
        await pool.close()


def _children(parent: int) -> dict[int, str]:
    """The processes whose parent is ``parent``, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[1]) == parent:
            found[int(entry.name)] = command
    return found


async def _candidates_and_holders(admin_dsn: str) -> tuple[int, int]:
    """The background election's connections and the holders of its lock, once it is held.

    Read once the lock is held (or after 60 s), and again a second later: a worker that joined
    the election late would show then.
    """
    conn = await asyncpg.connect(admin_dsn)
    candidates = holders = 0
    try:
        for attempt in range(300):
            candidates = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                APPLICATION_NAME,
            )
            holders = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = $1",
                election_key(ELECTION),
            )
            if holders and attempt:
                break
            await asyncio.sleep(0.2 if not holders else 1.0)
    finally:
        await conn.close()
    return candidates, holders


def test_an_http_worker_opens_its_whole_pool_and_nothing_else_of_its_settings_changes() -> None:
    settings = Settings(pool_min_size=2, pool_max_size=7, port=8123)
    worker = http_worker_settings(settings)
    assert (worker.pool_min_size, worker.pool_max_size) == (7, 7)
    assert msgspec.structs.replace(worker, pool_min_size=2) == settings
