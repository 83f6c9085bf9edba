"""The API served by uvicorn on 127.0.0.1 (streams need a real server), and a webhook receiver.

The receiver is a real HTTP server on 127.0.0.1 whose answers follow a script: a status, a
hang longer than the sender's timeout, or being gone (not listening) for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import uvicorn
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from infrastructure.webhooks import Resolver
from tests.api.conftest import Api
from tests.conftest import database_of_its_own

WEBHOOK_TIMEOUT_S = 0.5

# The served processes catch up every tenant of their database: only the partners' tenants here.
database_dsns, app_pool = database_of_its_own("passend_test_partners")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def partner_settings(admin_dsn: str, app_dsn: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": admin_dsn,
        "database_app_url": app_dsn,
        "database_retry_seconds": 0.1,
        "data_dir": data_dir,
        "webhook_allow_private_targets": True,
        "webhook_timeout_s": WEBHOOK_TIMEOUT_S,
        "webhook_backoff_base_s": 0.05,
        "webhook_backoff_cap_s": 0.4,
        "partner_poll_interval_s": 0.2,
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def served(settings: Settings, resolver: Resolver | None = None) -> AsyncIterator[Api]:
    """The app on a real port, and an Api whose client talks HTTP to it."""
    port = free_port()
    settings = Settings(
        **{
            **{f: getattr(settings, f) for f in settings.__struct_fields__},
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
        }
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, resolver=resolver),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for _ in range(400):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/health")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
        try:
            yield Api(cast("AsyncTestClient[Any]", client), settings)
        finally:
            server.should_exit = True
            await task


@contextlib.asynccontextmanager
async def served_partner_api(
    database_dsns: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    **overrides: Any,
) -> AsyncIterator[Api]:
    """The API served with ``partner_settings`` and ``overrides``, in a data directory its own."""
    admin_dsn, app_dsn = database_dsns
    data_dir = Path(tmp_path_factory.mktemp(name))
    async with served(partner_settings(admin_dsn, app_dsn, data_dir, **overrides)) as api:
        yield api


@pytest.fixture(scope="module")
async def partner_api(
    database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    async with served_partner_api(database_dsns, tmp_path_factory, "partners") as api:
        yield api


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request by the next step of ``script``, then 200.

    A step is a status code, ``"hang"`` (no answer for longer than the sender waits) or
    ``("gone", seconds)`` (stops listening for that long).
    """

    script: list[Any] = field(default_factory=list)
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    started: int = 0
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _go_away(self, seconds: float) -> None:
        await self.stop()
        await asyncio.sleep(seconds)
        await self.start()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.started += 1
            step = self.script.pop(0) if self.script else 200
            if step == "hang":
                await asyncio.sleep(WEBHOOK_TIMEOUT_S * 4)
                return
            if isinstance(step, tuple):
                asyncio.get_running_loop().create_task(self._go_away(step[1]))
                return
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if 200 <= step < 300:
                self.received.append(Received(headers, body))
            writer.write(
                f"HTTP/1.1 {step} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    try:
        yield found
    finally:
        await found.stop()
