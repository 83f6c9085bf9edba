"""``passend bench store``: Passend's event store against eventsourcing and bare asyncpg.

The workload of ``../shared/bench`` (20,000 events over 1,000 streams, ~300-byte JSON state,
generated before timing) runs through three implementations on one PostgreSQL server:

* ``passend``: ``PostgresEventStore.append`` / ``read_log_pages`` with real domain events of a bench
  aggregate, so its figures include encoding, hashing and decoding, the pool and row-level
  security (it logs in as ``passend_app``).
* ``eventsourcing``: the eventsourcing 9.5.6 ``PostgresApplicationRecorder`` (psycopg 3), given
  pre-serialised ``StoredEvent`` objects and returning ``Notification`` objects.
* ``limit``: bare asyncpg on a held connection, the counter-row CTE insert of
  ``../shared/bench/limit_asyncpg.py`` (gapless per-tenant positions, one round trip); its reads
  only fetch the rows.
* ``bare_schema``: bare asyncpg on held connections calling Passend's own SQL functions on
  Passend's own tables as ``passend_app``, with every argument (encoded payload, hashes, ids)
  prepared before timing; its reads only fetch the rows. Passend ÷ bare_schema is what the
  store's Python costs; bare_schema ÷ limit is what the schema and its SQL cost. Not a target.

Phases: ``per_event`` (one event per transaction), ``batch`` (10 events of one stream per
transaction), ``concurrent`` (4 writers, one event per transaction; 4 tenants for Passend and
the limit, 4 threads on one table for eventsourcing, which has no tenants) and ``read`` (the
tenant log in pages of 500, 5 passes, after ``VACUUM ANALYZE`` and one untimed pass). Every
write phase starts from empty tables; runs alternate between implementations phase by phase.

Before timing, the harness's own objects (the workload: about 130,000 objects) are frozen out of
the garbage collector (``gc.freeze``), as a service would freeze its heap after start-up; every
implementation's own allocations are still collected.

The table shows events/s (min / median / max over the runs), client CPU per event
(``time.process_time``), server CPU per event (the PostgreSQL processes, when the server runs
on this machine) and WAL bytes per event. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
import msgspec
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent

from application.ports import EventMetadata, NewEvent
from domain.ids import TenantId
from infrastructure import embedded_postgres_server
from infrastructure.database import Connection, Pool, create_pool
from infrastructure.event_batches import prepare_batch
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import (
    APPEND_ONE_SQL,
    APPEND_SQL,
    READ_LOG_EVENTS_SQL,
    PostgresEventStore,
    append_arguments,
    append_one_arguments,
)
from infrastructure.hash_chain import genesis_hash
from infrastructure.migrate import apply_migrations

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresApplicationRecorder

CallT = TypeVar("CallT")
PHASES = ("per_event", "batch", "concurrent", "read")
IMPLS = ("passend", "eventsourcing", "limit", "bare_schema")
BATCH = 10
WRITERS = 4
PAGE = 500
READ_PASSES = 5
STATE_SIZE = 300
BENCH_DATABASE = "passend_bench"
METADATA = EventMetadata(actor="bench:writer")
TARGETS = {
    "per_event_ratio": 2.5,
    "batch_ratio": 2.5,
    "concurrent_ratio": 4.0,
    "read_ratio": 2.5,
    "per_event_vs_limit": 0.9,
    "batch_vs_limit": 0.85,
    "concurrent_vs_limit": 0.85,
    "read_vs_limit": 0.6,
}


# ---------------------------------------------------------------- the bench aggregate


class BenchOrder(Aggregate):
    """An order whose every event carries ~300 bytes of JSON-ish state."""

    TOPIC = "BenchOrder"
    id: UUID

    class Created(Aggregate.Created):
        TOPIC = "BenchOrderCreated.v1"

    class Event(Aggregate.Event):
        pass

    class Placed(Created):
        TOPIC = "BenchOrderPlaced.v1"
        sku: str
        quantity: int
        unit_price: dict[str, str]
        customer: dict[str, str]
        note: str

    class ItemAdded(Event):
        TOPIC = "BenchItemAdded.v1"
        sku: str
        quantity: int
        unit_price: dict[str, str]
        customer: dict[str, str]
        note: str

    class ItemRemoved(ItemAdded):
        TOPIC = "BenchItemRemoved.v1"

    class AddressChanged(ItemAdded):
        TOPIC = "BenchAddressChanged.v1"

    class Submitted(ItemAdded):
        TOPIC = "BenchOrderSubmitted.v1"

    @event(Placed)
    def __init__(  # noqa: PLR0913 - the event's fields
        self,
        *,
        sku: str,
        quantity: int,
        unit_price: dict[str, str],
        customer: dict[str, str],
        note: str,
        timestamp: datetime,
    ) -> None:
        self.lines = {sku: quantity}

    @event(ItemAdded)
    def add_item(  # noqa: PLR0913
        self,
        *,
        sku: str,
        quantity: int,
        unit_price: dict[str, str],
        customer: dict[str, str],
        note: str,
        timestamp: datetime,
    ) -> None:
        self.lines[sku] = self.lines.get(sku, 0) + quantity

    @event(ItemRemoved)
    def remove_item(  # noqa: PLR0913
        self,
        *,
        sku: str,
        quantity: int,
        unit_price: dict[str, str],
        customer: dict[str, str],
        note: str,
        timestamp: datetime,
    ) -> None:
        self.lines.pop(sku, None)

    @event(AddressChanged)
    def change_address(  # noqa: PLR0913
        self,
        *,
        sku: str,
        quantity: int,
        unit_price: dict[str, str],
        customer: dict[str, str],
        note: str,
        timestamp: datetime,
    ) -> None:
        self.customer = customer

    @event(Submitted)
    def submit(  # noqa: PLR0913
        self,
        *,
        sku: str,
        quantity: int,
        unit_price: dict[str, str],
        customer: dict[str, str],
        note: str,
        timestamp: datetime,
    ) -> None:
        self.submitted = True


# ---------------------------------------------------------------- the workload

# eventsourcing and the limit store the reference's topics and states; Passend its own events.
ES_TOPICS = (
    "bench.domain:Order.Created",
    "bench.domain:Order.ItemAdded",
    "bench.domain:Order.ItemRemoved",
    "bench.domain:Order.AddressChanged",
    "bench.domain:Order.Submitted",
)
COMMANDS = ("__init__", "add_item", "remove_item", "change_address", "submit")
_sorted_json = msgspec.json.Encoder(order="sorted")


def make_state(rng: random.Random, stream_id: UUID, version: int, size: int) -> bytes:
    """The reference workload's state (../shared/bench/workload.py), byte for byte."""
    body: dict[str, Any] = {
        "originator_id": str(stream_id),
        "originator_version": version,
        "timestamp": "2024-05-%02dT%02d:%02d:%02d.%06d+00:00"  # noqa: UP031
        % (
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.randint(0, 999999),
        ),
        "sku": "SKU-%08d" % rng.randint(0, 10**8 - 1),  # noqa: UP031
        "quantity": rng.randint(1, 20),
        "unit_price": {
            "amount": "%d.%02d" % (rng.randint(1, 999), rng.randint(0, 99)),  # noqa: UP031
            "currency": "EUR",
        },
        "customer": {
            "id": "cust-%06d" % rng.randint(0, 999999),  # noqa: UP031
            "tier": rng.choice(["gold", "silver", "basic"]),
        },
        "note": "",
    }
    raw = json.dumps(body, separators=(",", ":"))
    pad = max(0, size - len(raw))
    body["note"] = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(pad))
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Ev:
    """One event of the workload, in the shape each implementation takes."""

    stream_id: UUID
    version: int
    topic: str  # eventsourcing / limit
    state: bytes  # eventsourcing / limit: the reference's JSON state
    new: NewEvent  # Passend: a domain event of BenchOrder and its event id


