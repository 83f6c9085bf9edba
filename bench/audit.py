"""``passend bench audit``: the transparency log on one large tenant.

Builds a tenant of ``--events`` valid events (each its own commit, hashed and chained as an
append does, loaded with COPY) and appends ``--cases`` cases of ``--case-events`` events each
through the store, interleaved as real cases are. Then measures, ``--runs`` times each
(min/median/max): tree upkeep (integrating the whole log) per event against the store's
per-event append time, inclusion proof p99, checkpoint delay after a commit (integrator
running), ``verify`` of a full bundle against bare SHA-256 over the same bytes in the same run,
and the as-of replay of one case p99 (a time mapped to its position, then the case's events up
to it folded). The issue's targets are for 1,000,000 events (``--events 1000000``); the machine
may be shared, so note the load beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import random
import statistics
import tempfile
import time
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.errors import AggregateNotFoundError
from application.ports import NewEvent
from application.queries import aggregate_history
from bench.database import bench_database
from bench.store.workload import METADATA, BenchOrder, Workload
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from infrastructure.audit_bundle import verify_bundle
from infrastructure.audit_export import export_bundle
from infrastructure.database import Pool, create_pool, init_connection, tenant_transaction
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.hash_chain import event_hash, genesis_hash, next_chain_hash
from infrastructure.log_moments import position_as_of
from infrastructure.signed_note import Signer
from infrastructure.transparency_log import TransparencyLog
from projections.log_integrator import LogIntegrator

TENANT = TenantId("BENCH1")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _rows(count: int) -> tuple[list[tuple[object, ...]], bytes]:
    chain = genesis_hash(TENANT)
    rows: list[tuple[object, ...]] = []
    stream = uuid4()
    for position in range(1, count + 1):
        if position % 20 == 1:
            stream = uuid4()
        version = (position - 1) % 20 + 1
        payload = b'{"n":%d}' % position
        event_id = uuid4()
        at = T0 + timedelta(seconds=position)
        digest = event_hash(
            tenant_id=TENANT, stream_id=stream, stream_version=version, event_id=event_id,
            event_type="BenchEvent", schema_version=1, recorded_at=at, actor="bench",
            correlation_id=None, causation_id=None, key_ref=None, canonical_payload=payload,
        )  # fmt: skip
        chain = next_chain_hash(chain, [digest])
        rows.append((TENANT, position, stream, version, event_id, "BenchEvent", 1, at, "bench",
                     None, None, None, payload, digest, chain))  # fmt: skip
    return rows, chain


async def _load(admin_dsn: str, count: int) -> None:
    rows, chain = _rows(count)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await init_connection(conn)
        await conn.execute(
            "INSERT INTO tenant_heads (tenant_id, last_position, chain_hash) VALUES ($1, $2, $3)",
            TENANT,
            count,
            chain,
        )
        await conn.copy_records_to_table(
            "events",
            records=rows,
            columns=["tenant_id", "position", "stream_id", "stream_version", "event_id",
                     "event_type", "schema_version", "recorded_at", "actor", "correlation_id",
                     "causation_id", "key_ref", "payload", "event_hash", "commit_hash"],
        )  # fmt: skip
        await conn.execute("ANALYZE events")
    finally:
        await conn.close()


def _summary(name: str, values: Sequence[float], unit: str) -> str:
    return (
        f"{name}: min {min(values):.3g} / median {statistics.median(values):.3g} / "
        f"max {max(values):.3g} {unit} ({len(values)} runs)"
    )


def _p99(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]


def _new_streams(count: int, seed: int) -> list[list[NewEvent]]:
    """``count`` one-event streams of the store bench's ~300-byte orders."""
    return [[ev.new for ev in call] for call in Workload(count, count, seed=seed).calls(1)]


async def _append_seconds_per_event(store: PostgresEventStore, count: int, run: int) -> float:
    tenant = TenantId(f"BENCHAPPEND{run}")
    await store.register_tenant(tenant)
    calls = _new_streams(count, seed=run)
    started = time.perf_counter()
    for events in calls:
        await store.append(tenant, events, expected_version=0, metadata=METADATA)
    return (time.perf_counter() - started) / count


async def _append_cases(store: PostgresEventStore, cases: int, per_case: int) -> dict[UUID, int]:
    """``cases`` streams of ``per_case`` events, appended one event at a time, round-robin."""
    last: dict[UUID, int] = {}  # each case's last position
    for call in Workload(cases * per_case, cases, seed=12).calls(1):
        result = await store.append(
            TENANT, [ev.new for ev in call], expected_version=call[0].version - 1, metadata=METADATA
        )
        last[call[0].stream_id] = result.last_position
    return last


async def _as_of_replay_p99(
    pool: Pool, store: PostgresEventStore, cases: dict[UUID, int], *, after: int, samples: int
) -> float:
    """p99 seconds to read one case as of a time: the time's position, then the fold up to it."""
    async with pool.acquire() as conn, tenant_transaction(conn, TENANT):
        span = await conn.fetchrow(
            "SELECT min(committed_at), max(committed_at) FROM events WHERE tenant_id = $1"
            " AND position > $2",
            TENANT,
            after,
        )
    if span is None or span["min"] is None:
        raise SystemExit("no cases were appended")
    first, last = span["min"], span["max"]
    streams = list(cases)
    timings = []
    for _ in range(samples):
        moment = first + (last - first) * random.random()
        stream = random.choice(streams)
        started = time.perf_counter()
        position = await position_as_of(pool, TENANT, moment)
        with contextlib.suppress(AggregateNotFoundError):  # the case was opened later
            await aggregate_history(store, TENANT, BenchOrder, stream, to_position=position)
        timings.append(time.perf_counter() - started)
    return _p99(timings)


