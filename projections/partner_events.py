"""Read model ``partner_events``: the integration events of each tenant, and its subscriptions.

Each domain event that makes an integration event (application/integration_events.py) gets a
row at its tenant position, with what the feed filters on as it stood at that point of the
log: the pupil's municipality and school, and the partners the parents consented to. Feeds,
Server-Sent Events and webhooks all read these rows, so every transport delivers the same
events in the same order. Rows hold pseudonymous ids, codes and dates only, and a pupil whose
data is shredded (by hand or by retention) loses every row, so that no feed, replay or retried
webhook batch serves anything about it again (version 2 purges shreds recorded before). The
subscriptions
(Subscription aggregate) are folded into ``partner_subscriptions`` in the same transaction,
so a feed never sees a subscription ahead of or behind its events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec

from application.integration_events import (
    Contexts,
    PupilContext,
    StreamContext,
    derive,
    derives_from,
    encode_data,
)
from application.ports import RecordedEvent
from application.retention import pupil_shredded_by
from domain.ids import TenantId
from domain.pupil import Pupil
from domain.subscription import Subscription
from infrastructure.database import Connection
from projections.projection import EventFilter, TableNames

EVENTS = "partner_events"
PUPILS = "partner_pupils"
STREAMS = "partner_streams"
SUBSCRIPTIONS = "partner_subscriptions"
FEED_CHANNEL = "passend_partner_events"
"""NOTIFY channel: a tenant's integration events grew (payload: the tenant id)."""
DELIVERIES_CHANNEL = "passend_deliveries"
"""NOTIFY channel: a tenant's subscriptions changed, or a stopped delivery may go on; delivery
workers in every process look for webhook subscriptions again (payload: the tenant id)."""

_DDL = {
    EVENTS: """
CREATE TABLE {table} (
  tenant_id          text        NOT NULL,
  position           bigint      NOT NULL,
  event_id           uuid        NOT NULL,
  type               text        NOT NULL,
  recorded_at        timestamptz NOT NULL,
  pupil_id           uuid        NOT NULL,
  municipality_code  text,
  school_code        text,
  consents           text[]      NOT NULL,
  data               jsonb       NOT NULL,
  PRIMARY KEY (tenant_id, position)
)""",
    PUPILS: """
CREATE TABLE {table} (
  tenant_id          text   NOT NULL,
  pupil_id           uuid   NOT NULL,
  municipality_code  text   NOT NULL,
  school_code        text,
  consents           text[] NOT NULL,
  PRIMARY KEY (tenant_id, pupil_id)
)""",
    STREAMS: """
CREATE TABLE {table} (
  tenant_id  text NOT NULL,
  stream_id  uuid NOT NULL,
  pupil_id   uuid NOT NULL,
  requested  text,
  PRIMARY KEY (tenant_id, stream_id)
)""",
    SUBSCRIPTIONS: """
CREATE TABLE {table} (
  tenant_id        text    NOT NULL,
  subscription_id  uuid    NOT NULL,
  partner          text    NOT NULL,
  transport        text    NOT NULL,
  status           text    NOT NULL,
  created_position bigint  NOT NULL,
  state            jsonb   NOT NULL,
  PRIMARY KEY (tenant_id, subscription_id)
)""",
}


class SubscriptionState(msgspec.Struct, kw_only=True):
    """A subscription as the feeds and workers need it; folded from its events."""

    subscription_id: UUID
    partner: str
    legal_basis: str
    event_types: list[str]
    municipalities: list[str]
    schools: list[str]
    transport: str
    webhook_url: str | None
    status: str = "ACTIVE"
    replays: int = 0
    replay_after: int = 0
    secret_generation: int = 1
    previous_secret_valid_until: str | None = None


def fold_subscription(state: SubscriptionState | None, event: object) -> SubscriptionState | None:
    """The subscription after ``event``; a pure fold over its events."""
    if isinstance(event, Subscription.Created):
        return SubscriptionState(
            subscription_id=event.originator_id,
            partner=event.partner,
            legal_basis=str(event.legal_basis),
            event_types=[str(t) for t in event.event_types],
            municipalities=list(event.municipalities),
            schools=list(event.schools),
            transport=str(event.transport),
            webhook_url=event.webhook_url,
        )
    if state is None:
        return None
    match event:
        case Subscription.Paused():
            state.status = "PAUSED"
        case Subscription.Resumed():
            state.status = "ACTIVE"
        case Subscription.Deleted():
            state.status = "DELETED"
        case Subscription.ReplayRequested():
            state.replays += 1
            state.replay_after = event.after_position
        case Subscription.WebhookSecretRotated():
            state.secret_generation = event.generation
            state.previous_secret_valid_until = event.previous_valid_until.isoformat()
    return state