def _passend_fields(state: bytes, version: int, rng: random.Random) -> dict[str, Any]:
    """The domain event's fields, from the reference state, padded to the same JSON size."""
    body = json.loads(state)
    fields: dict[str, Any] = {
        "sku": body["sku"],
        "quantity": body["quantity"],
        "unit_price": body["unit_price"],
        "customer": body["customer"],
        "note": "",
        "timestamp": datetime.fromisoformat(body["timestamp"]),
    }
    sized = dict(fields, originator_topic=BenchOrder.TOPIC) if version == 1 else fields
    room = len(state) - len(_sorted_json.encode(sized))
    note = body["note"]
    while len(note) < room:
        note += rng.choice("abcdefghijklmnopqrstuvwxyz ")
    fields["note"] = note[: max(room, 0)]
    return fields


class Workload:
    """``events`` events over ``streams`` streams, as in ../shared/bench/workload.py.

    Per-event and concurrent appends go round-robin over the streams (v1 of all, then v2, ...);
    batches are ``BATCH`` consecutive versions of one stream, interleaved over the streams.
    """

    def __init__(self, events: int, streams: int, seed: int = 42) -> None:
        if events % streams:
            raise SystemExit(f"--events ({events}) must be a multiple of --streams ({streams})")
        self.n = events
        self.streams = streams
        self.per_stream = events // streams
        rng = random.Random(seed)
        self.stream_ids = [UUID(int=rng.getrandbits(128), version=4) for _ in range(streams)]
        states = [
            [
                (
                    ES_TOPICS[0] if v == 1 else ES_TOPICS[1 + (v % (len(ES_TOPICS) - 1))],
                    make_state(rng, sid, v, STATE_SIZE),
                )
                for v in range(1, self.per_stream + 1)
            ]
            for sid in self.stream_ids
        ]
        id_rng = random.Random(seed + 1)
        self.events = [
            self._stream(sid, row, id_rng) for sid, row in zip(self.stream_ids, states, strict=True)
        ]
        self.avg_state_bytes = statistics.mean(len(e.state) for row in self.events for e in row)

    @staticmethod
    def _stream(sid: UUID, row: list[tuple[str, bytes]], rng: random.Random) -> list[Ev]:
        order: BenchOrder | None = None
        for version, (topic, state) in enumerate(row, start=1):
            fields = _passend_fields(state, version, rng)
            command = COMMANDS[ES_TOPICS.index(topic)]
            if order is None:
                order = BenchOrder(id=sid, **fields)
            else:
                getattr(order, command)(**fields)
        if order is None:
            return []
        domain_events = order.collect_events()
        return [
            Ev(sid, version, topic, state, NewEvent(UUID(int=rng.getrandbits(128), version=4), e))
            for version, ((topic, state), e) in enumerate(
                zip(row, domain_events, strict=True), start=1
            )
        ]

    def calls(self, batch: int, streams: Sequence[int] | None = None) -> list[list[Ev]]:
        """Append calls, each ``batch`` consecutive events of one stream."""
        idx = range(self.streams) if streams is None else streams
        return [
            self.events[a][start : start + batch]
            for start in range(0, self.per_stream, batch)
            for a in idx
        ]

    def worker_calls(self, workers: int, batch: int) -> list[list[list[Ev]]]:
        return [
            self.calls(batch, [a for a in range(self.streams) if a % workers == w])
            for w in range(workers)
        ]


_warmups: dict[tuple[int, int], Workload] = {}


