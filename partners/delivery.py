"""Webhook delivery: each subscription's events, in order, at least once, signed.

One task per active webhook subscription, under a lease (an advisory lock, as the projection
runner uses) so that of all processes only one delivers a subscription at a time. A batch is
the events after the delivered position; its range is written down *before* it is sent, so
a retry, in this process or after a crash, sends exactly the same batch under the same
``webhook-id``, and the position moves only after a 2xx. The next batch waits for that.

Retries back off exponentially with jitter: the n-th failed attempt of a batch waits
``min(cap, base * 2**(n-1))`` seconds times a random factor in ``[1 - jitter, 1 + jitter]``
(by default 1 s, 2 s, 4 s, … up to an hour, then hourly, without end). The position stays
where it is; the status route shows ``failing``, the attempts and the last error. A 410 Gone
disables the subscription's delivery until it is resumed. Every attempt is recorded.

Each request carries the tenant's latest signed checkpoint, read when the request is made (a
retry may carry a newer one), and goes to the address its target resolved to and passed the
checks for that very request (``infrastructure.webhooks``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from domain.ids import TenantId
from infrastructure.database import Connection, HeldConnections, Pool, tenant_transaction
from infrastructure.transparency_log import read_checkpoint
from infrastructure.wake_ups import woken
from infrastructure.webhooks import Attempt, WebhookTargets, post_webhook, webhook_client
from partners.feeds import (
    MAX_LIMIT,
    FeedPage,
    FeedRenderer,
    Subscriber,
    encode_batch,
    subscriber_in_transaction,
)
from partners.recipients import record_delivered_in_transaction
from partners.signal import FeedSignal
from projections.lease import Leases, lease_key

log = logging.getLogger("passend.deliveries")
# Its own generator, not the random module's shared one: a delivery worker runs in the
# background of whatever else shares the process, and that may have seeded the shared state.
_JITTER = random.Random()  # noqa: S311

_ENSURE = """
INSERT INTO partner_deliveries (tenant_id, subscription_id, position) VALUES ($1, $2, $3)
ON CONFLICT (tenant_id, subscription_id) DO NOTHING
"""
_ROW = "SELECT * FROM partner_deliveries WHERE tenant_id = $1 AND subscription_id = $2"
_REPLAY = """
UPDATE partner_deliveries SET position = $3, pending_from = NULL, pending_to = NULL,
       replays_applied = $4, status = 'ok', attempts = 0, next_attempt_at = NULL,
       updated_at = now()
 WHERE tenant_id = $1 AND subscription_id = $2
"""
_MOVE = """
UPDATE partner_deliveries SET position = $3, updated_at = now()
 WHERE tenant_id = $1 AND subscription_id = $2 AND pending_from IS NULL AND position < $3
"""
_PENDING = """
UPDATE partner_deliveries SET pending_from = $3, pending_to = $4, updated_at = now()
 WHERE tenant_id = $1 AND subscription_id = $2
