"""``passend deliveries run`` killed mid-batch and restarted loses and reorders nothing.

The API here delivers nothing itself; a separate process does, and is killed with SIGKILL
while the receiver is still answering a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest

from api.partners import start_partner_services
from infrastructure.database import Pool
from tests.api.conftest import Api, open_tenant
from tests.partners.conftest import Receiver, served_partner_api
from tests.partners.support import PROCESS_START_S, partner, read_feed, start_worker
from tests.partners.test_webhooks import (
    PARTNER,
    delivered_events,
    register_pupils,
    secrets,
    until,
    webhook_subscription,
)


@pytest.fixture(scope="module")
async def quiet_api(
    database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    async with served_partner_api(
        database_dsns, tmp_path_factory, "quiet", run_deliveries=False
    ) as api:
        yield api


async def test_killing_the_delivery_process_mid_batch_loses_and_reorders_nothing(
    quiet_api: Api, receiver: Receiver
) -> None:
    receiver.delay_s = 0.3
    tenant = await open_tenant(quiet_api)
    subscription = await webhook_subscription(quiet_api, tenant, receiver.url)
    last = await register_pupils(quiet_api, tenant, 10)
    expected = await read_feed(quiet_api, tenant, subscription, PARTNER, until_position=last)
    secret = (await secrets(quiet_api, tenant, subscription))[0]

    process = start_worker(quiet_api, "deliveries", webhook_batch_size=2)
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

    process = start_worker(quiet_api, "deliveries", webhook_batch_size=2)
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


@pytest.fixture
async def distant_deliveries(quiet_api: Api, app_pool: Pool) -> AsyncIterator[None]:
    """A delivery worker beside an API that has none, as under serve --workers.

    Its own pool, and it looks for subscriptions and reads feed positions by itself only once a
    minute: it learns of the API's routes and runner through PostgreSQL alone.
    """
    slow = msgspec.structs.replace(quiet_api.settings, partner_poll_interval_s=60)
    services = await start_partner_services(app_pool, slow, None, deliver=True)
    try:
        await asyncio.sleep(1)  # its first look is over
        yield
    finally:
        await asyncio.wait_for(services.stop(), 10)


@pytest.mark.usefixtures("distant_deliveries")
async def test_a_subscription_made_where_no_delivery_worker_runs_wakes_one_elsewhere(
    quiet_api: Api, receiver: Receiver
) -> None:
    tenant = await open_tenant(quiet_api)
    subscription = await webhook_subscription(quiet_api, tenant, receiver.url)
    last = await register_pupils(quiet_api, tenant, 2)
    expected = await read_feed(quiet_api, tenant, subscription, PARTNER, until_position=last)
    secret = (await secrets(quiet_api, tenant, subscription))[0]

    await until(
        lambda: len(delivered_events(receiver.received, secret)) >= len(expected), timeout_s=20
    )


@pytest.mark.usefixtures("distant_deliveries")
async def test_a_delivery_resumed_where_no_delivery_worker_runs_goes_on_elsewhere(
    quiet_api: Api, receiver: Receiver
) -> None:
    receiver.script = [410]
    tenant = await open_tenant(quiet_api)
    subscription = await webhook_subscription(quiet_api, tenant, receiver.url)
    await register_pupils(quiet_api, tenant, 1)
    path = f"/v1/tenants/{tenant}/subscriptions/{subscription}"
    headers = partner(quiet_api, tenant, PARTNER)

    async def disabled() -> bool:
        read = await quiet_api.ok("GET", path, headers)
        return bool((read["delivery"] or {}).get("status") == "disabled")

    for _ in range(200):
        if await disabled():
            break
        await asyncio.sleep(0.1)
    assert await disabled()
    await quiet_api.ok("POST", f"{path}/resume", headers)

    await until(lambda: len(receiver.received) == 1, timeout_s=20)