def warmup(streams: int, per_stream: int) -> Workload:
    """Separate streams for untimed calls that prepare each connection's statements."""
    key = (streams, per_stream)
    if key not in _warmups:
        _warmups[key] = Workload(streams * per_stream, streams, seed=7)
    return _warmups[key]


# ---------------------------------------------------------------- measuring


class ServerCpu:
    """CPU seconds used by a local PostgreSQL server: the postmaster and all its children."""

    def __init__(self, postmaster_pid: int) -> None:
        self.pid = postmaster_pid
        self._tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _stat(pid: int | str) -> list[str] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2 :].split()

    @classmethod
    def of_backend(cls, backend_pid: int) -> ServerCpu | None:
        stat = cls._stat(backend_pid)
        return None if stat is None else cls(int(stat[1]))

    def seconds(self) -> float:
        own = self._stat(self.pid)
        if own is None:
            return float("nan")
        # finished children (closed connections) are counted in the postmaster's cutime/cstime
        ticks = sum(int(v) for v in own[11:15])
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = self._stat(entry.name)
                if stat is not None and stat[1] == str(self.pid):
                    ticks += int(stat[11]) + int(stat[12])
        return ticks / self._tick


@dataclass(slots=True)
class Sample:
    """One timed phase run of one implementation."""

    events: int
    secs: float
    client_cpu: float
    server_cpu: float
    wal_bytes: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.secs

    def per_event_us(self, seconds: float) -> float:
        return seconds / self.events * 1e6


class Window:
    """Wall time, this process's CPU time (all threads) and the server's CPU time."""

    def __init__(self, server: ServerCpu | None) -> None:
        self.server = server
        self.s0 = server.seconds() if server else float("nan")
        self.c0 = time.process_time()
        self.t0 = time.perf_counter()

    def stop(self, events: int) -> Sample:
        secs = time.perf_counter() - self.t0
        cpu = time.process_time() - self.c0
        srv = self.server.seconds() - self.s0 if self.server else float("nan")
        return Sample(events, secs, cpu, srv)


@dataclass
class Context:
    admin_dsn: str  # the bench database, as a superuser
    app_dsn: str  # the bench database, as passend_app
    admin: asyncpg.Connection[asyncpg.Record]
    server: ServerCpu | None
    workload: Workload
    profile: cProfile.Profile | None = None

    async def wal_lsn(self) -> int:
        return int(await self.admin.fetchval("SELECT pg_current_wal_insert_lsn() - '0/0'"))

    async def checkpoint(self) -> None:
        await self.admin.execute("CHECKPOINT")


class Bench(Protocol):
    name: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def write(self, phase: str, run: int) -> Sample: ...
    async def read(self, run: int) -> Sample: ...


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep what is alive before a timed window (the workload, above all) out of collections.

    The harness holds about 130,000 objects; without this, every full collection during a
    run scans them, which penalises whichever implementation allocates most. A service
    freezes its start-up heap the same way.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def timed(
    ctx: Context, events: int, body: Callable[[], Awaitable[None]], *, checkpoint: bool = True
) -> Sample:
    if checkpoint:
        await ctx.checkpoint()
    lsn0 = await ctx.wal_lsn()
    with frozen_heap():
        window = Window(ctx.server)
        if ctx.profile is not None:
            ctx.profile.enable()
        await body()
        if ctx.profile is not None:
            ctx.profile.disable()
        sample = window.stop(events)
    sample.wal_bytes = await ctx.wal_lsn() - lsn0
    return sample


def write_plan(
    wk: Workload, phase: str, tenant_prefix: str
) -> tuple[list[str], list[list[list[Ev]]]]:
    """A write phase's tenants and each writer's calls (one writer per tenant)."""
    if phase == "concurrent":
        return [f"{tenant_prefix}W{w}" for w in range(WRITERS)], wk.worker_calls(WRITERS, 1)
    return [f"{tenant_prefix}{phase[0].upper()}"], [wk.calls(events_per_call(phase))]


def events_per_call(phase: str) -> int:
    return BATCH if phase == "batch" else 1


async def timed_on_held_connections(
    ctx: Context,
    pool: Pool,
    warm: list[list[CallT]],
    work: list[list[CallT]],
    call: Callable[[Connection, CallT], Awaitable[object]],
) -> Sample:
    """Each writer's calls on a connection of its own, held through its warm-up and timing."""
    conns = [await pool.acquire() for _ in work]
    try:
        for conn, calls in zip(conns, warm, strict=True):
            for item in calls:
                await call(conn, item)

        async def worker(conn: Connection, calls: list[CallT]) -> None:
            for item in calls:
                await call(conn, item)

        async def body() -> None:
            await asyncio.gather(*(worker(c, w) for c, w in zip(conns, work, strict=True)))

        return await timed(ctx, ctx.workload.n, body)
    finally:
        for conn in conns:
            await pool.release(conn)


async def timed_read_passes(ctx: Context, read_all: Callable[[], Awaitable[int]]) -> Sample:
    """One untimed pass that must see every event, then ``READ_PASSES`` timed ones."""
    assert await read_all() == ctx.workload.n  # noqa: S101

    async def body() -> None:
        for _ in range(READ_PASSES):
            await read_all()

    return await timed(ctx, ctx.workload.n * READ_PASSES, body, checkpoint=False)


async def count_row_pages(conn: Connection, sql: str, tenant: str, position_column: int) -> int:
    """Fetch a tenant's log in pages of ``PAGE`` rows without decoding; return the row count."""
    count, after = 0, 0
    while True:
        rows = await conn.fetch(sql, tenant, after, PAGE)
        count += len(rows)
        if len(rows) < PAGE:
            return count
        after = rows[-1][position_column]


