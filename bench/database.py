"""A freshly migrated bench database on an embedded or given server, and its CPU time."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.store.workload import BENCH_DATABASE
from infrastructure import embedded_postgres_server
from infrastructure.migrate import apply_migrations


class ServerCpu:
    """CPU seconds used by a local PostgreSQL server: the postmaster and all its children."""

    def __init__(self, postmaster_pid: int) -> None:
        self.pid = postmaster_pid
        self._tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _stat(pid: int | str) -> list[str] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2 :].split()

    @classmethod
    def of_backend(cls, backend_pid: int) -> ServerCpu | None:
        stat = cls._stat(backend_pid)
        return None if stat is None else cls(int(stat[1]))

    def seconds(self) -> float:
        own = self._stat(self.pid)
        if own is None:
            return float("nan")
        # finished children (closed connections) are counted in the postmaster's cutime/cstime
        ticks = sum(int(v) for v in own[11:15])
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = self._stat(entry.name)
                if stat is not None and stat[1] == str(self.pid):
                    ticks += int(stat[11]) + int(stat[12])
        return ticks / self._tick


@contextlib.asynccontextmanager
async def bench_database(
    admin_dsn: str | None, app_dsn: str | None
) -> AsyncIterator[tuple[str, str, ServerCpu | None]]:
    """Yield (admin DSN, app DSN, ServerCpu) of a freshly migrated bench database."""
    data_dir: Path | None = None
    server_cpu: ServerCpu | None = None
    if admin_dsn is None:
        data_dir = Path(tempfile.mkdtemp(prefix="passend-bench-pg-"))
        server = embedded_postgres_server.start(data_dir, synchronous_commit=True)
        admin_dsn = server.admin_dsn()
        pid_file = data_dir / "pgdata" / "postmaster.pid"
        server_cpu = ServerCpu(int(pid_file.read_text().split()[0]))
    try:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
            if server_cpu is None:
                server_cpu = ServerCpu.of_backend(await conn.fetchval("SELECT pg_backend_pid()"))
        finally:
            await conn.close()
        db_admin = _with_database(admin_dsn, BENCH_DATABASE)
        conn = await asyncpg.connect(db_admin)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        db_app = _with_database(app_dsn, BENCH_DATABASE) if app_dsn else _as_app(db_admin)
        try:
            yield db_admin, db_app, server_cpu
        finally:
            conn = await asyncpg.connect(admin_dsn)
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            finally:
                await conn.close()
    finally:
        if data_dir is not None:
            embedded_postgres_server.destroy(data_dir)


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _as_app(dsn: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"passend_app@{host}"))
