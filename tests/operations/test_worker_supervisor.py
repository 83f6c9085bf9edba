"""The socket that `serve --workers` shares: every connection accepted on it sends at once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

from api.background import ELECTION
from api.worker_supervisor import listening_socket
from infrastructure.election import APPLICATION_NAME, election_key
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


async def test_two_workers_serve_one_port_and_stop_on_sigterm(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    port = free_port()
    admin, app = database_dsns
    env = dict(
        os.environ,
        DATABASE_URL=admin,
        PASSEND_DATABASE_APP_URL=app,
        PASSEND_DATA_DIR=str(tmp_path),
        PASSEND_LOG_LEVEL="warning",
    )
    serve = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, waited for below
        [PASSEND, "serve", "--no-demo", "--workers", "2", "--port", str(port)], env=env
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(600):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            answers = [(await client.get("/health")).status_code for _ in range(4)]
        assert answers == [200] * 4
        assert await _candidates_and_holders(admin) == (2, 1), "one worker runs the runner"
        serve.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(serve.wait, 60) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


async def _candidates_and_holders(admin_dsn: str) -> tuple[int, int]:
    """The background election's connections and the holders of its lock.

    Read once the second worker has joined the election (or after 60 s).
    """
    conn = await asyncpg.connect(admin_dsn)
    candidates = 0
    try:
        for _ in range(300):
            candidates = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                APPLICATION_NAME,
            )
            if candidates >= 2:
                break
            await asyncio.sleep(0.2)
        holders = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = $1",
            election_key(ELECTION),
        )
    finally:
        await conn.close()
    return candidates, holders