async def check_dense_logs(ctx: Context, tenants: Sequence[str]) -> None:
    """Passend's tables hold the workload, each tenant's positions 1..n, its head at n."""
    rows = await ctx.admin.fetch(
        "SELECT h.tenant_id, h.last_position, count(e.*) AS n, min(e.position) AS lo,"
        " max(e.position) AS hi FROM tenant_heads h JOIN events e USING (tenant_id)"
        " WHERE h.tenant_id = ANY($1) GROUP BY h.tenant_id, h.last_position",
        list(tenants),
    )
    assert sum(r["n"] for r in rows) == ctx.workload.n, rows  # noqa: S101
    for r in rows:
        assert r["lo"] == 1, dict(r)  # noqa: S101
        assert r["hi"] == r["n"] == r["last_position"], dict(r)  # noqa: S101


# ---------------------------------------------------------------- Passend


class PassendBench:
    name = "passend"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.codec = EventCodec([BenchOrder])
        self.pool: Any = None
        self.store: PostgresEventStore

    async def open(self) -> None:
        # As in the service, the pool has a connection more than the store keeps (here, one per
        # writer): the store holds at most all but one of the pool's connections.
        self.pool = await create_pool(self.ctx.app_dsn, min_size=WRITERS + 1, max_size=WRITERS + 1)
        self.store = PostgresEventStore(self.pool, self.codec)

    async def close(self) -> None:
        await self.store.close()
        await self.pool.close()

    async def _fresh(self, tenants: Sequence[str]) -> None:
        await self.ctx.admin.execute("TRUNCATE events, subject_keys, tenant_heads")
        for tenant in tenants:
            await self.store.register_tenant(TenantId(tenant))

    async def _append(self, tenant: TenantId, calls: list[list[Ev]]) -> None:
        append = self.store.append
        for evs in calls:
            await append(
                tenant,
                [e.new for e in evs],
                expected_version=evs[0].version - 1,
                metadata=METADATA,
            )

    async def _warm(self, batch: int) -> None:
        # concurrent, so that every pooled connection prepares its statements
        wk = warmup(WRITERS, 10 * batch)
        await asyncio.gather(
            *(self._append(TenantId(f"WARMUP{w}"), wk.calls(batch, [w])) for w in range(WRITERS))
        )

    async def write(self, phase: str, run: int) -> Sample:
        tenants, per_worker = write_plan(self.ctx.workload, phase, f"R{run}")
        await self._fresh([*tenants, *(f"WARMUP{w}" for w in range(WRITERS))])
        await self._warm(events_per_call(phase))

        async def body() -> None:
            await asyncio.gather(
                *(self._append(TenantId(t), c) for t, c in zip(tenants, per_worker, strict=True))
            )

        sample = await timed(self.ctx, self.ctx.workload.n, body)
        await check_dense_logs(self.ctx, tenants)
        return sample

    async def read(self, run: int) -> Sample:
        wk = self.ctx.workload
        tenant = TenantId(f"R{run}READ")
        await self._fresh([tenant])
        await self._append(tenant, wk.calls(wk.per_stream))  # untimed load, 1 stream per call
        await self.ctx.admin.execute("VACUUM ANALYZE events")

        async def read_all() -> int:
            count = 0
            async for page in self.store.read_log_pages(tenant, page_size=PAGE):
                count += len(page)
            return count

        return await timed_read_passes(self.ctx, read_all)


# ---------------------------------------------------------------- bare asyncpg (the limit)

LIMIT_DDL = """
DROP TABLE IF EXISTS bench_events;
DROP TABLE IF EXISTS bench_tenant_positions;
CREATE TABLE bench_events (
  tenant_id   text        NOT NULL,
  stream_id   uuid        NOT NULL,
  version     int         NOT NULL,
  position    bigint      NOT NULL,
  topic       text        NOT NULL,
  state       bytea       NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream_id, version),
  UNIQUE (tenant_id, position)
);
CREATE TABLE bench_tenant_positions (tenant_id text PRIMARY KEY, last_position bigint NOT NULL);
"""
LIMIT_CTE_ONE = (
    "WITH c AS (INSERT INTO bench_tenant_positions AS tp (tenant_id, last_position)"
    " VALUES ($1, 1) ON CONFLICT (tenant_id) DO UPDATE SET last_position = tp.last_position + 1"
    " RETURNING last_position)"
    " INSERT INTO bench_events (tenant_id, stream_id, version, position, topic, state)"
    " SELECT $1, $2, $3, c.last_position, $4, $5 FROM c RETURNING position"
)
LIMIT_CTE_MANY = (
    "WITH c AS (INSERT INTO bench_tenant_positions AS tp (tenant_id, last_position)"
    " VALUES ($1, cardinality($2::uuid[])) ON CONFLICT (tenant_id) DO UPDATE"
    " SET last_position = tp.last_position + EXCLUDED.last_position RETURNING last_position)"
    " INSERT INTO bench_events (tenant_id, stream_id, version, position, topic, state)"
    " SELECT $1, u.s, u.v, c.last_position - cardinality($2::uuid[]) + u.o, u.t, u.st"
    " FROM c, unnest($2::uuid[], $3::int[], $4::text[], $5::bytea[])"
    " WITH ORDINALITY AS u(s, v, t, st, o) RETURNING position"
)
LIMIT_PAGE = (
    "SELECT stream_id, version, position, topic, state, recorded_at FROM bench_events"
    " WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3"
)
LIMIT_PAGE_POSITION = 2


async def limit_append(conn: Connection, tenant: str, evs: list[Ev]) -> None:
    """``counter_cte`` of ../shared/bench/limit_asyncpg.py: one statement, one round trip."""
    if len(evs) == 1:
        e = evs[0]
        await conn.fetchval(LIMIT_CTE_ONE, tenant, e.stream_id, e.version, e.topic, e.state)
    else:
        await conn.fetch(
            LIMIT_CTE_MANY,
            tenant,
            [e.stream_id for e in evs],
            [e.version for e in evs],
            [e.topic for e in evs],
            [e.state for e in evs],
        )


