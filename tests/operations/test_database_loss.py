"""The database killed (``kill -9``) under load and started again: the API bends, nothing is lost.

The test runs its own embedded server with synchronous commits, so an acknowledged command is
durable, and kills its postmaster while four clients keep sending commands.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import httpx
import pytest
from litestar import Litestar
from typer.testing import CliRunner

from api.app import create_app
from api.auth import Role
from api.cli import cli
from api.settings import Settings
from infrastructure import embedded_postgres_server
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.serving import served

BACK_WITHIN_S = 10.0
NO_REQUEST_TAKES_S = 8.0


@dataclass
class Server:
    data_dir: Path
    server: embedded_postgres_server.EmbeddedServer

    def kill(self) -> None:
        pid = embedded_postgres_server.running_server_pid(self.data_dir)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

    def start_again(self) -> None:
        # Orphaned backends leave within moments of their postmaster; until then start fails.
        deadline = time.monotonic() + 20
        while True:
            try:
                restarted = embedded_postgres_server.start(self.data_dir)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            assert restarted.port == self.server.port, "the server must come back where it was"
            return


@pytest.fixture
def server() -> Iterator[Server]:
    """A server where ``passend serve`` keeps it: ``<data dir>/postgres``."""
    root = Path(tempfile.mkdtemp(prefix="passend-loss-"))
    data_dir = root / "postgres"
    try:
        yield Server(data_dir, embedded_postgres_server.start(data_dir))
    finally:
        embedded_postgres_server.destroy(data_dir)
        shutil.rmtree(root, ignore_errors=True)


def test_a_second_serve_on_a_running_folder_refuses_and_leaves_the_server_running(
    server: Server,
) -> None:
    pid = embedded_postgres_server.running_server_pid(server.data_dir)
    result = CliRunner().invoke(
        cli, ["serve", "--no-demo"], env={"PASSEND_DATA_DIR": str(server.data_dir.parent)}
    )
    assert result.exit_code == 1
    assert "already running" in result.output
    assert embedded_postgres_server.running_server_pid(server.data_dir) == pid


@dataclass
class ServedApi(Api):
    """The API over real HTTP, so that concurrent clients really run concurrently."""

    app: Litestar


@pytest.fixture
async def api_on_server(server: Server, tmp_path: Path) -> AsyncIterator[ServedApi]:
    settings = Settings(
        database_url=server.server.admin_dsn(),
        database_app_url=server.server.app_dsn(),
        database_retry_seconds=0.1,
        data_dir=tmp_path,
    )
    app = create_app(settings)
    async with (
        served(app) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=NO_REQUEST_TAKES_S) as client,
    ):
        api = ServedApi(cast("Any", client), settings, app)
        await until(lambda: ready(api), within_s=30)
        yield api


async def ready(api: Api) -> bool:
    return (await api.client.get("/health/ready")).status_code == 200


async def until(check: Any, *, within_s: float) -> float:
    """Seconds until ``await check()`` is true; fails after ``within_s``."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within_s, f"not back within {within_s} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class Load:
    """Clients that register pupils, each with its own Idempotency-Key, and what they heard."""

    api: Api
    tenant: str
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> pupil id
    unknown: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    slowest_s: float = 0.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self) -> None:
        headers = {**self.api.as_(self.tenant, Role.LOKET), "Content-Type": "application/json"}
        while not self.stop.is_set():
            key = str(uuid4())
            started = time.monotonic()
            response = await self.api.client.post(
                f"/v1/tenants/{self.tenant}/pupils",
                headers={**headers, "Idempotency-Key": key},
                json={
                    "name": "Ada Lovelace",
                    "date_of_birth": "2016-02-03",
                    "municipality_code": "GM0632",
                    "school_code": SCHOOL,
                },
            )
            self.slowest_s = max(self.slowest_s, time.monotonic() - started)
            self.statuses.append(response.status_code)
            if response.status_code == 201:
                self.acknowledged[key] = response.json()["id"]
                continue
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            problem = response.json()
            if problem["type"].endswith("/outcome-unknown"):
                self.unknown.append(key)
            await asyncio.sleep(0.05)


async def test_a_killed_database_gives_503s_and_everything_comes_back(
    server: Server, api_on_server: ServedApi
) -> None:
    api = api_on_server
    tenant = await open_tenant(api)
    load = Load(api, tenant)
    clients = [asyncio.create_task(load.client()) for _ in range(4)]
    await asyncio.sleep(1.0)
    acknowledged_before = len(load.acknowledged)

    server.kill()
    await until(lambda: _not_ready(api), within_s=5)
    statuses_while_down = len(load.statuses)
    await asyncio.sleep(1.0)
    assert 503 in load.statuses[statuses_while_down:], "commands answer 503 while it is down"

    await asyncio.to_thread(server.start_again)
    back = time.monotonic()
    await until(lambda: ready(api), within_s=BACK_WITHIN_S)
    acknowledged_at_return = len(load.acknowledged)
    await until(lambda: _more_acknowledged(load, acknowledged_at_return), within_s=BACK_WITHIN_S)
    runner = api.app.state.projection_runner
    await until(lambda: _true(runner.connected), within_s=BACK_WITHIN_S)
    load.stop.set()
    await asyncio.gather(*clients)
    await until(lambda: _projections_caught_up(api, tenant), within_s=BACK_WITHIN_S)
    assert time.monotonic() - back < 2 * BACK_WITHIN_S

    assert acknowledged_before > 0
    assert set(load.statuses) <= {201, 503}
    assert load.slowest_s < NO_REQUEST_TAKES_S
    staff = api.as_(tenant, Role.LOKET)
    for pupil in load.acknowledged.values():
        assert (
            await api.call("GET", f"/v1/tenants/{tenant}/pupils/{pupil}", staff)
        ).status_code == 200
    for key in load.unknown:  # the retry with the same key tells what happened, once
        retried = await api.call(
            "POST",
            f"/v1/tenants/{tenant}/pupils",
            {**staff, "Idempotency-Key": key},
            {
                "name": "Ada Lovelace",
                "date_of_birth": "2016-02-03",
                "municipality_code": "GM0632",
                "school_code": SCHOOL,
            },
        )
        assert retried.status_code == 201, retried.text


async def _not_ready(api: Api) -> bool:
    return not await ready(api)


async def _true(value: bool) -> bool:
    return value


async def _more_acknowledged(load: Load, than: int) -> bool:
    return len(load.acknowledged) > than


async def _projections_caught_up(api: Api, tenant: str) -> bool:
    response = await api.call(
        "GET", f"/v1/tenants/{tenant}/projections/status", api.as_(tenant, Role.LOKET)
    )
    if response.status_code != 200:
        return False
    rows: list[dict[str, Any]] = response.json()["projections"]
    return all(row["position"] == row["head"] for row in rows)
