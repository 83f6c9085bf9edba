"""``projection_bench``: how fast the projection runner makes a commit visible, and rebuilds.

* ``lag``: 4 tenants, 200 events/s in total (one event per append, paced) for ``--seconds``,
  through ``PostgresEventStore`` with a ``ProjectionRunner`` and a ``CommitNotifier`` in the
  same process, as in the API's lifespan. Lag = from ``append`` returning to the read model's
  transaction committing. The bench read model sends ``pg_notify`` inside its own transaction
  (delivered only at commit) so that visibility is observed without polling the view.
* ``rebuild``: one tenant with ``--events`` events (default 1,000,000; loaded through the store
  in appends of 1,000), rebuilt with ``rebuild(..., tenant_id=...)``, against reading the same
  log with ``read_log`` (pages of 5,000, events decoded) without applying it. Ratio = rebuild
  rate / read rate.

Targets: lag p99 < 100 ms; rebuild >= 17,000 events/s. Each phase runs ``--runs`` times
(min / median / max). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import asyncpg
from eventsourcing.domain import Aggregate, event

from application.ports import EventMetadata, NewEvent, RecordedEvent
from domain.ids import TenantId
from infrastructure import embedded_postgres_server
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Connection, Pool, create_pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.migrate import apply_migrations
from projections.builds import create_build
from projections.projection import TableNames
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner

DATABASE = "passend_projection_bench"
VISIBLE = "bench_visible"
META = EventMetadata(actor="bench:writer")
T0 = datetime(2026, 9, 1, tzinfo=UTC)
TARGETS = {"lag_p99_ms": 100.0, "rebuild_events_per_s": 17_000.0}


class BenchNote(Aggregate):
    TOPIC = "BenchNote"

    class Created(Aggregate.Created):
        TOPIC = "BenchNoteCreated.v1"

    class Event(Aggregate.Event):
        pass

    class Opened(Created):
        TOPIC = "BenchNoteOpened.v1"
        title: str

    class Written(Event):
        TOPIC = "BenchNoteWritten.v1"
        text: str

    @event(Opened)
    def __init__(self, title: str, timestamp: datetime) -> None:
        self.title = title

    @event(Written)
    def write(self, text: str, timestamp: datetime) -> None:
        pass


class StreamCounts:
    """Events per stream, like the tests' read model; optionally signals its commits."""

    version = 1

    def __init__(self, name: str, *, signal: bool) -> None:
        self.name = name
        self.tables = (name,)
        self.signal = signal

    def create_tables(self, tables: TableNames) -> Sequence[str]:
        ddl = (
            f"CREATE TABLE {tables[self.name]} (tenant_id text NOT NULL,"
            " stream_id uuid NOT NULL, events integer NOT NULL, last_position bigint NOT NULL,"
            " PRIMARY KEY (tenant_id, stream_id))"
        )
        return [ddl]

    async def apply(
        self,
        conn: Connection,
        tenant_id: TenantId,
        events: Sequence[RecordedEvent],
        tables: TableNames,
    ) -> None:
        counts: Counter[UUID] = Counter(e.stream_id for e in events)
        last = {e.stream_id: e.position for e in events}
        await conn.execute(
            f"INSERT INTO {tables[self.name]} AS t SELECT $1, s, n, p"  # noqa: S608
            " FROM unnest($2::uuid[], $3::int[], $4::bigint[]) AS u(s, n, p)"
            " ON CONFLICT (tenant_id, stream_id) DO UPDATE"
            " SET events = t.events + excluded.events, last_position = excluded.last_position",
            tenant_id,
            list(counts),
            list(counts.values()),
            [last[s] for s in counts],
        )
        if self.signal:
            await conn.execute(
                "SELECT pg_notify($1, $2)", VISIBLE, f"{tenant_id}:{events[-1].position}"
            )


def stream_events(count: int) -> list[NewEvent]:
    note = BenchNote(title="bench", timestamp=T0)
    for index in range(count - 1):
        note.write(f"text {index:06d} of a bench note", timestamp=T0)
    return [NewEvent(uuid4(), e) for e in note.collect_events()]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def lag_run(
    pool: Pool, admin_dsn: str, codec: EventCodec, seconds: float, run: int
) -> dict[str, float]:
    store = PostgresEventStore(pool, codec)
    notifier = CommitNotifier(pool)
    store.on_commit(notifier.commit)
    projection = StreamCounts("bench_lag", signal=True)
    runner = ProjectionRunner(pool, store, [projection])
    tenants = [TenantId(f"LAG{run}T{i}") for i in range(4)]
    for tenant in tenants:
        await store.register_tenant(tenant)
    seen: dict[str, list[tuple[int, float]]] = {t: [] for t in tenants}

    def visible(_c: object, _p: int, _ch: str, payload: object) -> None:
        tenant, _, position = str(payload).rpartition(":")
        if tenant in seen:  # earlier runs' tenants are caught up too
            seen[tenant].append((int(position), time.perf_counter()))

    listener = await asyncpg.connect(admin_dsn)
    await listener.add_listener(VISIBLE, visible)
    await runner.start()
    appended: list[tuple[str, int, float]] = []
    interval = len(tenants) / 200.0

    async def write(tenant: TenantId, offset: float) -> None:
        notes = [BenchNote(title="lag", timestamp=T0) for _ in range(10)]
        versions = [0] * len(notes)
        start = time.perf_counter() + offset
        for i in range(int(seconds / interval)):
            await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
            k = i % len(notes)
            if versions[k]:
                notes[k].write("lag", timestamp=T0)
            [new] = [NewEvent(uuid4(), e) for e in notes[k].collect_events()]
            result = await store.append(tenant, [new], expected_version=versions[k], metadata=META)
            versions[k] += 1
            appended.append((tenant, result.last_position, time.perf_counter()))

    await asyncio.gather(*(write(t, i * interval / len(tenants)) for i, t in enumerate(tenants)))
    await asyncio.sleep(1.0)
    await runner.stop()
    await notifier.aclose()
    await listener.close()
    lags = []
    for writer, position, returned in appended:
        marks = seen[writer]
        index = bisect.bisect_left([p for p, _ in marks], position)
        if index == len(marks):
            raise RuntimeError(f"{writer}:{position} never became visible")
        lags.append(max(0.0, marks[index][1] - returned) * 1000)
    return {
        "events": len(appended),
        "events_per_s": len(appended) / seconds,
        "p50_ms": percentile(lags, 0.5),
        "p99_ms": percentile(lags, 0.99),
        "max_ms": max(lags),
    }


