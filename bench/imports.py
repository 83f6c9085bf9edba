"""``passend bench import``: the bulk import against bare COPY and the store's batch appends.

One synthetic history (``bench/load/history.py``; ``--tenants``, ``--events``) is written to a
file before anything is timed, then, on one embedded server (synchronous commit and fsync on),
alternating run by run:

* ``import``: ``passend import`` of the file (parsing, checking each event against its type,
  encrypting personal fields, hashing in a second process; chaining and binary ``COPY`` under
  the head row's lock; extending and signing each tenant's Merkle tree);
* ``copy``: ``COPY`` of the very rows the import wrote (read back before timing) into a table
  with the same columns, keys and indexes and no row-level security, in commits of the same
  size: the floor of what PostgreSQL needs for them;
* ``batch_append``: ``PostgresEventStore.append`` of the same events, 10 of one stream per
  append, as the application would (``--batch-events`` of them, to keep a run short).

Targets: import at least 0.5 times copy and 3 times batch_append (events/s, medians of the runs;
the ratios are printed run by run too, as min / median / max). Client CPU counts this process
and its children (the import's preparing processes). In every phase what the harness holds
(the history's batches, the rows read back) is frozen out of the garbage collector, as in
``passend bench store``: ``passend import`` freezes its process's heap itself, and the copy
and the appends are timed inside ``frozen_heap``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from api.import_cli import run_import
from api.settings import Settings
from api.transparency import checkpoint_signer
from application.ports import EventMetadata, NewEvent
from bench.database import ServerCpu
from bench.load.history import write_history
from bench.store.harness import frozen_heap
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure import embedded_postgres_server
from infrastructure.bulk_import import (
    DEFAULT_CHUNK,
    EVENT_COLUMNS,
    PREPARING_PROCESSES,
    ImportLine,
)
from infrastructure.database import create_pool, init_connection
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.migrate import apply_migrations

TARGETS = {"import_vs_copy": 0.5, "import_vs_batch_append": 3.0}
BATCH = 10


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="passend bench import", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--preparing-processes",
        type=int,
        default=PREPARING_PROCESSES,
        help="processes that prepare the import's blocks in turn (1 before 2026-12-02 midday)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.events, args.batch_events, args.runs = 3, 2_000, 500, 1
    return args


async def _fresh(admin_dsn: str, database: str) -> str:
    server = await asyncpg.connect(admin_dsn)
    try:
        await server.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await server.execute(f"CREATE DATABASE {database}")
    finally:
        await server.close()
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{database}"
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return dsn


class Cpu:
    """Client and server CPU seconds per event over a phase: where the time goes.

    The client is this process and its children (the import prepares in a second process).
    """

    def __init__(self, server: ServerCpu) -> None:
        self.server = server
        self.client = ServerCpu(os.getpid())
        self.client0, self.server0 = self.client.seconds(), server.seconds()

    def per_event_us(self, events: int) -> tuple[float, float]:
        client = self.client.seconds() - self.client0
        server = self.server.seconds() - self.server0
        return round(client / events * 1e6, 1), round(server / events * 1e6, 1)


async def import_phase(  # noqa: PLR0913 - the phase, its probes and how it is split
    admin_dsn: str,
    path: Path,
    run: int,
    cpu: dict[str, list[tuple[float, float]]],
    pg: ServerCpu,
    *,
    preparing_processes: int,
) -> tuple[float, list[Any]]:
    dsn = await _fresh(admin_dsn, f"passend_import_{run}")
    window = Cpu(pg)
    signer = checkpoint_signer(Settings.from_env(data_dir=str(path.parent)))
    result = await run_import(
        dsn, path, signer=signer, show_progress=False, preparing_processes=preparing_processes
    )
    cpu["import"].append(window.per_event_us(result.events))
    conn = await asyncpg.connect(dsn)
    try:
        await init_connection(conn)
        rows = await conn.fetch(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY 1, 2")  # noqa: S608
    finally:
        await conn.close()
    return result.events / result.seconds, [tuple(r) for r in rows]


async def copy_phase(
    admin_dsn: str,
    rows: list[Any],
    run: int,
    *,
    cpu: dict[str, list[tuple[float, float]]],
    pg: ServerCpu,
) -> float:
    dsn = await _fresh(admin_dsn, f"passend_copy_{run}")
    conn = await asyncpg.connect(dsn)
    try:
        await init_connection(conn)
        await conn.execute("CREATE TABLE bare_events (LIKE events INCLUDING ALL)")
        with frozen_heap():
            started, window = time.perf_counter(), Cpu(pg)
            for start in range(0, len(rows), DEFAULT_CHUNK):
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "bare_events",
                        records=rows[start : start + DEFAULT_CHUNK],
                        columns=EVENT_COLUMNS,
                    )
            rate = len(rows) / (time.perf_counter() - started)
        cpu["copy"].append(window.per_event_us(len(rows)))
        return rate
    finally:
        await conn.close()


def _batches(path: Path, codec: EventCodec, limit: int) -> list[tuple[TenantId, list[NewEvent]]]:
    """The file's first ``limit`` events, per tenant by stream, ``BATCH`` at a time."""
    decoder = msgspec.json.Decoder(ImportLine)
    streams: dict[tuple[str, UUID], list[NewEvent]] = {}
    with path.open("rb") as lines:
        for count, raw in enumerate(lines):
            if count >= limit:
                break
            line = decoder.decode(raw)
            name, _, version = line.type.partition(".v")
            event = codec.from_plain(
                name, int(version), line.fields, line.stream_id, line.stream_version
            )
            streams.setdefault((line.tenant, line.stream_id), []).append(
                NewEvent(line.event_id, event)
            )
    return [
        (TenantId(tenant), events[start : start + BATCH])
        for (tenant, _), events in streams.items()
        for start in range(0, len(events), BATCH)
    ]