class LimitBench:
    name = "limit"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pool: Any = None

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.ctx.admin_dsn, min_size=WRITERS, max_size=WRITERS
        )
        await self.ctx.admin.execute(LIMIT_DDL)

    async def close(self) -> None:
        await self.pool.close()

    async def _fresh(self) -> None:
        await self.ctx.admin.execute("TRUNCATE bench_events, bench_tenant_positions")

    async def write(self, phase: str, run: int) -> Sample:
        wk = self.ctx.workload
        tenants, per_worker = write_plan(wk, phase, f"L{run}")
        batch = events_per_call(phase)
        await self._fresh()
        warm = warmup(1, 10 * batch).calls(batch)
        sample = await timed_on_held_connections(
            self.ctx,
            self.pool,
            [[(f"WARMUP{i}", evs) for evs in warm] for i in range(len(tenants))],
            [[(t, evs) for evs in calls] for t, calls in zip(tenants, per_worker, strict=True)],
            lambda conn, call: limit_append(conn, *call),
        )
        rows = await self.ctx.admin.fetch(
            "SELECT tenant_id, count(*) AS n, min(position) AS lo, max(position) AS hi"
            " FROM bench_events WHERE tenant_id = ANY($1) GROUP BY tenant_id",
            tenants,
        )
        assert sum(r["n"] for r in rows) == wk.n, rows  # noqa: S101
        assert all(r["lo"] == 1 and r["hi"] == r["n"] for r in rows), rows  # noqa: S101
        return sample

    async def read(self, run: int) -> Sample:
        wk = self.ctx.workload
        tenant = f"r{run}read"
        await self._fresh()
        records = [
            (tenant, e.stream_id, e.version, i, e.topic, e.state)
            for i, e in enumerate((c[0] for c in wk.calls(1)), start=1)
        ]
        async with self.pool.acquire() as conn:
            await conn.copy_records_to_table(
                "bench_events",
                records=records,
                columns=["tenant_id", "stream_id", "version", "position", "topic", "state"],
            )
            await conn.execute("VACUUM ANALYZE bench_events")
            return await timed_read_passes(
                self.ctx, lambda: count_row_pages(conn, LIMIT_PAGE, tenant, LIMIT_PAGE_POSITION)
            )


# ---------------------------------------------------------------- Passend's SQL, bare


class BareSchemaBench:
    """Passend's SQL functions and tables, called by bare asyncpg with prepared arguments."""

    name = "bare_schema"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.codec = EventCodec([BenchOrder])
        self.pool: Any = None

    async def open(self) -> None:
        self.pool = await create_pool(self.ctx.app_dsn, min_size=WRITERS, max_size=WRITERS)

    async def close(self) -> None:
        await self.pool.close()

    async def _fresh(self, tenants: Sequence[str]) -> None:
        await self.ctx.admin.execute("TRUNCATE events, subject_keys, tenant_heads")
        await self.ctx.admin.executemany(
            "INSERT INTO tenant_heads (tenant_id, chain_hash) VALUES ($1, $2)",
            [(t, genesis_hash(t)) for t in tenants],
        )

    def _arguments(self, tenant: str, calls: list[list[Ev]]) -> list[tuple[str, tuple[Any, ...]]]:
        """Each call's statement and arguments, encoded and hashed as the store does."""
        recorded_at = datetime.now(UTC)
        prepared = []
        for evs in calls:
            batch = prepare_batch(
                self.codec,
                TenantId(tenant),
                [e.new for e in evs],
                expected_version=evs[0].version - 1,
                metadata=METADATA,
                recorded_at=recorded_at,
                data_keys={},
            )
            if len(evs) == 1:
                prepared.append((APPEND_ONE_SQL, append_one_arguments(TenantId(tenant), batch)))
            else:
                prepared.append((APPEND_SQL, append_arguments(TenantId(tenant), batch)))
        return prepared

    async def write(self, phase: str, run: int) -> Sample:
        tenants, per_worker = write_plan(self.ctx.workload, phase, f"B{run}")
        batch = events_per_call(phase)
        warm = [f"WARMUP{w}" for w in range(len(tenants))]
        await self._fresh([*tenants, *warm])
        sample = await timed_on_held_connections(
            self.ctx,
            self.pool,
            [self._arguments(t, warmup(1, 10 * batch).calls(batch)) for t in warm],
            [self._arguments(t, c) for t, c in zip(tenants, per_worker, strict=True)],
            lambda conn, call: conn.fetch(call[0], *call[1]),
        )
        await check_dense_logs(self.ctx, tenants)
        return sample

    async def read(self, run: int) -> Sample:
        wk = self.ctx.workload
        tenant = f"B{run}READ"
        await self._fresh([tenant])
        async with self.pool.acquire() as conn:
            for sql, args in self._arguments(tenant, wk.calls(wk.per_stream)):
                await conn.fetch(sql, *args)
            await self.ctx.admin.execute("VACUUM ANALYZE events")
            return await timed_read_passes(
                self.ctx, lambda: count_row_pages(conn, READ_LOG_EVENTS_SQL, tenant, 0)
            )


# ---------------------------------------------------------------- eventsourcing 9.5.6


def _to_stored(evs: list[Ev]) -> list[StoredEvent]:
    return [
        StoredEvent(
            originator_id=e.stream_id, originator_version=e.version, topic=e.topic, state=e.state
        )
        for e in evs
    ]