"""
_ATTEMPT = """
INSERT INTO partner_delivery_attempts (tenant_id, subscription_id, webhook_id, first_position,
       last_position, attempted_at, status_code, latency_ms, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
_DELIVERED = """
UPDATE partner_deliveries SET position = pending_to, pending_from = NULL, pending_to = NULL,
       status = 'ok', attempts = 0, next_attempt_at = NULL, delivered_at = $3, updated_at = now()
 WHERE tenant_id = $1 AND subscription_id = $2
"""
_FAILED = """
UPDATE partner_deliveries SET status = $3, attempts = attempts + 1, last_error = $4,
       next_attempt_at = $5, updated_at = now()
 WHERE tenant_id = $1 AND subscription_id = $2
"""


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    batch_size: int = 100
    request_timeout_s: float = 10.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 3600.0
    jitter: float = 0.2
    poll_interval_s: float = 1.0

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt of a batch."""
        exact: float = min(self.backoff_cap_s, self.backoff_base_s * 2.0 ** max(attempts - 1, 0))
        return exact * _JITTER.uniform(1 - self.jitter, 1 + self.jitter)


def webhook_id(subscription_id: UUID, first: int, last: int) -> str:
    """The same for every attempt at one batch: receivers drop duplicates by it."""
    return f"msg_{subscription_id.hex}_{first:020d}_{last:020d}"


async def ensure_delivery(
    conn: Connection, tenant_id: TenantId, subscriber: Subscriber
) -> dict[str, Any]:
    """The subscription's delivery row; a new one starts at the subscription's creation."""
    async with tenant_transaction(conn, tenant_id):
        return await _delivery_in_transaction(conn, tenant_id, subscriber)


async def _delivery_in_transaction(
    conn: Connection, tenant_id: TenantId, subscriber: Subscriber
) -> dict[str, Any]:
    row = await conn.fetchrow(_ROW, tenant_id, subscriber.id)
    if row is None:
        await conn.execute(_ENSURE, tenant_id, subscriber.id, subscriber.created_position)
        row = await conn.fetchrow(_ROW, tenant_id, subscriber.id)
    return dict(row) if row else {}


class DeliveryWorker:
    """Start with ``start()``, stop with ``stop()``; several may run in several processes."""

    def __init__(
        self,
        pool: Pool,
        renderer: FeedRenderer,
        signal: FeedSignal,
        settings: DeliverySettings | None = None,
        targets: WebhookTargets | None = None,
    ) -> None:
        self._pool = pool
        # Kept between steps: a checkout and its release cost a reset query each, and a
        # delivery's statements leave nothing in the session (see HeldConnections).
        self._connections = HeldConnections(pool, max(1, min(4, pool.get_max_size() // 4)))
        self._renderer = renderer
        self._signal = signal
        self._settings = settings or DeliverySettings()
        self._targets = targets or WebhookTargets()
        self._tasks: dict[tuple[TenantId, UUID], asyncio.Task[None]] = {}
        self._control: Connection | None = None
        self._leases: Leases | None = None
        self._poller: asyncio.Task[None] | None = None
        self._look = asyncio.Event()

    async def start(self) -> None:
        self._control = await self._pool.acquire()
        self._leases = Leases(self._control)
        self._poller = asyncio.create_task(self._poll_forever(), name="deliveries-poll")

    async def stop(self) -> None:
        tasks = [t for t in (self._poller, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        control, self._control, self._leases = self._control, None, None
        if control is not None:
            await self._pool.release(control)  # type: ignore[arg-type]
        await self._connections.release_all()

    def wake(self) -> None:
        """Look for new or resumed subscriptions now rather than at the next poll."""
        # The poller looks, not a task of its own: a look that outlived ``stop`` would start
        # delivery tasks that nothing stops.
        self._look.set()

    async def _poll_forever(self) -> None:
        while True:
            self._look.clear()
            try:
                await self._find_subscriptions()
            except Exception:
                log.warning("listing webhook subscriptions failed", exc_info=True)
            await woken(self._look, self._settings.poll_interval_s)

    async def _find_subscriptions(self) -> None:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM passend_webhook_subscriptions()")
        for row in rows:
            key = (TenantId(row["tenant_id"]), row["subscription_id"])
            task = self._tasks.get(key)
            if task is None or task.done():
                self._tasks[key] = asyncio.create_task(
                    self._run(*key), name=f"deliveries-{key[0]}-{key[1]}"
                )

    async def _run(self, tenant_id: TenantId, subscription_id: UUID) -> None:
        key = lease_key("delivery", tenant_id, str(subscription_id))
        leases = self._leases
        if leases is None or not await leases.try_acquire(key):
            return  # another process delivers it; the next poll looks again
        try:
            async with webhook_client(self._settings.request_timeout_s) as client:
                await self._deliver(tenant_id, subscription_id, client)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivering %s of %s failed; retrying", subscription_id, tenant_id)
            await asyncio.sleep(self._settings.poll_interval_s)
        finally:
            await leases.release(key)

    async def _deliver(
        self, tenant_id: TenantId, subscription_id: UUID, client: httpx.AsyncClient
    ) -> None:
        while True:
            async with self._connections.lease() as conn:
                step = await self._next_step(conn, tenant_id, subscription_id)
            match step:
                case None:
                    return
                case float(seconds):
                    await asyncio.sleep(seconds)
                case int(projected):
                    await self._signal.wait_beyond(
                        tenant_id, projected, self._settings.poll_interval_s
                    )
                case (subscriber, first, last, page):
                    attempt = await self._send(
                        client, tenant_id, subscriber, first=first, last=last, page=page
                    )
                    if attempt.gone:
                        return
                    if attempt.delivered and page.next_after >= page.projected:
                        # Everything the feed had is sent: wait for more rather than look.
                        await self._signal.wait_beyond(
                            tenant_id, page.projected, self._settings.poll_interval_s
                        )

    async def _next_step(
        self, conn: Connection, tenant_id: TenantId, subscription_id: UUID
    ) -> float | int | tuple[Subscriber, int, int, FeedPage] | None:
        """What to do next: stop (None), sleep (seconds), wait past a position, or send.

        One transaction: the subscription, its delivery row, the page and the mark of the
        batch about to be sent cost one round trip each and no more.
        """
        async with tenant_transaction(conn, tenant_id):
            return await self._step_in_transaction(conn, tenant_id, subscription_id)

    async def _step_in_transaction(  # noqa: PLR0911 - one return per kind of step
        self, conn: Connection, tenant_id: TenantId, subscription_id: UUID
    ) -> float | int | tuple[Subscriber, int, int, FeedPage] | None:
        subscriber = await subscriber_in_transaction(conn, tenant_id, subscription_id)
        if subscriber is None or subscriber.state.status != "ACTIVE":
            return None
        row = await _delivery_in_transaction(conn, tenant_id, subscriber)
        if row["replays_applied"] < subscriber.state.replays:
            await conn.execute(
                _REPLAY,
                tenant_id,
                subscription_id,
                subscriber.state.replay_after,
                subscriber.state.replays,
            )
            return 0.0
        if row["status"] == "disabled":
            return None
        wait = _seconds_until(row["next_attempt_at"])
        if wait > 0:
            return wait
        if row["pending_from"] is not None:
            first, last = row["pending_from"], row["pending_to"]
            page = await self._renderer.read_in_transaction(
                conn,
                tenant_id,
                subscriber,
                after=first,
                up_to=last,
                limit=MAX_LIMIT,
                with_checkpoint=True,
            )
            return (subscriber, first, last, page)
        position = row["position"]
        page = await self._renderer.read_in_transaction(
            conn, tenant_id, subscriber, after=position, limit=self._settings.batch_size
        )
        if not page.events:
            if page.next_after > position:
                await conn.execute(_MOVE, tenant_id, subscription_id, page.next_after)
            return page.projected
        last = int(page.events[-1]["sequence"])
        await conn.execute(_PENDING, tenant_id, subscription_id, position, last)
        stored = await read_checkpoint(conn, tenant_id)  # only for a page that is sent
        checkpoint = stored.note.text if stored is not None else None
        return (subscriber, position, last, replace(page, checkpoint=checkpoint))

    async def _send(  # noqa: PLR0913 - the batch and where it goes
        self,
        client: httpx.AsyncClient,
        tenant_id: TenantId,
        subscriber: Subscriber,
        *,
        first: int,
        last: int,
        page: FeedPage,
    ) -> Attempt:
        url = subscriber.state.webhook_url
        if url is None:
            raise RuntimeError(f"subscription {subscriber.id} has no webhook URL")
        at = datetime.now(UTC)
        message_id = webhook_id(subscriber.id, first, last)
        attempt = await post_webhook(
            client,
            url,
            webhook_id=message_id,
            secrets=self._renderer.webhook_secrets(tenant_id, subscriber, now=at),
            body=encode_batch(page.events).decode(),
            at=at,
            targets=self._targets,
            headers=page.checkpoint_headers(),
        )
        async with self._connections.lease() as conn, tenant_transaction(conn, tenant_id):
            await conn.execute(
                _ATTEMPT,
                tenant_id,
                subscriber.id,
                message_id,
                first + 1,
                last,
                at,
                attempt.status_code,
                attempt.latency_ms,
                attempt.error,
            )
            if attempt.delivered:
                await conn.execute(_DELIVERED, tenant_id, subscriber.id, datetime.now(UTC))
                await record_delivered_in_transaction(
                    conn, tenant_id, subscriber, after=first, up_to=last, at=at
                )
            else:
                status = "disabled" if attempt.gone else "failing"
                row = await conn.fetchrow(_ROW, tenant_id, subscriber.id)
                attempts = (row["attempts"] if row else 0) + 1
                retry_at = datetime.now(UTC) + timedelta(seconds=self._settings.backoff(attempts))
                await conn.execute(
                    _FAILED, tenant_id, subscriber.id, status, attempt.error, retry_at
                )
        return attempt


def _seconds_until(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


async def reenable_delivery(conn: Connection, tenant_id: TenantId, subscription_id: UUID) -> bool:
    """Let a delivery that a 410 disabled try again from its position; False if not disabled."""
    async with tenant_transaction(conn, tenant_id):
        result = await conn.execute(
            "UPDATE partner_deliveries SET status = 'ok', attempts = 0, next_attempt_at = NULL,"
            " updated_at = now() WHERE tenant_id = $1 AND subscription_id = $2"
            " AND status = 'disabled'",
            tenant_id,
            subscription_id,
        )
    return result.endswith(" 1")
