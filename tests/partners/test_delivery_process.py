"""``passend deliveries run`` killed mid-batch and restarted loses and reorders nothing.

The API here delivers nothing itself; a separate process does, and is killed with SIGKILL
while the receiver is still answering a batch.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, open_tenant
from tests.partners.conftest import Receiver, partner_settings, served
from tests.partners.support import read_feed
from tests.partners.test_webhooks import (
    PARTNER,
    delivered_events,
    register_pupils,
    secrets,
    until,
    webhook_subscription,
)

ROOT = Path(__file__).resolve().parents[2]
PROCESS_START_S = 120.0


@pytest.fixture(scope="module")
async def quiet_api(
    database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    admin_dsn, app_dsn = database_dsns
    data_dir = Path(tmp_path_factory.mktemp("quiet"))
    settings = partner_settings(admin_dsn, app_dsn, data_dir, run_deliveries=False)
    async with served(settings) as api:
        yield api


def start_deliveries(api: Api) -> subprocess.Popen[bytes]:
    settings = api.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "PASSEND_DATABASE_APP_URL": settings.database_app_url or "",
        "PASSEND_DATA_DIR": str(settings.data_dir),
        "PASSEND_PUBLIC_URL": settings.public_url,
        "PASSEND_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "PASSEND_WEBHOOK_BATCH_SIZE": "2",
        "PASSEND_WEBHOOK_TIMEOUT_S": "5",
        "PASSEND_WEBHOOK_BACKOFF_BASE_S": "0.05",
        "PASSEND_WEBHOOK_BACKOFF_CAP_S": "0.4",
        "PASSEND_PARTNER_POLL_INTERVAL_S": "0.2",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "deliveries", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_killing_the_delivery_process_mid_batch_loses_and_reorders_nothing(
    quiet_api: Api, receiver: Receiver
) -> None:
    receiver.delay_s = 0.3
    tenant = await open_tenant(quiet_api)
    subscription = await webhook_subscription(quiet_api, tenant, receiver.url)
    last = await register_pupils(quiet_api, tenant, 10)
    expected = await read_feed(quiet_api, tenant, subscription, PARTNER, until_position=last)
    secret = (await secrets(quiet_api, tenant, subscription))[0]

    process = start_deliveries(quiet_api)
    try:
        # A new process imports the whole API first: under load that alone takes half a minute.
        await until(
            lambda: receiver.started >= 2 and receiver.started > len(receiver.received),
            timeout_s=PROCESS_START_S,
        )
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert len(delivered_events(receiver.received, secret)) < len(expected)

    process = start_deliveries(quiet_api)
    try:
        await until(
            lambda: len(delivered_events(receiver.received, secret)) >= len(expected),
            timeout_s=PROCESS_START_S,
        )
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)
    delivered = delivered_events(receiver.received, secret)
    assert [e["sequence"] for e in delivered] == [e["sequence"] for e in expected]
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) > len(set(ids)), "the batch in flight at the kill is sent again, same id"