class EventsourcingBench:
    """The recorder layer, as in ../shared/bench/peer_eventsourcing.py, run in threads."""

    name = "eventsourcing"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.datastore: Any = None

    async def open(self) -> None:
        from eventsourcing.postgres import PostgresDatastore  # noqa: PLC0415 - psycopg only here

        parts = urlsplit(self.ctx.admin_dsn)
        self.datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            pool_size=WRITERS,
            max_overflow=0,
        )
        await asyncio.to_thread(self.datastore.pool.open, wait=True, timeout=30)

    async def close(self) -> None:
        await asyncio.to_thread(self.datastore.close)

    def _recorder(self, table: str, *, fresh: bool) -> PostgresApplicationRecorder:
        from eventsourcing.postgres import PostgresApplicationRecorder  # noqa: PLC0415

        if fresh:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(f"DROP TABLE IF EXISTS {table}")
        recorder = PostgresApplicationRecorder(self.datastore, events_table_name=table)
        if fresh:
            recorder.create_table()
        return recorder

    def _warm(self, recorder: PostgresApplicationRecorder, threads: int) -> None:
        # 20 untimed inserts per connection, concurrently, so psycopg prepares its statements
        wk = warmup(threads, 20)

        def run(calls: list[list[Ev]]) -> None:
            for evs in calls:
                recorder.insert_events(_to_stored(evs))

        workers = [threading.Thread(target=run, args=(wk.calls(1, [t]),)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def _write(self, phase: str, before: Callable[[], int]) -> Sample:
        """``before()`` runs just ahead of the timed part; it returns the WAL position."""
        wk = self.ctx.workload
        recorder = self._recorder(f"bench_es_{phase}", fresh=True)
        threads = WRITERS if phase == "concurrent" else 1
        self._warm(recorder, threads)
        if phase == "concurrent":
            per_worker = [
                [_to_stored(evs) for evs in calls] for calls in wk.worker_calls(WRITERS, 1)
            ]
        else:
            per_worker = [[_to_stored(evs) for evs in wk.calls(BATCH if phase == "batch" else 1)]]
        lsn0 = before()
        with frozen_heap():
            return self._timed_write(recorder, per_worker, lsn0)

    def _timed_write(
        self,
        recorder: PostgresApplicationRecorder,
        per_worker: list[list[list[StoredEvent]]],
        lsn0: int,
    ) -> Sample:
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(per_worker) + 1)

        def worker(calls: list[list[StoredEvent]]) -> None:
            barrier.wait()
            try:
                for stored in calls:
                    recorder.insert_events(stored)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        workers = [threading.Thread(target=worker, args=(c,)) for c in per_worker]
        for w in workers:
            w.start()
        barrier.wait()
        window = Window(self.ctx.server)
        for w in workers:
            w.join()
        sample = window.stop(self.ctx.workload.n)
        sample.wal_bytes = -lsn0
        if errors:
            raise errors[0]
        return sample

    async def write(self, phase: str, run: int) -> Sample:
        loop = asyncio.get_running_loop()

        def before() -> int:  # a CHECKPOINT just before timing, as for the others
            asyncio.run_coroutine_threadsafe(self.ctx.checkpoint(), loop).result()
            return asyncio.run_coroutine_threadsafe(self.ctx.wal_lsn(), loop).result()

        sample = await asyncio.to_thread(self._write, phase, before)
        sample.wal_bytes += await self.ctx.wal_lsn()
        table = f"bench_es_{phase}"
        count = await self.ctx.admin.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
        threads = WRITERS if phase == "concurrent" else 1
        assert count == self.ctx.workload.n + 20 * threads, count  # noqa: S101
        return sample

    def _read(self) -> Sample:
        wk = self.ctx.workload
        recorder = self._recorder("bench_es_read", fresh=True)
        calls = wk.calls(1)  # the physical order of the per-event phase, 100 events per call
        for i in range(0, len(calls), 100):
            recorder.insert_events(_to_stored([c[0] for c in calls[i : i + 100]]))
        with self.datastore.get_connection() as conn:
            conn.execute("VACUUM ANALYZE bench_es_read")

        def read_all() -> int:
            count, start = 0, None
            while True:
                page = (
                    recorder.select_notifications(start=None, limit=PAGE)
                    if start is None
                    else recorder.select_notifications(
                        start=start, limit=PAGE, inclusive_of_start=False
                    )
                )
                count += len(page)
                if len(page) < PAGE:
                    return count
                start = page[-1].id

        assert read_all() == wk.n  # noqa: S101
        with frozen_heap():
            window = Window(self.ctx.server)
            for _ in range(READ_PASSES):
                read_all()
            return window.stop(wk.n * READ_PASSES)

    async def read(self, run: int) -> Sample:
        return await asyncio.to_thread(self._read)


# ---------------------------------------------------------------- the server and the database


@contextlib.asynccontextmanager
async def bench_database(
    admin_dsn: str | None, app_dsn: str | None
) -> AsyncIterator[tuple[str, str, ServerCpu | None]]:
    """Yield (admin DSN, app DSN, ServerCpu) of a freshly migrated bench database."""
    data_dir: Path | None = None
    server_cpu: ServerCpu | None = None
    if admin_dsn is None:
        data_dir = Path(tempfile.mkdtemp(prefix="passend-bench-pg-"))
        server = embedded_postgres_server.start(data_dir, synchronous_commit=True)
        admin_dsn = server.admin_dsn()
        pid_file = data_dir / "pgdata" / "postmaster.pid"
        server_cpu = ServerCpu(int(pid_file.read_text().split()[0]))
    try:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
            if server_cpu is None:
                server_cpu = ServerCpu.of_backend(await conn.fetchval("SELECT pg_backend_pid()"))
        finally:
            await conn.close()
        db_admin = _with_database(admin_dsn, BENCH_DATABASE)
        conn = await asyncpg.connect(db_admin)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        db_app = _with_database(app_dsn, BENCH_DATABASE) if app_dsn else _as_app(db_admin)
        try:
            yield db_admin, db_app, server_cpu
        finally:
            conn = await asyncpg.connect(admin_dsn)
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            finally:
                await conn.close()
    finally:
        if data_dir is not None:
            embedded_postgres_server.destroy(data_dir)


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _as_app(dsn: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"passend_app@{host}"))