async def load(store: PostgresEventStore, tenant: TenantId, events: int) -> float:
    await store.register_tenant(tenant)
    started = time.perf_counter()
    for done in range(0, events, 1000):
        await store.append(
            tenant, stream_events(min(1000, events - done)), expected_version=0, metadata=META
        )
    return events / (time.perf_counter() - started)


async def read_rate(store: PostgresEventStore, tenant: TenantId) -> tuple[int, float]:
    started, after, count = time.perf_counter(), 0, 0
    while page := await store.read_log(tenant, after=after, limit=5000):
        count += len(page)
        after = page[-1].position
    return count, count / (time.perf_counter() - started)


async def rebuild_phase(pool: Pool, codec: EventCodec, events: int, runs: int) -> dict[str, Any]:
    store = PostgresEventStore(pool, codec)
    tenant = TenantId("BIGTENANT")
    load_rate = await load(store, tenant, events)
    projection = StreamCounts("bench_rebuild", signal=False)
    async with pool.acquire() as conn:
        await create_build(conn, projection, active=True)
    reads, rebuilds = [], []
    # as `passend projections rebuild` does: start-up objects stay out of full collections
    gc.collect()
    gc.freeze()
    for _ in range(runs):
        count, rate = await read_rate(store, tenant)
        reads.append(rate)
        result = await rebuild(pool, store, projection, tenant_id=tenant)
        if result.events != count:
            raise RuntimeError(f"rebuilt {result.events} events of {count}")
        rebuilds.append(result.events / result.seconds)
        print(f"  read {rate:,.0f} ev/s, rebuild {rebuilds[-1]:,.0f} ev/s", flush=True)
    return {
        "events": events,
        "load_events_per_s": load_rate,
        "read_events_per_s": summary(reads),
        "rebuild_events_per_s": summary(rebuilds),
        "ratio": summary([r / q for r, q in zip(rebuilds, reads, strict=True)]),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = None
    admin = args.dsn
    if admin is None:
        data_dir = Path(tempfile.mkdtemp(prefix="passend-projection-bench-"))
        admin = embedded_postgres_server.start(data_dir, synchronous_commit=True).admin_dsn()
    try:
        conn = await asyncpg.connect(admin)
        await conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {DATABASE}")
        await conn.close()
        parts = urlsplit(admin)
        db_admin = urlunsplit(parts._replace(path=f"/{DATABASE}"))
        db_app = urlunsplit(
            parts._replace(
                path=f"/{DATABASE}", netloc="passend_app@" + parts.netloc.rpartition("@")[2]
            )
        )
        conn = await asyncpg.connect(db_admin)
        await apply_migrations(conn)
        await conn.close()
        pool = await create_pool(db_app, min_size=4, max_size=20)
        codec = EventCodec([BenchNote])
        try:
            lag_runs = []
            for run_no in range(args.runs):
                lag_runs.append(await lag_run(pool, db_admin, codec, args.seconds, run_no))
                print(f"  lag run {run_no}: {lag_runs[-1]}", flush=True)
            rebuilt = await rebuild_phase(pool, codec, args.events, args.runs)
        finally:
            await pool.close()
    finally:
        if data_dir is not None:
            embedded_postgres_server.destroy(data_dir)
    lag = {
        key: summary([r[key] for r in lag_runs])
        for key in ("events_per_s", "p50_ms", "p99_ms", "max_ms")
    }
    return {
        "lag": lag,
        "rebuild": rebuilt,
        "targets": TARGETS,
        "met": {
            "lag_p99_ms": lag["p99_ms"]["median"] < TARGETS["lag_p99_ms"],
            "rebuild_events_per_s": rebuilt["rebuild_events_per_s"]["median"]
            >= TARGETS["rebuild_events_per_s"],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events of the rebuilt tenant"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of one lag run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dsn", help="admin DSN of a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    out = asyncio.run(run(args))
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
