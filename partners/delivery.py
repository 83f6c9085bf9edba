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

The subscriptions of one tenant mostly stand at the same position (the last one the tenant's
feed had) and wake up together: one read of the tenant's rows after that position serves all
of them (``SharedReads``), each taking its own events out of it in Python, rendered for it.

Each request carries the tenant's latest signed checkpoint, read with the batch's rows (a
retry may carry a newer one), and goes to the address its target resolved to and passed the
checks for that very request (``infrastructure.webhooks``).

A step costs few round trips, as each waits for two processes to be scheduled: reading the
subscription with its delivery row, marking the batch, and recording an attempt (with the
position and the recipients when it was delivered) are one SQL function call each (migration
0013). The marks check the position and pending range read before, so a worker that lost its
lease to another process changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from domain.ids import TenantId
from infrastructure.database import (
    Connection,
    HeldConnections,
    Listener,
    Pool,
    tenant_transaction,
)
from infrastructure.wake_ups import woken
from infrastructure.webhooks import Attempt, WebhookTargets, post_webhook, webhook_client
from partners.feeds import (
    MAX_LIMIT,
    FeedPage,
    FeedRenderer,
    Subscriber,
    TenantRows,
    encode_batch,
    subscriber_of,
    tenant_rows_in_transaction,
)
from partners.signal import FeedSignal
from projections.lease import Leases, lease_key
from projections.partner_events import DELIVERIES_CHANNEL

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
_STATE = "SELECT * FROM passend_delivery_state($1, $2)"
# From the position read, mark the batch about to be sent, or move past events none of which
# are the subscription's; false if the row no longer stands there.
_MARK = "SELECT passend_delivery_advance($1, $2, $3, $4, true)"
_SKIP = "SELECT passend_delivery_advance($1, $2, $3, $4, false)"
_ATTEMPTED = (
    "SELECT passend_delivery_attempted($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)


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
        row = await conn.fetchrow(_ROW, tenant_id, subscriber.id)
        if row is None:
            await conn.execute(_ENSURE, tenant_id, subscriber.id, subscriber.created_position)
            row = await conn.fetchrow(_ROW, tenant_id, subscriber.id)
    return dict(row) if row else {}


@dataclass(frozen=True, slots=True)
class Batch:
    """The pending batch ``(first, last]`` of a subscription, to be sent as ``page``."""

    subscriber: Subscriber
    first: int
    last: int
    page: FeedPage
    attempts: int
    """Its failed attempts so far."""


class SharedReads:
    """One read of a tenant's feed rows per position, for every subscription standing there.

    The first subscription to ask reads; the others standing at the same position await that
    read. A read is reused only while nothing newer is known
    (``FeedSignal.position``): a subscription woken by new events never gets an older page.
    """

    def __init__(self, signal: FeedSignal) -> None:
        self._signal = signal
        self._reads: dict[TenantId, dict[int, asyncio.Future[TenantRows]]] = {}

    async def rows(self, conn: Connection, tenant_id: TenantId, after: int) -> TenantRows:
        reads = self._reads.setdefault(tenant_id, {})
        shared = reads.get(after)
        if shared is not None and (not shared.done() or self._current(tenant_id, shared)):
            try:
                return await asyncio.shield(shared)
            except asyncio.CancelledError:
                if not shared.cancelled():
                    raise  # this task is being stopped
            except Exception:  # noqa: BLE001, S110 - the reader reports it; read here instead
                pass
        return await self._read(conn, tenant_id, after, reads)

    def _current(self, tenant_id: TenantId, read: asyncio.Future[TenantRows]) -> bool:
        return (
            not read.cancelled()
            and read.exception() is None
            and read.result().projected >= self._signal.position(tenant_id)
        )

    async def _read(
        self,
        conn: Connection,
        tenant_id: TenantId,
        after: int,
        reads: dict[int, asyncio.Future[TenantRows]],
    ) -> TenantRows:
        future: asyncio.Future[TenantRows] = asyncio.get_running_loop().create_future()
        reads[after] = future
        try:
            async with tenant_transaction(conn, tenant_id):
                rows = await tenant_rows_in_transaction(
                    conn, tenant_id, after=after, limit=MAX_LIMIT
                )
        except BaseException:
            if reads.get(after) is future:
                del reads[after]
            future.cancel()  # those waiting for it read for themselves
            raise
        future.set_result(rows)
        # Reads that saw less than this one are of no further use to anyone.
        for position, read in list(reads.items()):
            if read.done() and not self._current(tenant_id, read) and position != after:
                del reads[position]
        return rows


async def wake_deliveries(pool: Pool, tenant_id: TenantId) -> None:
    """Wake the delivery workers of every process, as a change of subscriptions does."""
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_notify($1, $2)", DELIVERIES_CHANNEL, tenant_id)


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
        self._reads = SharedReads(signal)
        self._settings = settings or DeliverySettings()
        self._targets = targets or WebhookTargets()
        self._tasks: dict[tuple[TenantId, UUID], asyncio.Task[None]] = {}
        self._control: Connection | None = None
        self._leases: Leases | None = None
        self._poller: asyncio.Task[None] | None = None
        self._look = asyncio.Event()
        self._listener = Listener(pool, DELIVERIES_CHANNEL, self._on_notify)

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
        await self._listener.stop()
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
                # The projection runner and the routes of every process, serve --workers'
                # HTTP workers among them, wake this one through PostgreSQL.
                await self._listener.keep_listening()
                await self._find_subscriptions()
            except Exception:
                log.warning("listing webhook subscriptions failed", exc_info=True)
            await woken(self._look, self._settings.poll_interval_s)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, _payload: object) -> None:
        self.wake()

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
                case Batch() as batch:
                    attempt = await self._send(client, tenant_id, batch)
                    if attempt.gone:
                        return
                    page = batch.page
                    if attempt.delivered and page.next_after >= page.projected:
                        # Everything the feed had is sent: wait for more rather than look.
                        await self._signal.wait_beyond(
                            tenant_id, page.projected, self._settings.poll_interval_s
                        )

    async def _next_step(  # noqa: PLR0911 - one return per kind of step
        self, conn: Connection, tenant_id: TenantId, subscription_id: UUID
    ) -> float | int | Batch | None:
        """What to do next: stop (None), sleep (seconds), wait past a position, or send."""
        row = await conn.fetchrow(_STATE, tenant_id, subscription_id)
        if row is None:
            return None
        subscriber = subscriber_of(row)
        if subscriber.state.status != "ACTIVE":
            return None
        if row["replays_applied"] < subscriber.state.replays:
            async with tenant_transaction(conn, tenant_id):
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
            page = await self._renderer.read(
                conn,
                tenant_id,
                subscriber,
                after=first,
                up_to=last,
                limit=MAX_LIMIT,
                with_checkpoint=True,
            )
            return Batch(subscriber, first, last, page, row["attempts"])
        position = row["position"]
        shared = await self._reads.rows(conn, tenant_id, position)
        page = self._renderer.page_from(
            tenant_id, subscriber, shared, limit=self._settings.batch_size
        )
        if not page.events:
            if page.next_after > position:
                await conn.fetchval(_SKIP, tenant_id, subscription_id, position, page.next_after)
            return page.projected
        last = int(page.events[-1]["sequence"])
        if not await conn.fetchval(_MARK, tenant_id, subscription_id, position, last):
            return 0.0  # the row moved since it was read: look again
        return Batch(subscriber, position, last, page, row["attempts"])

    async def _send(self, client: httpx.AsyncClient, tenant_id: TenantId, batch: Batch) -> Attempt:
        subscriber, page = batch.subscriber, batch.page
        url = subscriber.state.webhook_url
        if url is None:
            raise RuntimeError(f"subscription {subscriber.id} has no webhook URL")
        at = datetime.now(UTC)
        message_id = webhook_id(subscriber.id, batch.first, batch.last)
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
        if attempt.delivered:
            status, retry_at = "ok", None
        else:
            status = "disabled" if attempt.gone else "failing"
            delay = self._settings.backoff(batch.attempts + 1)
            retry_at = datetime.now(UTC) + timedelta(seconds=delay)
        async with self._connections.lease() as conn:
            await conn.fetchval(
                _ATTEMPTED,
                tenant_id,
                subscriber.id,
                message_id,
                batch.first,
                batch.last,
                at,
                attempt.status_code,
                attempt.latency_ms,
                attempt.error,
                status,
                retry_at,
                [event.pupil_id for event in page.stored],
                [event.type.value for event in page.stored],
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