class PartnerEventsProjection:
    name = "partner_events"
    version = 2
    tables = (EVENTS, PUPILS, STREAMS, SUBSCRIPTIONS)

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        return [_DDL[t].format(table=tables[t]) for t in self.tables]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        # only the events derive does anything with need (and change) the pupils' contexts
        mapped = [r for r in events if derives_from(r)]
        contexts = await _load_contexts(conn, tenant_id, mapped, tables) if mapped else Contexts()
        rows: list[tuple[Any, ...]] = []
        for recorded in mapped:
            derived = derive(recorded, contexts)
            if derived is None:
                continue
            pupil = contexts.pupils[derived.pupil_id]
            rows.append(
                (
                    recorded.position,
                    recorded.event_id,
                    str(derived.type),
                    recorded.recorded_at,
                    derived.pupil_id,
                    pupil.municipality_code,
                    pupil.school_code,
                    _consents(pupil.consents),
                    encode_data(derived.data),
                )
            )
        if rows:
            await conn.execute(
                _INSERT_EVENTS.format(table=tables[EVENTS]),
                tenant_id,
                *map(list, zip(*rows, strict=True)),
            )
            # Delivered at commit, to feed readers and delivery workers in every process. Only
            # pages that add integration events notify, so the notify lock is rarely taken.
            await conn.execute("SELECT pg_notify($1, $2)", FEED_CHANNEL, tenant_id)
        await _save_contexts(conn, tenant_id, contexts, tables)
        shredded = [p for r in events if (p := pupil_shredded_by(r)) is not None]
        if shredded:
            await _purge(conn, tenant_id, shredded, tables)
        await _apply_subscriptions(conn, tenant_id, events, tables)


# A page's rows in one statement each, as arrays (a statement a row cost the server a bind and
# an execute each). The consents, a text[] column, travel as JSON arrays: unnest would flatten
# an array of arrays.
_INSERT_EVENTS = """
INSERT INTO {table} (tenant_id, position, event_id, type, recorded_at, pupil_id,
                     municipality_code, school_code, consents, data)
SELECT $1, position, event_id, type, recorded_at, pupil_id, municipality_code, school_code,
       ARRAY(SELECT jsonb_array_elements_text(consents)), data
  FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::timestamptz[], $6::uuid[], $7::text[],
              $8::text[], $9::jsonb[], $10::jsonb[])
       AS u(position, event_id, type, recorded_at, pupil_id, municipality_code, school_code,
            consents, data)
"""
_UPSERT_PUPILS = """
INSERT INTO {table} AS t (tenant_id, pupil_id, municipality_code, school_code, consents)
SELECT $1, pupil_id, municipality_code, school_code,
       ARRAY(SELECT jsonb_array_elements_text(consents))
  FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[])
       AS u(pupil_id, municipality_code, school_code, consents)
ON CONFLICT (tenant_id, pupil_id) DO UPDATE
   SET municipality_code = excluded.municipality_code, school_code = excluded.school_code,
       consents = excluded.consents
"""
_INSERT_STREAMS = """
INSERT INTO {table} (tenant_id, stream_id, pupil_id, requested)
SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::text[])
ON CONFLICT (tenant_id, stream_id) DO NOTHING
"""
_NO_CONSENTS = msgspec.json.encode([])


def _consents(consents: set[str]) -> bytes:
    return msgspec.json.encode(sorted(consents)) if consents else _NO_CONSENTS


async def _purge(
    conn: Connection, tenant_id: TenantId, pupils: list[UUID], tables: TableNames
) -> None:
    """Nothing about these pupils stays: their events, their context, their cases' links."""
    for table in (EVENTS, PUPILS, STREAMS):
        await conn.execute(
            f"DELETE FROM {tables[table]} WHERE tenant_id = $1 AND pupil_id = ANY($2::uuid[])",  # noqa: S608
            tenant_id,
            pupils,
        )


