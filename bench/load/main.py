"""``passend bench load``: N tenants' history imported, then the API under open-loop load.

1. An embedded PostgreSQL in ``--data-dir`` (kept between runs) gets ``--tenants`` tenants
   with about ``--events`` events of synthetic history (``bench/load/history.py``), through
   ``passend import``; a database that holds a history already is reused (``--fresh``: anew).
2. The API starts as ``passend serve --workers W`` on that database; the bench waits until
   every read model of every tenant has caught up (the rebuild rate is reported).
3. For each rate of ``--rates``: the mix (``bench/load/mix.py``) open-loop for ``--seconds``,
   then the reference (``GET .../me``) at the same rate for ``--reference-seconds``.

Reported per rate and route class: p50/p95/p99 latency, errors (anything but 2xx; refusals
with 503 counted apart; listed by class, status and kind with an example), throughput; server
CPU (API processes, PostgreSQL) and the API's peak RSS; projection lag p99; the generator's own
CPU. Then the knee: the highest rate held
(every class p99 < 100 ms, no errors, at least 97% of the offered rate answered). The last
line printed is one JSON object; ``--json`` and ``--plot`` write it and a latency-vs-rate PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from api.import_cli import run_import
from api.settings import Settings
from api.transparency import checkpoint_signer
from bench.database import ServerCpu
from bench.load.history import history_file_name, write_history
from bench.load.http import MAX_CONNECTIONS, Connections, Outcome, open_loop
from bench.load.mix import Mix, load_tenants
from bench.load.probes import ProjectionLag, cpu_seconds, pss_bytes, rss_bytes
from infrastructure import embedded_postgres_server
from projections.registry import PROJECTIONS

DATABASE = "passend_load"
HELD_P99_S = 0.1
HELD_SHARE = 0.97


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passend bench load", description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=150)
    parser.add_argument("--events", type=_count, default=2_000_000, help="e.g. 2M, 10M, 50k")
    parser.add_argument("--rates", default="200", help="requests/s, a comma list: a sweep")
    parser.add_argument("--seconds", type=float, default=60.0, help="per rate, for the mix")
    parser.add_argument("--reference-seconds", type=float, default=20.0)
    parser.add_argument("--warm-up-seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help="the generator's open connections at most (requests beyond wait for one)",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-load"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--plot", type=Path, help="write latency against rate as a PNG")
    parser.add_argument(
        "--plot-with",
        type=Path,
        action="append",
        default=[],
        help="an earlier run's --json, drawn in the same plot (e.g. the 2M curve beside 10M)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny and short")
    parser.add_argument(
        "--fresh", action="store_true", help="import anew even if the database holds a history"
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="import the history, catch up, and stop"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.events, args.rates = 6, 3_000, "20"
        args.seconds, args.reference_seconds, args.warm_up_seconds = 3.0, 2.0, 1.0
    args.rates = [float(r) for r in args.rates.split(",") if r]
    return args


def _count(text: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def history_dsn(admin_dsn: str) -> str:
    """The bench database of the history, on the server of ``admin_dsn``."""
    return admin_dsn.rsplit("/", 1)[0] + f"/{DATABASE}"


_COMPLETE = 0.99
"""A held history this near the size asked for is taken as complete (sizes are approximate)."""


async def prepare_history(
    admin_dsn: str, data_dir: Path, tenants: int, events: int, *, fresh: bool = False
) -> dict[str, Any]:
    """The database holds the history (imported now, or before): how it got there."""
    path = data_dir / history_file_name(tenants, events)
    server = await asyncpg.connect(admin_dsn)
    try:
        exists = await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        held = await _held(history_dsn(admin_dsn)) if exists else (0, 0)
        if held[0] > 0 and not fresh and not path.exists():
            # imported from another file: an earlier generator's, or another size's
            raise SystemExit(
                f"The database in {data_dir} holds a history not written to {path.name}"
                " (an earlier generator's?): run with --fresh to import this one."
            )
        # An import that was stopped before the end holds fewer events: it is resumed below.
        if held[0] > 0 and not fresh and held[1] >= _COMPLETE * events:
            return {"reused": True, "tenants": held[0], "events": held[1]}
        if exists and (fresh or held[0] == 0):
            await server.execute(f"DROP DATABASE {DATABASE} WITH (FORCE)")
        if fresh or held[0] == 0:
            await server.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await server.close()
    if not path.exists():
        started = time.perf_counter()
        lines = await write_history(path, tenants=tenants, events=events)
        print(f"wrote {lines:,} events to {path} in {time.perf_counter() - started:.0f} s")
    # signed with the key of the API the benchmark starts on this data directory, and the
    # personal fields encrypted under its KEKs (the import's preparing process reads the env)
    signer = checkpoint_signer(Settings.from_env(data_dir=str(data_dir)))
    os.environ["PASSEND_DATA_DIR"] = str(data_dir)
    result = await run_import(history_dsn(admin_dsn), path, signer=signer)
    return {
        "reused": False,
        "tenants": len(result.tenants),
        "events": result.events,
        "import_seconds": round(result.seconds, 1),
        "import_events_per_s": round(result.events / result.seconds),
    }


async def _held(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(last_position), 0)::bigint AS events"
            " FROM tenant_heads"
        )
    except asyncpg.UndefinedTableError:
        return 0, 0
    finally:
        await conn.close()
    return (row["n"], row["events"]) if row else (0, 0)


@contextlib.asynccontextmanager
async def api_server(
    admin_dsn: str, data_dir: Path, port: int, workers: int
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``passend serve`` on the bench database, until it answers ``/health``.

    Refused if something listens on ``port`` already: its answers would be taken for the
    API's. An API that exits (it could not bind the port) or does not answer within ten
    minutes stops the run, naming its log.
    """
    if embedded_postgres_server.listened_on(port):
        raise RuntimeError(
            f"port {port} is in use: the bench would measure whatever answers there; stop it,"
            " or give another --port"
        )
    env = dict(
        os.environ,
        DATABASE_URL=history_dsn(admin_dsn),
        PASSEND_DATA_DIR=str(data_dir),
        PASSEND_LOG_LEVEL="warning",
    )
    env.pop("PASSEND_DATABASE_APP_URL", None)
    command = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--no-demo"]
    command += [f"--port={port}", f"--workers={workers}"]
    log = (data_dir / "api.log").open("wb")
    # started once per run, before any load: blocking for it costs nothing measured
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603, ASYNC220
    try:
        connections = Connections("127.0.0.1", port)
        deadline = time.monotonic() + 600
        while True:
            answered = False
            with contextlib.suppress(OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                raw = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
                answered = await connections.send(raw) == 200
            # after the answer too: one that came while it was exiting was another server's
            if server.poll() is not None:
                raise RuntimeError(
                    f"the API exited with {server.returncode}; see {data_dir / 'api.log'}"
                )
            if answered:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start; see {data_dir / 'api.log'}")
            await asyncio.sleep(0.5)
        connections.close()
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


_CURRENT_BUILDS = (
    "SELECT count(*) FROM unnest($1::text[], $2::int[]) AS p(projection, version)"
    " JOIN projection_builds b ON b.projection = p.projection AND b.state = 'active'"
    " AND b.version = p.version"
)


async def wait_for_read_models(dsn: str) -> dict[str, Any]:
    """Until every read model is active in this code's version and holds every tenant's log.

    A read model whose version changed is rebuilt by the API first (the old build stays
    active meanwhile, but nothing is applied to it): a sweep started then would measure the
    rebuild and find every command's read model behind.
    """
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    names = [p.name for p in PROJECTIONS]
    versions = [p.version for p in PROJECTIONS]
    try:
        total = await conn.fetchval(
            "SELECT coalesce(sum(last_position), 0)::bigint FROM tenant_heads"
        )
        while True:
            if await conn.fetchval(_CURRENT_BUILDS, names, versions) < len(names):
                await asyncio.sleep(1)
                continue
            behind = await conn.fetchval(
                "SELECT count(*) FROM tenant_heads h JOIN projection_builds b"
                " ON b.state = 'active' LEFT JOIN projection_tracking t ON t.tenant_id ="
                " h.tenant_id AND t.projection = b.projection AND t.build = b.build"
                " WHERE coalesce(t.position, 0) < h.last_position"
            )
            if behind == 0:
                break
            await asyncio.sleep(1)
    finally:
        await conn.close()
    seconds = time.perf_counter() - started
    return {"catch_up_seconds": round(seconds, 1), "events": total}


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def by_class(outcomes: list[Outcome], seconds: float) -> dict[str, dict[str, float]]:
    classes: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        classes.setdefault(outcome.route_class, []).append(outcome)
    report = {}
    for name, items in sorted(classes.items()):
        answered = [o.latency_s for o in items if 200 <= o.status < 300]
        report[name] = {
            "requests": len(items),
            "ok_per_s": round(len(answered) / seconds, 1),
            "p50_ms": round(percentile(answered, 0.5) * 1e3, 1),
            "p95_ms": round(percentile(answered, 0.95) * 1e3, 1),
            "p99_ms": round(percentile(answered, 0.99) * 1e3, 1),
            "refused_503": sum(o.status == 503 for o in items),
            "errors": sum(_is_error(o) for o in items),
        }
    return report


def _is_error(outcome: Outcome) -> bool:
    return not 200 <= outcome.status < 300 and outcome.status != 503


def error_kinds(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """The errors by route class, status and kind, most frequent first, each with an example.

    The kind is the problem type of an answer (``about:blank`` when it has none) or the
    exception's type for a request that got no answer (status 0).
    """
    kinds: dict[tuple[str, int, str], dict[str, Any]] = {}
    for o in outcomes:
        if not _is_error(o):
            continue
        key = (o.route_class, o.status, _kind(o))
        entry = kinds.setdefault(
            key,
            {"class": key[0], "status": key[1], "kind": key[2], "count": 0, "example": o.detail},
        )
        entry["count"] += 1
    return sorted(kinds.values(), key=lambda e: (-e["count"], e["class"], e["status"]))


def _kind(outcome: Outcome) -> str:
    if outcome.status == 0:
        return outcome.detail.split(":", 1)[0]
    try:
        problem = msgspec.json.decode(outcome.detail.encode())
    except msgspec.DecodeError:
        return "not a problem detail"
    kind = problem.get("type") if isinstance(problem, dict) else None
    return str(kind) if kind else "about:blank"


async def measured(
    server_pid: int, postgres: ServerCpu, run: Callable[[], Awaitable[list[Outcome]]]
) -> tuple[list[Outcome], dict[str, float]]:
    """Run a phase; the CPU of the API, PostgreSQL and this generator, the API's peak memory.

    The memory is summed over the API's processes, as RSS and as PSS (shared pages once).
    """
    peak = peak_pss = 0

    async def sample_rss() -> None:
        nonlocal peak, peak_pss
        while True:
            peak = max(peak, rss_bytes(server_pid))
            peak_pss = max(peak_pss, pss_bytes(server_pid))
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample_rss())
    api0, pg0, own0 = cpu_seconds(server_pid), postgres.seconds(), time.process_time()
    wall0 = time.perf_counter()
    outcomes = await run()
    wall = time.perf_counter() - wall0
    usage = {
        "api_cpu_cores": round((cpu_seconds(server_pid) - api0) / wall, 2),
        "postgres_cpu_cores": round((postgres.seconds() - pg0) / wall, 2),
        "generator_cpu_cores": round((time.process_time() - own0) / wall, 2),
        "api_rss_peak_mb": round(peak / 2**20, 1),
        "api_pss_peak_mb": round(peak_pss / 2**20, 1),
    }
    sampler.cancel()
    return outcomes, usage


def held(step: dict[str, Any]) -> bool:
    mix = step["mix"]
    answered = sum(c["ok_per_s"] for c in mix.values())
    return (
        all(
            c["p99_ms"] < HELD_P99_S * 1e3 and c["errors"] == 0 and c["refused_503"] == 0
            for c in mix.values()
        )
        and answered >= HELD_SHARE * step["rate"]
    )


async def sweep(args: argparse.Namespace, admin_dsn: str, postgres: ServerCpu) -> dict[str, Any]:
    settings = Settings.from_env()
    results: dict[str, Any] = {}
    results["history"] = await prepare_history(
        admin_dsn, args.data_dir, args.tenants, args.events, fresh=args.fresh
    )
    print(f"history: {results['history']}", flush=True)
    async with api_server(admin_dsn, args.data_dir, args.port, args.workers) as server:
        results["read_models"] = await wait_for_read_models(history_dsn(admin_dsn))
        print(f"read models: {results['read_models']}", flush=True)
        if args.prepare_only:
            return results
        tenants = await load_tenants(history_dsn(admin_dsn), settings, args.data_dir)
        host = f"127.0.0.1:{args.port}"
        mix = Mix(tenants, host)
        connections = Connections("127.0.0.1", args.port, max_open=args.max_connections)
        lag = ProjectionLag(history_dsn(admin_dsn))
        await lag.start()
        try:
            await open_loop(connections, args.rates[0], args.warm_up_seconds, mix.next_request)
            lag.take()
            steps = []
            for rate in args.rates:
                outcomes, usage = await measured(
                    server.pid,
                    postgres,
                    functools.partial(open_loop, connections, rate, args.seconds, mix.next_request),
                )
                await asyncio.sleep(1)  # the last commits reach the read models
                lags = lag.take()
                reference, reference_usage = await measured(
                    server.pid,
                    postgres,
                    functools.partial(
                        open_loop, connections, rate, args.reference_seconds, mix.next_reference
                    ),
                )
                step = {
                    "rate": rate,
                    "mix": by_class(outcomes, args.seconds),
                    "usage": usage,
                    "projection_lag_p99_ms": round(percentile(lags, 0.99) * 1e3, 1),
                    "projection_lag_commits": len(lags),
                    "errors": error_kinds(outcomes),
                    "reference": by_class(reference, args.reference_seconds),
                    "reference_errors": error_kinds(reference),
                    "reference_usage": reference_usage,
                }
                step["held"] = held(step)
                steps.append(step)
                print_step(step)
        finally:
            connections.close()
            await lag.stop()
    results["steps"] = steps
    held_rates = [s["rate"] for s in steps if s["held"]]
    results["knee_requests_per_s"] = max(held_rates) if held_rates else None
    results["params"] = {
        "tenants": results["history"]["tenants"],
        "events": results["history"]["events"],
        "workers": args.workers,
        "seconds": args.seconds,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    return results


def print_step(step: dict[str, Any]) -> None:
    print(f"\n{step['rate']:.0f} requests/s offered  (held: {step['held']})")
    print(f"  {'class':<24} {'ok/s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'503':>5} {'err':>5}")
    for name, c in {**step["mix"], **step["reference"]}.items():
        print(
            f"  {name:<24} {c['ok_per_s']:>7.1f} {c['p50_ms']:>8.1f} {c['p95_ms']:>8.1f}"
            f" {c['p99_ms']:>8.1f} {c['refused_503']:>5} {c['errors']:>5}"
        )
    for error in step["errors"] + step["reference_errors"]:
        print(
            f"  error {error['count']:>5} x {error['class']} {error['status']} {error['kind']}:"
            f" {error['example'][:160]}"
        )
    print(f"  projection lag p99 {step['projection_lag_p99_ms']} ms; mix {step['usage']}")
    print(f"  reference {step['reference_usage']}", flush=True)


@contextlib.contextmanager
def history_server(data_dir: Path) -> Iterator[tuple[str, ServerCpu]]:
    """The embedded server of the history in ``data_dir``: its admin DSN and its CPU time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    embedded = data_dir / "postgres"
    server = embedded_postgres_server.start(embedded, synchronous_commit=True)
    try:
        pid = int((embedded / "pgdata" / "postmaster.pid").read_text().split()[0])
        yield server.admin_dsn(), ServerCpu(pid)
    finally:
        embedded_postgres_server.stop(embedded)


def written(results: dict[str, Any], path: Path | None) -> str:
    """``results`` as one JSON line, also written to ``path`` if given."""
    line = json.dumps(results, separators=(",", ":"))
    if path is not None:
        path.write_text(line + "\n")
    return line


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with history_server(args.data_dir) as (admin_dsn, postgres):
        return await sweep(args, admin_dsn, postgres)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = asyncio.run(run(args))
    line = written(results, args.json)
    if args.plot:
        from bench.load.plot import plot  # noqa: PLC0415 - matplotlib only when asked

        earlier = [json.loads(path.read_text()) for path in args.plot_with]
        plot([*earlier, results], args.plot)
    print(line, flush=True)
    return 0
