"""Reading a subscription's feed: its integration events after a position, rendered for it.

Every transport reads here. Only events up to the ``partner_events`` projection's position
are served, and a page says how far it looked (``next_after``), so an empty filtered page
still moves the cursor on. A page can carry the tenant's latest signed checkpoint (a C2SP
signed note of the transparency log), read in the same transaction; each transport hands it
on, so a partner holds signed evidence of the log its events came from.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from application.integration_events import Audience, StoredIntegrationEvent, render
from domain.ids import TenantId
from domain.subscription import BASIS_RULES, IntegrationEventType, LegalBasis
from infrastructure.database import Connection, tenant_transaction
from infrastructure.partner_keys import PartnerKeys
from infrastructure.transparency_log import CHECKPOINT, checkpoint_of, read_checkpoint
from projections.partner_events import EVENTS, SUBSCRIPTIONS, SubscriptionState
from projections.projection import view_name

MAX_LIMIT = 1000
CHECKPOINT_HEADER = "Passend-Checkpoint"
"""Pull answers and webhook requests carry the latest checkpoint's signed note, in base64."""
_state_decoder = msgspec.json.Decoder(SubscriptionState)
_data_decoder = msgspec.json.Decoder(dict[str, Any])

_POSITION = "SELECT position FROM passend_projection_position($1, 'partner_events')"
_SUBSCRIPTION = f"""
SELECT state, created_position FROM {view_name(SUBSCRIPTIONS)}
 WHERE tenant_id = $1 AND subscription_id = $2
"""  # noqa: S608 - a checked identifier
_SUBSCRIPTIONS = f"""
SELECT state, created_position FROM {view_name(SUBSCRIPTIONS)}
 WHERE tenant_id = $1 AND ($2::text IS NULL OR partner = $2) AND status <> 'DELETED'
 ORDER BY created_position
"""  # noqa: S608
# What one subscription is served, between two positions. A pupil whose data was shredded is
# left out at once, from the shred's commit on, before the read model has purged its rows.
FEED_MATCHES = f"""
  FROM {view_name(EVENTS)} e
 WHERE e.tenant_id = $1 AND e.position > $2 AND e.position <= $3 AND e.type = ANY($4::text[])
   AND (cardinality($5::text[]) = 0 OR e.municipality_code = ANY($5::text[]))
   AND (cardinality($6::text[]) = 0 OR e.school_code = ANY($6::text[]))
   AND ($7::text IS NULL OR $7 = ANY(e.consents))
   AND NOT EXISTS (SELECT 1 FROM subject_keys k WHERE k.tenant_id = e.tenant_id
                   AND k.subject_id = e.pupil_id AND k.data_key IS NULL)
"""  # noqa: S608 - a checked identifier
_FEED = f"""
SELECT e.position, e.event_id, e.type, e.recorded_at, e.pupil_id, e.data {FEED_MATCHES}
 ORDER BY e.position LIMIT $8
"""


# A tenant's rows that any subscription might be served, with what ``FEED_MATCHES`` filters
# by: the delivery worker reads them once for all subscriptions standing at one position and
# applies the rest of ``FEED_MATCHES`` per subscription in Python (``Admission``). The
# projected position and the latest checkpoint come in the same statement, two round trips
# less: each row carries them, and a row of NULLs but for them says there are no events.
# ``$2`` is the checkpoint's size: NULL, the latest.
_TENANT_ROWS = f"""
SELECT p.projected, c.note, c.lines, e.position, e.event_id, e.type, e.recorded_at,
       e.pupil_id, e.municipality_code, e.school_code, e.consents, e.data
  FROM (SELECT coalesce(max(x.position), 0) AS projected FROM ({_POSITION}) x) p
  LEFT JOIN LATERAL ({CHECKPOINT}) c ON true
  LEFT JOIN LATERAL (
    SELECT e.* FROM {view_name(EVENTS)} e
     WHERE e.tenant_id = $1 AND e.position > $3 AND e.position <= p.projected
       AND NOT EXISTS (SELECT 1 FROM subject_keys k WHERE k.tenant_id = e.tenant_id
                       AND k.subject_id = e.pupil_id AND k.data_key IS NULL)
     ORDER BY e.position LIMIT $4
  ) e ON true
"""  # noqa: S608 - a checked identifier


@dataclass(frozen=True, slots=True)
class TenantRow:
    """One integration event with the attributes a subscription's filter looks at."""

    stored: StoredIntegrationEvent
    municipality_code: str | None
    school_code: str | None
    consents: frozenset[str]


