"""A change of subscriptions wakes delivery workers once the live build has it, not a rebuild's."""

from __future__ import annotations

import asyncio

from domain.ids import TenantId
from infrastructure.database import Pool, listen, stop_listening
from infrastructure.event_store import PostgresEventStore
from projections.builds import drop_build
from projections.partner_events import DELIVERIES_CHANNEL, PartnerEventsProjection
from tests.api.conftest import Api, open_tenant
from tests.partners.support import pull_subscription
from tests.partners.test_webhooks import PARTNER
from tests.projections.read_models import scratch_build


async def test_a_rebuild_writing_subscriptions_wakes_no_delivery_worker(
    partner_api: Api, app_pool: Pool, pg_store: PostgresEventStore
) -> None:
    tenant = await open_tenant(partner_api)
    woken: list[str] = []

    def notified(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        if payload == tenant:
            woken.append(tenant)

    listener = await listen(app_pool, DELIVERIES_CHANNEL, notified)
    try:
        await pull_subscription(partner_api, tenant, PARTNER, "LEERPLICHTWET", "pupil.enrolled.v1")
        for _ in range(200):  # the API's runner applies it to the active build
            if woken:
                break
            await asyncio.sleep(0.1)
        assert woken == [tenant]

        build = await scratch_build(
            app_pool, pg_store, PartnerEventsProjection(), TenantId(tenant), batch_size=100
        )
        try:
            await asyncio.sleep(0.5)
            assert woken == [tenant]
        finally:
            async with app_pool.acquire() as conn:
                await drop_build(conn, build)
    finally:
        await stop_listening(app_pool, listener, DELIVERIES_CHANNEL, notified)
