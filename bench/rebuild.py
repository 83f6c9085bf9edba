"""``passend bench rebuild``: every read model of every tenant rebuilt, against reading the log.

On the history ``passend bench load`` imported (``--data-dir``, the API not running), each run:

* ``bare``: every tenant's log read as the store reads it (the same SQL function, pages of
  5,000, as the application role under the tenant's row-level security), rows not decoded;
* ``decoded``: the same pages through the store's ``read_log``, decoded into domain events;
* ``rebuild``: a fresh build of every read model, filled tenant by tenant with one pass over
  its log for all of them (``catch_up_together``, as the runner does), then dropped; with
  ``--tenants-at-once N``, N tenants at a time (the runner catches up four at once), so that
  this process's work and the server's overlap on two cores as the runner's do.

Target (#16): rebuild >= 0.8 x bare, as events/s of the whole log, median of ``--runs``.
Each phase's CPU an event is given too, this process's and the server's (``cpu_us``): on a
shared machine the wall-clock rates swing with the load, the CPU a phase used much less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from api.serving import LOG_READERS_YOUNG_GENERATION, tune_garbage_collection
from api.settings import Settings
from bench.database import ServerCpu
from bench.load.main import history_dsn, history_server, written
from bench.projections import summary
from domain.ids import TenantId
from infrastructure.database import Pool, create_pool, scoped_connection, tenant_transaction
from infrastructure.event_store import READ_LOG_EVENTS_SQL, PostgresEventStore, application_store
from projections.builds import create_build, drop_build
from projections.catch_up import Tracked, catch_up_together
from projections.rebuild import REBUILD_BATCH_SIZE, tenant_heads
from projections.registry import PROJECTIONS
from projections.status import RUNNING

TARGET = 0.8


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="passend bench rebuild", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var/bench-load"),
        help="the data directory of a `passend bench load` run (its history imported)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tenants", type=int, help="only the first N tenants (for profiling)")
    parser.add_argument(
        "--tenants-at-once",
        type=int,
        default=1,
        help="rebuild this many tenants at a time (the runner catches up 4 at once); the bare"
        " and decoded reads stay one tenant after another on one connection",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


async def bare_read(pool: Pool, heads: dict[TenantId, int]) -> int:
    count = 0
    async with scoped_connection(pool) as conn:
        for tenant in heads:
            after = 0
            async with tenant_transaction(conn, tenant):
                while rows := await conn.fetch(
                    READ_LOG_EVENTS_SQL, tenant, after, REBUILD_BATCH_SIZE
                ):
                    count += len(rows)
                    after = rows[-1][0]
    return count


async def decoded_read(store: PostgresEventStore, heads: dict[TenantId, int]) -> int:
    count = 0
    for tenant in heads:
        async for page in store.read_log_pages(tenant, page_size=REBUILD_BATCH_SIZE):
            count += len(page)
    return count


async def rebuild_all(
    pool: Pool, store: PostgresEventStore, heads: dict[TenantId, int], *, at_once: int = 1
) -> int:
    """Fill a fresh build of every read model for every tenant, ``at_once`` tenants at a time."""
    async with pool.acquire() as conn:
        builds = [(p, await create_build(conn, p)) for p in PROJECTIONS]
    slots = asyncio.Semaphore(at_once)

    async def rebuild_tenant(tenant: TenantId) -> int:
        tracked = [Tracked(p, build, 0, RUNNING) for p, build in builds]
        async with slots:
            results = await catch_up_together(
                pool, store, tenant, tracked, batch_size=REBUILD_BATCH_SIZE
            )
        for name, result in results.items():
            if result.error is not None:
                raise RuntimeError(f"{name} failed on {tenant}: {result.error}")
        return max(result.position for result in results.values())

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(rebuild_tenant(tenant)) for tenant in heads]
        return sum(task.result() for task in tasks)
    finally:
        async with pool.acquire() as conn:
            for _, build in builds:
                await drop_build(conn, build)


async def measure(args: argparse.Namespace, admin_dsn: str, server: ServerCpu) -> dict[str, Any]:
    settings = Settings.from_env(database_url=history_dsn(admin_dsn), data_dir=str(args.data_dir))
    pool = await create_pool(settings.app_dsn(), min_size=2, max_size=4 + args.tenants_at_once)
    try:
        # the personal fields decrypt under the KEKs of that data directory, as the API's do
        store = application_store(pool, settings.data_dir)
        async with pool.acquire() as conn:
            heads = await tenant_heads(conn)
        heads = dict(sorted(heads.items())[: args.tenants])
        events = sum(heads.values())
        phases: dict[str, Callable[[], Awaitable[int]]] = {
            "bare": lambda: bare_read(pool, heads),
            "decoded": lambda: decoded_read(store, heads),
            "rebuild": lambda: rebuild_all(pool, store, heads, at_once=args.tenants_at_once),
        }
        rates: dict[str, list[float]] = {phase: [] for phase in phases}
        cpu: dict[str, dict[str, list[float]]] = {
            phase: {"python": [], "server": []} for phase in phases
        }
        for run in range(args.runs):
            for phase, work in phases.items():
                started, python, postgres = (
                    time.perf_counter(),
                    time.process_time(),
                    server.seconds(),
                )
                done = await work()
                if done != events:
                    raise RuntimeError(f"{phase} saw {done} events of {events}")
                rates[phase].append(events / (time.perf_counter() - started))
                cpu[phase]["python"].append((time.process_time() - python) * 1e6 / events)
                cpu[phase]["server"].append((server.seconds() - postgres) * 1e6 / events)
            print(
                f"run {run + 1}: "
                + ", ".join(
                    f"{phase} {r[-1]:,.0f} ev/s ({cpu[phase]['python'][-1]:.1f}"
                    f" + {cpu[phase]['server'][-1]:.1f} µs CPU)"
                    for phase, r in rates.items()
                ),
                flush=True,
            )
        ratios = [r / b for r, b in zip(rates["rebuild"], rates["bare"], strict=True)]
        decoded = [r / d for r, d in zip(rates["rebuild"], rates["decoded"], strict=True)]
        return {
            "tenants": len(heads),
            "tenants_at_once": args.tenants_at_once,
            "events": events,
            "read_models": [p.name for p in PROJECTIONS],
            "events_per_s": {phase: summary(r) for phase, r in rates.items()},
            "rebuild_over_bare": summary(ratios),
            "rebuild_over_decoded": summary(decoded),
            "cpu_us": {
                phase: {part: summary(us) for part, us in parts.items()}
                for phase, parts in cpu.items()
            },
            "target_met": statistics.median(ratios) >= TARGET,
        }
    finally:
        await pool.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if not (args.data_dir / "postgres" / "pgdata").exists():
        raise SystemExit(f"no history in {args.data_dir}: run `passend bench load --prepare-only`")
    # pupil_index finds its KEKs (on first use) under the process's data directory
    os.environ["PASSEND_DATA_DIR"] = str(args.data_dir)
    with history_server(args.data_dir) as (admin_dsn, server):
        return await measure(args, admin_dsn, server)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # as `passend projections run` and `rebuild` start: what start-up built stays out of every
    # later full collection (each scanned it again: some 6 µs of CPU an event, rebuilding),
    # and the young generation is collected every 100,000 allocations, not 700
    tune_garbage_collection(young_generation=LOG_READERS_YOUNG_GENERATION)
    print(written(asyncio.run(run(args)), args.json), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