async def _load_contexts(
    conn: Connection, tenant_id: TenantId, events: Sequence[RecordedEvent], tables: TableNames
) -> Contexts:
    stream_ids = {r.stream_id for r in events}
    streams = {
        row["stream_id"]: StreamContext(row["pupil_id"], row["requested"])
        for row in await conn.fetch(
            f"SELECT stream_id, pupil_id, requested FROM {tables[STREAMS]}"  # noqa: S608
            " WHERE tenant_id = $1 AND stream_id = ANY($2::uuid[])",
            tenant_id,
            list(stream_ids),
        )
    }
    pupil_ids = {r.stream_id for r in events if _pupil_event(r.event)}
    pupil_ids |= {s.pupil_id for s in streams.values()}
    pupil_ids |= {p for r in events if isinstance(p := getattr(r.event, "pupil_id", None), UUID)}
    pupils = {
        row["pupil_id"]: PupilContext(
            row["municipality_code"], row["school_code"], set(row["consents"])
        )
        for row in await conn.fetch(
            f"SELECT pupil_id, municipality_code, school_code, consents FROM {tables[PUPILS]}"  # noqa: S608
            " WHERE tenant_id = $1 AND pupil_id = ANY($2::uuid[])",
            tenant_id,
            list(pupil_ids),
        )
    }
    return Contexts(pupils, streams)


async def _save_contexts(
    conn: Connection, tenant_id: TenantId, contexts: Contexts, tables: TableNames
) -> None:
    if contexts.changed_pupils:
        pupils = [
            (p, c.municipality_code, c.school_code, _consents(c.consents))
            for p in contexts.changed_pupils
            for c in (contexts.pupils[p],)
        ]
        await conn.execute(
            _UPSERT_PUPILS.format(table=tables[PUPILS]),
            tenant_id,
            *map(list, zip(*pupils, strict=True)),
        )
    streams = [
        (s, contexts.streams[s].pupil_id, contexts.streams[s].requested)
        for s in contexts.changed_streams
        # a case of a shredded pupil (no context any more) is not linked to it again
        if contexts.streams[s].pupil_id in contexts.pupils
    ]
    if streams:
        await conn.execute(
            _INSERT_STREAMS.format(table=tables[STREAMS]),
            tenant_id,
            *map(list, zip(*streams, strict=True)),
        )


_DECODE_STATE = msgspec.json.Decoder(SubscriptionState)
_pupil_event = EventFilter(Pupil.Event)
_subscription_event = EventFilter(Subscription.Event)


async def _apply_subscriptions(
    conn: Connection, tenant_id: TenantId, events: Sequence[RecordedEvent], tables: TableNames
) -> None:
    mine = [r for r in events if _subscription_event(r.event)]
    if not mine:
        return
    table = tables[SUBSCRIPTIONS]
    ids = list({r.stream_id for r in mine})
    states: dict[UUID, tuple[SubscriptionState | None, int]] = {
        row["subscription_id"]: (_DECODE_STATE.decode(row["state"]), row["created_position"])
        for row in await conn.fetch(
            f"SELECT subscription_id, state, created_position FROM {table}"  # noqa: S608
            " WHERE tenant_id = $1 AND subscription_id = ANY($2::uuid[])",
            tenant_id,
            ids,
        )
    }
    for recorded in mine:
        state, created = states.get(recorded.stream_id, (None, recorded.position))
        states[recorded.stream_id] = (fold_subscription(state, recorded.event), created)
    await conn.executemany(
        f"INSERT INTO {table} AS t"  # noqa: S608
        " (tenant_id, subscription_id, partner, transport, status, created_position, state)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, subscription_id)"
        " DO UPDATE SET status = excluded.status, state = excluded.state",
        [
            (
                tenant_id,
                s.subscription_id,
                s.partner,
                s.transport,
                s.status,
                created,
                msgspec.json.encode(s),
            )
            for s, created in states.values()
            if s is not None
        ],
    )
    # Delivered at commit, once the delivery workers' query sees the change: a route's own
    # wake, right after the command, can come before this and find nothing new. Only the active
    # build's change is one they see: a rebuild's writes would wake them for nothing (and take
    # the commit lock NOTIFY holds).
    await conn.execute(
        "SELECT pg_notify($1, $2) WHERE EXISTS (SELECT FROM projection_builds"
        " WHERE projection = $3 AND build = $4 AND state = 'active')",
        DELIVERIES_CHANNEL,
        tenant_id,
        PartnerEventsProjection.name,
        tables.build,
    )
