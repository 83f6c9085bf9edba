"""Which partner received data about which pupil: the delivery record behind subject access.

One row per pupil, subscription and integration event type, with the first and last time and
how many events. It is written when events are delivered: a pull page served, a Server-Sent
Events page sent, a webhook batch accepted (2xx); the rows are those the subscription was
served in that range (``partners.feeds.FEED_MATCHES``; a webhook batch names its own, as
``partners.delivery`` records its delivery in one call). A subject access report lists them
as recipients (AVG art. 15(1)(c)). They name no content, only that data went where, and they
stay when the pupil's data is shredded: the SWV must tell each recipient of an erasure (art. 19).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.subject_access import PartnerDelivery
from domain.ids import TenantId
from infrastructure.database import Connection, tenant_transaction
from partners.feeds import FEED_MATCHES, Subscriber

_RECORD = f"""
INSERT INTO partner_recipients AS r (tenant_id, pupil_id, subscription_id, event_type,
       first_delivered_at, last_delivered_at, events_delivered)
SELECT $1, e.pupil_id, $8, e.type, $9, $9, count(*) {FEED_MATCHES}
 GROUP BY e.pupil_id, e.type
ON CONFLICT (tenant_id, pupil_id, subscription_id, event_type) DO UPDATE
   SET last_delivered_at = greatest(r.last_delivered_at, excluded.last_delivered_at),
       events_delivered = r.events_delivered + excluded.events_delivered
"""  # noqa: S608 - a checked identifier
_OF_PUPIL = """
SELECT subscription_id, event_type, first_delivered_at, last_delivered_at, events_delivered
  FROM partner_recipients WHERE tenant_id = $1 AND pupil_id = $2
 ORDER BY first_delivered_at, subscription_id, event_type
"""


async def record_delivered(  # noqa: PLR0913 - the range and when
    conn: Connection,
    tenant_id: TenantId,
    subscriber: Subscriber,
    *,
    after: int,
    up_to: int,
    at: datetime,
) -> None:
    """The subscription was delivered its events after ``after`` up to ``up_to``, at ``at``."""
    if up_to <= after:
        return
    async with tenant_transaction(conn, tenant_id):
        await conn.execute(
            _RECORD, *subscriber.matching(tenant_id, after, up_to), subscriber.id, at
        )


async def deliveries_about(
    conn: Connection, tenant_id: TenantId, pupil_id: UUID
) -> list[PartnerDelivery]:
    """Every delivery of data about the pupil, per subscription and event type."""
    async with tenant_transaction(conn, tenant_id):
        rows = await conn.fetch(_OF_PUPIL, tenant_id, pupil_id)
    return [PartnerDelivery(**dict(row)) for row in rows]