@dataclass(frozen=True, slots=True)
class TenantRows:
    """A tenant's integration events after ``after``, unfiltered: shared by subscriptions."""

    after: int
    rows: list[TenantRow]
    next_after: int
    """The last row's position if the read was full, else how far it looked."""
    projected: int
    checkpoint: str | None = None


@dataclass(frozen=True, slots=True)
class Admission:
    """``FEED_MATCHES``'s per-subscription conditions (``$4``-``$7``), applied in Python."""

    types: frozenset[str]
    municipalities: frozenset[str]
    schools: frozenset[str]
    consent_of: str | None

    def admits(self, row: TenantRow) -> bool:
        return (
            row.stored.type in self.types
            and (not self.municipalities or row.municipality_code in self.municipalities)
            and (not self.schools or row.school_code in self.schools)
            and (self.consent_of is None or self.consent_of in row.consents)
        )


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A subscription as the feeds use it, with the position it was created at."""

    state: SubscriptionState
    created_position: int

    @property
    def id(self) -> UUID:
        return self.state.subscription_id

    @property
    def deliverable_types(self) -> list[str]:
        """Its types that its basis permits: nothing else is ever read for it."""
        permitted = BASIS_RULES[LegalBasis(self.state.legal_basis)].types
        return sorted(t for t in self.state.event_types if IntegrationEventType(t) in permitted)

    def admission(self) -> Admission:
        """Which of the tenant's integration events are this subscription's."""
        state = self.state
        consent_of = (
            state.partner if BASIS_RULES[LegalBasis(state.legal_basis)].needs_consent else None
        )
        return Admission(
            frozenset(self.deliverable_types),
            frozenset(state.municipalities),
            frozenset(state.schools),
            consent_of,
        )

    def matching(self, tenant_id: TenantId, after: int, up_to: int) -> tuple[Any, ...]:
        """The arguments ``$1``-``$7`` of ``FEED_MATCHES`` for this subscription."""
        admission = self.admission()
        return (
            tenant_id,
            after,
            up_to,
            sorted(admission.types),
            sorted(admission.municipalities),
            sorted(admission.schools),
            admission.consent_of,
        )


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_after: int
    """Where the next read starts: the last event's position, or how far this read looked."""
    projected: int
    """The tenant position up to which integration events exist."""
    checkpoint: str | None = None
    """The tenant's latest signed checkpoint (its note text), when asked for and one exists."""
    stored: tuple[StoredIntegrationEvent, ...] = ()
    """The rows ``events`` were rendered from, in order: what was sent about whom."""

    def checkpoint_headers(self) -> dict[str, str]:
        """The checkpoint as an HTTP header: a signed note has lines, so it goes in base64."""
        if self.checkpoint is None:
            return {}
        return {CHECKPOINT_HEADER: base64.b64encode(self.checkpoint.encode()).decode()}


async def projected_position(conn: Connection, tenant_id: TenantId) -> int:
    return int(await conn.fetchval(_POSITION, tenant_id) or 0)


async def load_subscriber(
    conn: Connection, tenant_id: TenantId, subscription_id: UUID
) -> Subscriber | None:
    async with tenant_transaction(conn, tenant_id):
        row = await conn.fetchrow(_SUBSCRIPTION, tenant_id, subscription_id)
    return None if row is None else subscriber_of(row)


def subscriber_of(row: Any) -> Subscriber:  # noqa: ANN401 - an asyncpg Record
    """The subscriber in a row with the subscription's ``state`` and ``created_position``."""
    return Subscriber(_state_decoder.decode(row["state"]), row["created_position"])


async def list_subscribers(
    conn: Connection, tenant_id: TenantId, *, partner: str | None
) -> list[Subscriber]:
    async with tenant_transaction(conn, tenant_id):
        rows = await conn.fetch(_SUBSCRIPTIONS, tenant_id, partner)
    return [subscriber_of(row) for row in rows]


