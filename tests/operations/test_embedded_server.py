"""The embedded server's DSNs reach it over its Unix-domain socket, wherever its data lives."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import asyncpg

from infrastructure import embedded_postgres_server


async def _server_address(dsn: str) -> str | None:
    connection = await asyncpg.connect(dsn)
    try:
        # NULL on a Unix-domain socket, the server's IP address on TCP
        address: str | None = await connection.fetchval("SELECT inet_server_addr()::text")
    finally:
        await connection.close()
    return address


async def test_the_suites_server_is_reached_over_its_socket(admin_dsn: str) -> None:
    if "%2F" not in admin_dsn:
        return  # PASSEND_TEST_DATABASE_URL: an external server, reached as configured
    assert await _server_address(admin_dsn) is None


async def test_a_data_dir_too_deep_for_a_socket_path_gets_a_short_socket_dir_elsewhere() -> None:
    root = Path(tempfile.mkdtemp(prefix="passend-deep-"))
    data_dir = root.joinpath(*["a-folder-nested-rather-deep"] * 4)
    try:
        server = embedded_postgres_server.start(data_dir)
        try:
            assert not server.socket_dir.is_relative_to(data_dir)
            assert len(str(server.socket_dir / f".s.PGSQL.{server.port}")) <= 107
            assert await _server_address(server.admin_dsn()) is None
            # TCP on loopback stays, for what is given a host and port (pg_basebackup, tools)
            tcp = f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
            assert await _server_address(tcp) == "127.0.0.1/32"
            embedded_postgres_server.stop(data_dir)
            again = embedded_postgres_server.start(data_dir)
            assert again.socket_dir == server.socket_dir, "clients that kept the DSN reconnect"
        finally:
            embedded_postgres_server.destroy(data_dir)
        assert not server.socket_dir.exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)
