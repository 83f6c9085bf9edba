"""One read of a tenant's rows serves each subscription exactly the page its own read serves.

The delivery worker reads a tenant's integration events once for all subscriptions standing at
one position and filters them per subscription in Python; that filter must agree with the SQL
one (``FEED_MATCHES``) on legal basis, municipalities, consent and shredded pupils, for every
position and page size.
"""

from __future__ import annotations

from uuid import UUID

from api.partners import partner_keys
from domain.ids import TenantId
from infrastructure.database import Pool, tenant_transaction
from partners.feeds import FeedRenderer, load_subscriber, tenant_rows_in_transaction
from tests.api.conftest import Api
from tests.partners.support import read_feed
from tests.partners.test_feeds import world_with_subscriptions


async def test_each_subscription_takes_from_the_shared_rows_exactly_its_own_feed(
    partner_api: Api, app_pool: Pool
) -> None:
    tenant, subscriptions, _, last = await world_with_subscriptions(partner_api)
    partners = {"youth": "wijkteam", "oogo": "gemeente", "attendance": "leerplicht"}
    for name, subject in partners.items():  # every feed has reached the last position
        await read_feed(partner_api, tenant, subscriptions[name], subject, until_position=last)
    renderer = FeedRenderer(partner_keys(partner_api.settings), public_url="http://test")
    tenant_id = TenantId(tenant)
    compared = 0
    async with app_pool.acquire() as conn:
        for subscription in subscriptions.values():
            subscriber = await load_subscriber(conn, tenant_id, UUID(subscription))
            assert subscriber is not None
            for after in range(last + 1):
                for limit in (1, 2, 100):
                    own = await renderer.read(conn, tenant_id, subscriber, after=after, limit=limit)
                    async with tenant_transaction(conn, tenant_id):
                        rows = await tenant_rows_in_transaction(
                            conn, tenant_id, after=after, limit=1000
                        )
                    shared = renderer.page_from(tenant_id, subscriber, rows, limit=limit)
                    # Its own read, of as many events, or of the range the shared page covers
                    own = await renderer.read(conn, tenant_id, subscriber, after=after, limit=limit)
                    covered = await renderer.read(
                        conn,
                        tenant_id,
                        subscriber,
                        after=after,
                        limit=1000,
                        up_to=shared.next_after,
                    )
                    assert shared.events == own.events, (subscription, after, limit)
                    assert shared.events == covered.events, (subscription, after, limit)
                    assert shared.next_after >= own.next_after, (subscription, after, limit)
                    compared += len(own.events)
    assert compared > 0