class FeedRenderer:
    """Renders stored rows as CloudEvents for subscriptions of one deployment."""

    def __init__(self, keys: PartnerKeys, *, public_url: str) -> None:
        self._keys = keys
        self._public_url = public_url.rstrip("/")

    @property
    def keys(self) -> PartnerKeys:
        return self._keys

    def audience(self, tenant_id: TenantId, subscriber: Subscriber) -> Audience:
        return Audience(
            tenant_id=tenant_id,
            subscription_id=subscriber.id,
            legal_basis=LegalBasis(subscriber.state.legal_basis),
            pseudonym_key=self._keys.pseudonym_key(tenant_id),
            source=f"urn:nld:passend:swv:{tenant_id}",
            schema_base=f"{self._public_url}/schema/integration-events",
        )

    def webhook_secrets(
        self, tenant_id: TenantId, subscriber: Subscriber, *, now: datetime | None = None
    ) -> list[str]:
        """The secrets to sign with: the current one, and the previous during its overlap."""
        state = subscriber.state
        current = self._keys.webhook_secret(tenant_id, subscriber.id, state.secret_generation)
        overlap = state.previous_secret_valid_until
        moment = now or datetime.now(UTC)
        if overlap is not None and datetime.fromisoformat(overlap) > moment:
            previous = self._keys.webhook_secret(
                tenant_id, subscriber.id, state.secret_generation - 1
            )
            return [current, previous]
        return [current]

    async def read(  # noqa: PLR0913 - the page's bounds
        self,
        conn: Connection,
        tenant_id: TenantId,
        subscriber: Subscriber,
        *,
        after: int,
        limit: int,
        up_to: int | None = None,
        with_checkpoint: bool = False,
    ) -> FeedPage:
        """Up to ``limit`` events after ``after`` (and at most ``up_to``), in position order.

        ``with_checkpoint`` adds the tenant's latest signed checkpoint to the page.
        """
        async with tenant_transaction(conn, tenant_id):
            return await self.read_in_transaction(
                conn,
                tenant_id,
                subscriber,
                after=after,
                limit=limit,
                up_to=up_to,
                with_checkpoint=with_checkpoint,
            )

    async def read_in_transaction(  # noqa: PLR0913 - the page's bounds
        self,
        conn: Connection,
        tenant_id: TenantId,
        subscriber: Subscriber,
        *,
        after: int,
        limit: int,
        up_to: int | None = None,
        with_checkpoint: bool = False,
    ) -> FeedPage:
        """``read`` in the caller's tenant transaction."""
        projected = await projected_position(conn, tenant_id)
        upper = projected if up_to is None else min(up_to, projected)
        rows = await conn.fetch(_FEED, *subscriber.matching(tenant_id, after, upper), limit)
        stored = await read_checkpoint(conn, tenant_id) if with_checkpoint else None
        audience = self.audience(tenant_id, subscriber)
        chosen = tuple(_stored(row) for row in rows)
        events = [render(event, audience) for event in chosen]
        full = len(rows) == limit
        next_after = rows[-1]["position"] if full else max(upper, after)
        checkpoint = stored.note.text if stored is not None else None
        return FeedPage(events, next_after, projected, checkpoint, chosen)

    def page_from(
        self, tenant_id: TenantId, subscriber: Subscriber, shared: TenantRows, *, limit: int
    ) -> FeedPage:
        """What ``read_in_transaction`` would return for the same bounds, from shared rows."""
        admission = subscriber.admission()
        chosen: list[StoredIntegrationEvent] = []
        next_after = shared.next_after
        for row in shared.rows:
            if admission.admits(row):
                if len(chosen) == limit:
                    next_after = chosen[-1].position
                    break
                chosen.append(row.stored)
        audience = self.audience(tenant_id, subscriber)
        events = [render(event, audience) for event in chosen]
        return FeedPage(events, next_after, shared.projected, shared.checkpoint, tuple(chosen))


async def tenant_rows_in_transaction(
    conn: Connection, tenant_id: TenantId, *, after: int, limit: int
) -> TenantRows:
    """Up to ``limit`` of the tenant's integration events after ``after``, for any subscription.

    With the tenant's latest signed checkpoint when there are rows to send.
    """
    rows = await conn.fetch(_TENANT_ROWS, tenant_id, None, after, limit)
    first = rows[0]
    projected = int(first["projected"])
    if first["position"] is None:
        rows = []
    with_checkpoint = rows and first["note"] is not None
    next_after = rows[-1]["position"] if len(rows) == limit else max(projected, after)
    return TenantRows(
        after=after,
        rows=[
            TenantRow(
                _stored(row),
                row["municipality_code"],
                row["school_code"],
                frozenset(row["consents"]),
            )
            for row in rows
        ],
        next_after=next_after,
        projected=projected,
        checkpoint=checkpoint_of(first).note.text if with_checkpoint else None,
    )


def _stored(row: Any) -> StoredIntegrationEvent:  # noqa: ANN401 - an asyncpg Record
    return StoredIntegrationEvent(
        position=row["position"],
        event_id=row["event_id"],
        type=IntegrationEventType(row["type"]),
        recorded_at=row["recorded_at"],
        pupil_id=row["pupil_id"],
        data=_data_decoder.decode(row["data"]),
    )


def encode_batch(events: Sequence[dict[str, Any]]) -> bytes:
    return msgspec.json.encode(events)
