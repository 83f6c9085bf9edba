"""Options, the run loop that alternates implementations phase by phase, and ``main``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from bench.database import bench_database
from bench.store.bare_schema import BareSchemaBench
from bench.store.eventsourcing_peer import EventsourcingBench
from bench.store.harness import Bench, Context
from bench.store.limit import LimitBench
from bench.store.passend import PassendBench
from bench.store.profiling import profile_passend
from bench.store.report import Results, print_breakdown, print_table, summary
from bench.store.workload import (
    BATCH,
    BENCH_DATABASE,
    IMPLS,
    PAGE,
    PHASES,
    READ_PASSES,
    WRITERS,
    Workload,
)


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
        # a new connection: the database's settings apply to connections opened after them
        probe = await asyncpg.connect(app_dsn)
        settings = {
            name: await probe.fetchval(f"SELECT current_setting('{name}')")
            for name in ("server_version", "synchronous_commit", "fsync", "shared_buffers")
        }
        await probe.close()
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