# ---------------------------------------------------------------- reporting


@dataclass
class Results:
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)

    def add(self, phase: str, impl: str, sample: Sample) -> None:
        self.samples.setdefault(phase, {}).setdefault(impl, []).append(sample)

    def rates(self, phase: str, impl: str) -> list[float]:
        return [s.rate for s in self.samples.get(phase, {}).get(impl, [])]

    def median_rate(self, phase: str, impl: str) -> float | None:
        rates = self.rates(phase, impl)
        return statistics.median(rates) if rates else None

    def ratio(self, phase: str, over: str) -> float | None:
        ours, theirs = self.median_rate(phase, "passend"), self.median_rate(phase, over)
        return None if ours is None or theirs is None else ours / theirs

    def schema_ratio(self, phase: str) -> float | None:
        bare, limit = self.median_rate(phase, "bare_schema"), self.median_rate(phase, "limit")
        return None if bare is None or limit is None else bare / limit

    def paired(self, phase: str, over: str) -> list[float]:
        return [
            a / b
            for a, b in zip(self.rates(phase, "passend"), self.rates(phase, over), strict=False)
        ]


def _med(values: list[float]) -> float:
    clean = [v for v in values if v == v]  # noqa: PLR0124 - drops NaN
    return statistics.median(clean) if clean else float("nan")


def print_table(results: Results) -> None:
    head = (
        f"{'phase':<11} {'implementation':<14} {'min':>9} {'median':>9} {'max':>9}"
        f" {'wall':>7} {'client':>7} {'server':>7} {'WAL':>6}"
    )
    print()
    print("events/s over the runs; wall, client CPU and server CPU in µs per event (medians);")
    print("WAL in bytes per event")
    print(head)
    print("-" * len(head))
    for phase in PHASES:
        for impl in IMPLS:
            samples = results.samples.get(phase, {}).get(impl)
            if not samples:
                continue
            rates = [s.rate for s in samples]
            print(
                f"{phase:<11} {impl:<14} {min(rates):>9,.0f} {statistics.median(rates):>9,.0f}"
                f" {max(rates):>9,.0f}"
                f" {_med([s.per_event_us(s.secs) for s in samples]):>7.1f}"
                f" {_med([s.per_event_us(s.client_cpu) for s in samples]):>7.1f}"
                f" {_med([s.per_event_us(s.server_cpu) for s in samples]):>7.1f}"
                f" {_med([s.wal_bytes / s.events for s in samples]):>6.0f}"
            )
    print()
    print("ratios of the medians (per-run pairs in brackets)")
    for phase in PHASES:
        for over, suffix in (("eventsourcing", "ratio"), ("limit", "vs_limit")):
            ratio = results.ratio(phase, over)
            if ratio is None:
                continue
            key = f"{phase}_{suffix}"
            pairs = results.paired(phase, over)
            target = TARGETS[key]
            verdict = "met" if ratio >= target else "MISSED"
            print(
                f"  {key:<22} {ratio:6.2f}  ({min(pairs):.2f}-{max(pairs):.2f})"
                f"  target >= {target:<4}  {verdict}"
            )


def print_breakdown(results: Results) -> None:
    """Passend ÷ bare_schema (the store's Python) and bare_schema ÷ limit (schema and SQL)."""
    lines = []
    for phase in PHASES:
        store = results.ratio(phase, "bare_schema")
        schema = results.schema_ratio(phase)
        if store is not None and schema is not None:
            lines.append(f"  {phase:<11} {store:21.2f}  {schema:19.2f}")
    if lines:
        print()
        print("where the gap to the limit lies (medians, not targets):")
        print(f"  {'phase':<11} passend ÷ bare_schema  bare_schema ÷ limit")
        print("\n".join(lines))