async def batch_append_phase(  # noqa: PLR0913 - the phase and its probes
    admin_dsn: str,
    batches: list[tuple[TenantId, list[NewEvent]]],
    codec: EventCodec,
    run: int,
    *,
    cpu: dict[str, list[tuple[float, float]]],
    pg: ServerCpu,
) -> float:
    dsn = await _fresh(admin_dsn, f"passend_append_{run}")
    app_dsn = dsn.replace("://postgres@", "://passend_app@", 1)
    pool = await create_pool(app_dsn, min_size=2, max_size=2)
    store = PostgresEventStore(pool, codec)
    meta = EventMetadata(actor="bench:import")
    try:
        for tenant in {t for t, _ in batches}:
            await store.register_tenant(tenant)
        with frozen_heap():
            started, window = time.perf_counter(), Cpu(pg)
            for tenant, events in batches:
                version = events[0].event.originator_version - 1
                await store.append(tenant, events, expected_version=version, metadata=meta)
            seconds = time.perf_counter() - started
        count = sum(len(e) for _, e in batches)
        cpu["batch_append"].append(window.per_event_us(count))
        return count / seconds
    finally:
        await store.close()
        await pool.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="passend-bench-import-"))
    path = workdir / "history.ndjson"
    lines = await write_history(path, tenants=args.tenants, events=args.events)
    codec = EventCodec(AGGREGATE_CLASSES)
    batches = _batches(path, codec, args.batch_events)
    server = embedded_postgres_server.start(workdir / "postgres", synchronous_commit=True)
    rates: dict[str, list[float]] = {"import": [], "copy": [], "batch_append": []}
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in rates}
    pid_file = workdir / "postgres" / "pgdata" / "postmaster.pid"
    pg = ServerCpu(int(pid_file.read_text().split()[0]))
    try:
        for r in range(args.runs):
            rate, rows = await import_phase(
                server.admin_dsn(), path, r, cpu, pg, preparing_processes=args.preparing_processes
            )
            rates["import"].append(rate)
            rates["copy"].append(await copy_phase(server.admin_dsn(), rows, r, cpu=cpu, pg=pg))
            rates["batch_append"].append(
                await batch_append_phase(server.admin_dsn(), batches, codec, r, cpu=cpu, pg=pg)
            )
            print(
                f"run {r + 1}/{args.runs}: "
                + ", ".join(f"{k} {v[-1]:,.0f} ev/s" for k, v in rates.items()),
                flush=True,
            )
    finally:
        embedded_postgres_server.destroy(workdir / "postgres")
        # the history and the KEKs its import made
        shutil.rmtree(workdir, ignore_errors=True)
    medians = {k: statistics.median(v) for k, v in rates.items()}
    print(f"  {'events/s':<24} {'min':>9} {'median':>9} {'max':>9}   CPU µs/event client, server")
    for name, values in rates.items():
        client_us = statistics.median(c for c, _ in cpu[name])
        server_us = statistics.median(s for _, s in cpu[name])
        print(
            f"  {name:<24} {min(values):9,.0f} {medians[name]:9,.0f} {max(values):9,.0f}"
            f"   {client_us:6.1f}, {server_us:6.1f}"
        )
    ratios = {
        "import_vs_copy": round(medians["import"] / medians["copy"], 3),
        "import_vs_batch_append": round(medians["import"] / medians["batch_append"], 3),
    }
    # each run's own ratio too: the phases of a run ran next to each other, under one load
    per_run = {
        name: [i / o for i, o in zip(rates["import"], rates[other], strict=True)]
        for name, other in (("import_vs_copy", "copy"), ("import_vs_batch_append", "batch_append"))
    }
    print(
        f"  {'ratio (of medians)':<24} {'value':>6}   {'per run: min':>12} {'median':>7} {'max':>6}"
    )
    for name, value in ratios.items():
        verdict = "met" if value >= TARGETS[name] else "MISSED"
        runs = per_run[name]
        print(
            f"  {name:<24} {value:6.2f}   {min(runs):12.2f} {statistics.median(runs):7.2f}"
            f" {max(runs):6.2f}  target >= {TARGETS[name]}  {verdict}"
        )
    return {
        **ratios,
        "targets": TARGETS,
        "ratios_per_run": {
            name: {
                "min": round(min(v), 3),
                "median": round(statistics.median(v), 3),
                "max": round(max(v), 3),
            }
            for name, v in per_run.items()
        },
        "events_per_s": {
            k: {"min": round(min(v)), "median": round(medians[k]), "max": round(max(v))}
            for k, v in rates.items()
        },
        "cpu_us_per_event_client_server_median": {
            k: [statistics.median(c for c, _ in v), statistics.median(s for _, s in v)]
            for k, v in cpu.items()
        },
        "params": {
            "tenants": args.tenants,
            "events": lines,
            "runs": args.runs,
            "preparing_processes": args.preparing_processes,
        },
    }


def main(argv: list[str] | None = None) -> int:
    out = asyncio.run(run(parse_args(argv)))
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0