async def _verify_against_bare_sha256(
    pool: Pool, log: TransparencyLog, workers: int | None
) -> tuple[float, float]:
    """Events per second of ``verify`` on a full bundle, and of bare SHA-256 over its lines."""
    with tempfile.TemporaryDirectory() as directory:
        bundle = Path(directory) / "b.zip"
        await export_bundle(pool, log, TENANT, bundle, exported_at=datetime.now(UTC))
        started = time.perf_counter()
        verdict = verify_bundle(bundle, workers=workers)
        verify_rate = verdict.events / (time.perf_counter() - started)
        if not verdict.intact:
            raise SystemExit(f"the bench bundle does not verify: {verdict.reason}")
        with zipfile.ZipFile(bundle) as opened:
            lines = opened.read("events.ndjson").splitlines()
        started = time.perf_counter()
        for line in lines:
            hashlib.sha256(line).digest()
        return verify_rate, len(lines) / (time.perf_counter() - started)


async def _run(args: argparse.Namespace) -> None:
    async with bench_database(None, None) as (admin_dsn, app_dsn, _):
        started = time.perf_counter()
        await _load(admin_dsn, args.events)
        print(f"loaded {args.events} events in {time.perf_counter() - started:.1f} s")
        pool = await create_pool(app_dsn, min_size=2, max_size=6)
        codec = EventCodec([*AGGREGATE_CLASSES, BenchOrder])
        store = PostgresEventStore(pool, codec)
        started = time.perf_counter()
        cases = await _append_cases(store, args.cases, args.case_events)
        print(f"appended {args.cases} cases in {time.perf_counter() - started:.1f} s")
        upkeep, appends, proofs_p99, delays, verify_rates, sha_rates = [], [], [], [], [], []
        replays_p99 = []
        for run in range(args.runs):
            signer = Signer(f"bench.run{run}", Ed25519PrivateKey.generate())
            log = TransparencyLog(pool, signer)
            admin = await asyncpg.connect(admin_dsn)
            await admin.execute("DELETE FROM log_cosignatures; DELETE FROM log_checkpoints;"
                                " DELETE FROM log_tiles")  # fmt: skip
            await admin.close()
            size = (await store.head(TENANT)).last_position
            started = time.perf_counter()
            while await log.integrate(TENANT):
                pass
            upkeep.append((time.perf_counter() - started) / size)
            appends.append(await _append_seconds_per_event(store, args.appends, run))
            samples = []
            for position in random.sample(range(1, args.events + 1), args.proofs):
                t = time.perf_counter()
                await log.inclusion_proof(TENANT, position, args.events)
                samples.append(time.perf_counter() - t)
            proofs_p99.append(_p99(samples) * 1000)
            delays.append(await _checkpoint_delay(pool, store, log) * 1000)
            replays_p99.append(
                await _as_of_replay_p99(pool, store, cases, after=args.events, samples=args.replays)
                * 1000
            )
            verify_rate, sha_rate = await _verify_against_bare_sha256(
                pool, log, args.verify_workers
            )
            verify_rates.append(verify_rate)
            sha_rates.append(sha_rate)
        await store.close()
        await pool.close()
    ratios = [u / a for u, a in zip(upkeep, appends, strict=True)]
    verify_ratio = [v / s for v, s in zip(verify_rates, sha_rates, strict=True)]
    print(f"tenant of {args.events} events; {args.runs} runs")
    print(_summary("tree upkeep per event", [u * 1e6 for u in upkeep], "µs"))
    print(_summary("append per event (store, 1 writer)", [a * 1e6 for a in appends], "µs"))
    print(_summary("upkeep / append", ratios, "x (target ≤ 0.10)"))
    print(_summary("inclusion proof p99", proofs_p99, "ms (target < 10)"))
    print(_summary("checkpoint delay after commit, p99", delays, "ms (target ≤ 1000)"))
    print(_summary("verify", verify_rates, "events/s (target ≥ 100k)"))
    print(_summary("bare SHA-256 over the same lines", sha_rates, "lines/s"))
    print(_summary("verify / bare SHA-256", verify_ratio, "x"))
    print(_summary("as-of replay of one case, p99", replays_p99, "ms (target < 20)"))


async def _checkpoint_delay(pool: Pool, store: PostgresEventStore, log: TransparencyLog) -> float:
    """p99 seconds from an append's return to a checkpoint covering it (integrator running)."""
    integrator = LogIntegrator(pool, log, poll_interval_s=1.0)
    store.on_commit(integrator.wake)
    await integrator.start()
    samples = []
    try:
        for events in _new_streams(20, seed=random.randint(10, 10**6)):
            result = await store.append(TENANT, events, expected_version=0, metadata=METADATA)
            started = time.perf_counter()
            while (await log.latest(TENANT)).checkpoint.size < result.last_position:  # noqa: ASYNC110 - another task signs
                await asyncio.sleep(0.005)
            samples.append(time.perf_counter() - started)
    finally:
        await integrator.stop()
    return _p99(samples)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="passend bench audit", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="tenant size (1M: target)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--proofs", type=int, default=500, help="inclusion proofs per run")
    parser.add_argument("--appends", type=int, default=500, help="appends timed per run")
    parser.add_argument("--cases", type=int, default=100, help="cases appended for as-of reads")
    parser.add_argument("--case-events", type=int, default=20, help="events per case")
    parser.add_argument("--replays", type=int, default=500, help="as-of replays timed per run")
    parser.add_argument(
        "--verify-workers",
        type=int,
        default=None,
        help="processes of passend verify (default: as the command, all cores for a large log)",
    )
    args = parser.parse_args(list(argv))
    asyncio.run(_run(args))
    return 0