def summary(results: Results, params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for phase in PHASES:
        for over, suffix in (("eventsourcing", "ratio"), ("limit", "vs_limit")):
            ratio = results.ratio(phase, over)
            if ratio is not None:
                out[f"{phase}_{suffix}"] = round(ratio, 3)
    for phase in PHASES:
        store, schema = results.ratio(phase, "bare_schema"), results.schema_ratio(phase)
        if store is not None:
            out[f"{phase}_vs_bare_schema"] = round(store, 3)
        if schema is not None:
            out[f"{phase}_bare_schema_vs_limit"] = round(schema, 3)
    out["targets"] = {k: v for k, v in TARGETS.items() if k in out}
    out["targets_met"] = {k: out[k] >= v for k, v in TARGETS.items() if k in out}
    out["events_per_s"] = {
        phase: {
            impl: {
                "min": round(min(r)),
                "median": round(statistics.median(r)),
                "max": round(max(r)),
                "runs": [round(x) for x in r],
            }
            for impl in IMPLS
            if (r := results.rates(phase, impl))
        }
        for phase in PHASES
        if phase in results.samples
    }
    out["client_cpu_us_per_event"] = {
        phase: {
            impl: round(_med([s.per_event_us(s.client_cpu) for s in samples]), 1)
            for impl, samples in by_impl.items()
        }
        for phase, by_impl in results.samples.items()
    }
    out["server_cpu_us_per_event"] = {
        phase: {
            impl: round(_med([s.per_event_us(s.server_cpu) for s in samples]), 1)
            for impl, samples in by_impl.items()
        }
        for phase, by_impl in results.samples.items()
    }
    out["params"] = params
    return out


# ---------------------------------------------------------------- profile


def cpu_breakdown(bench: PassendBench, wk: Workload) -> None:
    """Client CPU of Passend's own work per event, without the database."""
    from infrastructure.event_batches import check_batch, prepare_batch  # noqa: PLC0415

    codec = bench.codec
    calls = wk.calls(1)
    tenant = TenantId("PROFILE")

    def per_event(label: str, fn: Callable[[list[Ev]], object]) -> None:
        t0 = time.process_time()
        for evs in calls:
            fn(evs)
        print(f"  {label:<44} {(time.process_time() - t0) / len(calls) * 1e6:7.2f} µs/event")

    print("\nclient CPU of Passend's work per event, no database (one event per call):")
    per_event("check_batch", lambda evs: check_batch([e.new for e in evs], evs[0].version - 1))
    per_event(
        "codec.encode",
        lambda evs: codec.encode(evs[0].new.event, tenant_id=tenant, event_id=evs[0].new.event_id),
    )
    now = datetime.now().astimezone()
    per_event(
        "prepare_batch (check + encode + hash)",
        lambda evs: prepare_batch(
            codec,
            tenant,
            [e.new for e in evs],
            expected_version=evs[0].version - 1,
            metadata=METADATA,
            recorded_at=now,
            data_keys={},
        ),
    )


async def profile_passend(ctx: Context, bench: PassendBench) -> None:
    cpu_breakdown(bench, ctx.workload)
    for phase in ("per_event", "read"):
        ctx.profile = cProfile.Profile()
        sample = await (bench.read(99) if phase == "read" else bench.write(phase, 99))
        profile, ctx.profile = ctx.profile, None
        print(
            f"\nprofile of passend {phase}: {sample.rate:,.0f} ev/s under the profiler,"
            " top functions by own time:"
        )
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(18)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="passend bench store",
        description="Passend's event store vs eventsourcing 9.5.6 and bare asyncpg.",
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--streams", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma list of {', '.join(PHASES)}"
    )
    parser.add_argument(
        "--impls", default=",".join(IMPLS), help=f"comma list of {', '.join(IMPLS)}"
    )
    parser.add_argument(
        "--dsn",
        help="admin DSN of an existing server (default: an embedded server in a temp directory,"
        " synchronous_commit and fsync on, destroyed at the end)",
    )
    parser.add_argument("--app-dsn", help="DSN for passend_app if not derivable from --dsn")
    parser.add_argument(
        "--synchronous-commit",
        choices=("on", "off"),
        default="on",
        help="off: ALTER DATABASE ... SET synchronous_commit = off, to show the fsync's share",
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile Passend's client CPU (after the timed runs)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.streams, args.runs = 2_000, 100, 1
    args.phases = [p for p in args.phases.split(",") if p]
    args.impls = [i for i in args.impls.split(",") if i]
    for name in args.phases:
        if name not in PHASES:
            parser.error(f"unknown phase {name!r}")
    for name in args.impls:
        if name not in IMPLS:
            parser.error(f"unknown implementation {name!r}")
    return args


async def run(args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.perf_counter()
    wk = Workload(args.events, args.streams)
    async with bench_database(args.dsn, args.app_dsn) as (admin_dsn, app_dsn, server_cpu):
        admin = await asyncpg.connect(admin_dsn)
        if args.synchronous_commit == "off":
            await admin.execute(f"ALTER DATABASE {BENCH_DATABASE} SET synchronous_commit = off")
        ctx = Context(admin_dsn, app_dsn, admin, server_cpu, wk)
        settings = {
            name: await admin.fetchval(f"SELECT current_setting('{name}')")
            for name in ("server_version", "synchronous_commit", "fsync", "shared_buffers")
        }
        makers: dict[str, Callable[[Context], Bench]] = {
            "passend": PassendBench,
            "eventsourcing": EventsourcingBench,
            "limit": LimitBench,
            "bare_schema": BareSchemaBench,
        }
        benches = {name: makers[name](ctx) for name in args.impls}
        for bench in benches.values():
            await bench.open()
        results = Results()
        names = list(benches)
        try:
            for r in range(args.runs):
                for phase in args.phases:
                    shift = r % len(names)
                    for impl in names[shift:] + names[:shift]:
                        bench = benches[impl]
                        sample = await (bench.read(r) if phase == "read" else bench.write(phase, r))
                        results.add(phase, impl, sample)
                        print(
                            f"run {r + 1}/{args.runs} {phase:<11} {impl:<14}"
                            f" {sample.rate:>10,.0f} ev/s  ({sample.events} events in"
                            f" {sample.secs:.2f} s, client CPU"
                            f" {sample.per_event_us(sample.client_cpu):.1f} µs/event)",
                            flush=True,
                        )
            if args.profile and "passend" in benches:
                bench = benches["passend"]
                assert isinstance(bench, PassendBench)  # noqa: S101
                await profile_passend(ctx, bench)
        finally:
            for bench in benches.values():
                await bench.close()
            await admin.close()
    import psycopg  # noqa: PLC0415

    params = {
        "events": args.events,
        "streams": args.streams,
        "runs": args.runs,
        "batch": BATCH,
        "writers": WRITERS,
        "page": PAGE,
        "read_passes": READ_PASSES,
        "avg_state_bytes": round(wk.avg_state_bytes, 1),
        "server": settings,
        "embedded_server": args.dsn is None,
        "asyncpg": asyncpg.__version__,
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
        "python": sys.version.split()[0],
        "total_secs": round(time.perf_counter() - t_start, 1),
    }
    print_table(results)
    print_breakdown(results)
    return summary(results, params)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = asyncio.run(run(args))
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
