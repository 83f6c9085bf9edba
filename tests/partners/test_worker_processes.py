"""``passend projections run`` and ``passend deliveries run`` stop at once on SIGTERM under load.

As deployed: the API writes and projects and delivers nothing itself; the two processes do.
Both are sent SIGTERM while pupils are being registered, must exit by themselves (status 0)
well within the bound, and once started again must deliver every event, in order, to a real
receiver: a stop under load loses nothing. The bound is generous: a correctness test, not a
timing one (a stop that hangs never ends at all).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, open_tenant
from tests.partners.conftest import Receiver, served_partner_api
from tests.partners.support import PROCESS_START_S, read_feed, start_worker
from tests.partners.test_webhooks import (
    PARTNER,
    delivered_events,
    register_pupils,
    secrets,
    until,
    webhook_subscription,
)

STOP_BOUND_S = 15.0
WRITERS = 4


@pytest.fixture(scope="module")
async def writing_api(
    database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    async with served_partner_api(
        database_dsns, tmp_path_factory, "workers", run_projections=False, run_deliveries=False
    ) as api:
        yield api


class Workers:
    """The two worker processes, started from the CLI, their output in files."""

    def __init__(self, api: Api, logs: Path) -> None:
        self._api = api
        self._logs = logs
        self._starts = 0
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        self._starts += 1
        for command in ("projections", "deliveries"):
            with (self._logs / f"{command}-{self._starts}.log").open("wb") as log:
                self.running[command] = start_worker(self._api, command, log)

    async def terminate(self) -> dict[str, tuple[int | None, float]]:
        """SIGTERM to both; each one's exit status and seconds to exit (None: still running)."""
        sent = time.monotonic()
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        exits: dict[str, tuple[int | None, float]] = {}
        for command, process in self.running.items():
            with contextlib.suppress(subprocess.TimeoutExpired):
                remaining = max(sent + STOP_BOUND_S - time.monotonic(), 0.0)
                await asyncio.to_thread(process.wait, remaining)
            exits[command] = (process.poll(), time.monotonic() - sent)
        return exits

    def kill(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    def output(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text()[-3000:]}" for p in self._logs.iterdir())


@pytest.fixture
def workers(writing_api: Api, tmp_path: Path) -> Iterator[Workers]:
    found = Workers(writing_api, tmp_path)
    try:
        yield found
    finally:
        found.kill()


async def test_the_worker_processes_stop_promptly_under_load_and_lose_nothing(
    writing_api: Api, receiver: Receiver, workers: Workers
) -> None:
    api = writing_api
    workers.start()
    tenant = await open_tenant(api)
    subscription = await webhook_subscription(api, tenant, receiver.url)
    secret = (await secrets(api, tenant, subscription))[0]
    await register_pupils(api, tenant, 1)
    # Both at work: the projections process fed the feed, the deliveries process sent it.
    await until(lambda: len(receiver.received) >= 1, timeout_s=PROCESS_START_S)

    writing = True
    last = 0

    async def write() -> None:
        nonlocal last
        while writing:
            last = max(last, await register_pupils(api, tenant, 1))

    writers = [asyncio.create_task(write()) for _ in range(WRITERS)]
    try:
        await asyncio.sleep(2)
        exits = await workers.terminate()
        await asyncio.sleep(0.5)
    finally:
        writing = False
        await asyncio.gather(*writers)
    assert all(code == 0 for code, _ in exits.values()), (exits, workers.output())
    assert all(seconds < STOP_BOUND_S for _, seconds in exits.values()), exits

    workers.start()
    expected = await read_feed(api, tenant, subscription, PARTNER, until_position=last, limit=500)
    await until(
        lambda: len(delivered_events(receiver.received, secret)) >= len(expected),
        timeout_s=PROCESS_START_S,
    )
    delivered = delivered_events(receiver.received, secret)
    assert [e["sequence"] for e in delivered] == [e["sequence"] for e in expected]
    assert delivered == expected
    exits = await workers.terminate()
    assert all(code == 0 for code, _ in exits.values()), (exits, workers.output())
