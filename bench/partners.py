"""``passend bench partners``: partner webhooks, pull feeds and idle Server-Sent Events.

* ``webhook``: 4 tenants, 5 webhook subscriptions each (20), 200 events/s in total (pupils
  registered at a school, 100 commands/s of 2 events, each making one integration event), for
  ``--seconds``, as deployed by ops/compose.yaml: this process is the API (it writes, notifies
  commits and extends the transparency log), ``projections run`` and ``deliveries run`` are
  processes of their own; a real HTTP receiver on 127.0.0.1 in this process. Timing starts
  after one warm-up event per tenant reached every subscription.
  Latency = from the command's append returning to the receiver reading the batch holding the
  event (target p99 < 250 ms). Measured in the same run as references: the latency from the
  append to the ``partner_events`` projection having applied it (the earliest a feed can show
  it), so ``p99_ratio`` = delivery p99 / projection p99 is what delivery adds (and the p50s
  side by side, delivery's share of a typical event's latency); and the rate
  of commits, so ``throughput_ratio`` = events received per subscription per second, from
  the first commit to the last arrival, / events committed per second while writing (1.0:
  the last event arrived as writing stopped; below, deliveries lag). ``drain_s`` is that lag:
  from the end of writing to the last arrival. ``cpu_us_per_event_*``: CPU time per event
  committed while writing and draining, of this process (writer and receiver), each worker
  process and PostgreSQL; with ``events_per_batch`` (events per webhook request) it says what a
  batch costs. The workers' output is in ``<data dir>/{projections,deliveries}-<run>.log``.
  Runs of a few seconds show little more than start-up; quote runs of ``--seconds 30`` or more.
* ``pull``: one tenant with ``--pupils`` pupils; the feed of a subscription read page by page
  (1,000, each with its signed checkpoint, as the pull route reads) against reading the same
  tenant log bare with ``read_log_pages`` (pages of 1,000, decoded). Both as tenant positions
  per second; target ratio >= 0.5.
* ``sse``: ``passend serve`` in a process of its own, ``--clients`` idle Server-Sent Events
  streams held open on it; its extra resident memory. Target < 200 MB for 1,000.

Each phase runs ``--runs`` times (at least 3 for a figure worth quoting) and prints min /
median / max of its headline figures. The machine is shared: other work on it moves every
figure, the ratios less than the absolute ones. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.partners import start_partner_services
from api.settings import Settings
from api.transparency import checkpoint_signer
from application.access import Caller
from application.commands import (
    AddMunicipality,
    AddSchool,
    CommandContext,
    ConfigureSwv,
    CreateSubscription,
    OpenTenant,
    RegisterPupil,
)
from application.handlers import platform, pupils, subscriptions, swv
from bench.database import ServerCpu, bench_database
from domain.ids import TenantId
from domain.subscription import IntegrationEventType, LegalBasis, Transport
from domain.swv import SchoolType
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Pool, create_pool, listen, stop_listening
from infrastructure.event_store import PostgresEventStore, application_store
from infrastructure.system import SystemClock
from infrastructure.transparency_log import TransparencyLog
from infrastructure.wake_ups import stop_task
from partners.feeds import load_subscriber
from partners.signal import PROJECTION
from projections.log_integrator import LogIntegrator
from projections.partner_events import FEED_CHANNEL
from projections.registry import PROJECTIONS
from projections.runner import ProjectionRunner
from projections.status import projection_status

TARGETS = {"webhook_p99_ms": 250.0, "pull_ratio": 0.5, "sse_mb_per_1000": 200.0}
HEADLINES = {
    "webhook": ("p50_ms", "p99_ms", "projected_p50_ms", "p99_ratio", "throughput_ratio", "drain_s"),
    "pull": ("ratio",),
    "sse": ("extra_mb",),
}
"""The figures of each phase summarised over its runs."""
SUBSCRIPTIONS_PER_TENANT = 5
CLOCK = SystemClock()
SCHOOL = "12AB00"


def _ctx(tenant: TenantId) -> CommandContext:
    caller = Caller("bench", frozenset({Role.LOKET, Role.SWV_ADMIN}))
    return CommandContext(tenant_id=tenant, caller=caller, command_id=uuid4())


async def _open(store: PostgresEventStore, tenant: TenantId) -> None:
    operator = CommandContext(tenant_id=tenant, caller=Caller.operator("bench"), command_id=uuid4())
    await platform.open_tenant(
        OpenTenant(code=tenant, name=f"Bench {tenant}"), operator, store=store, clock=CLOCK
    )
    await swv.configure_swv(
        ConfigureSwv(
            name=f"Bench {tenant}",
            committee_name="TLC",
            policy_version="OP-1",
            policy_effective_from=date(2024, 8, 1),
        ),
        _ctx(tenant),
        store=store,
        clock=CLOCK,
    )
    await swv.add_municipality(
        AddMunicipality(code="GM0632", name="Woerden"), _ctx(tenant), store=store, clock=CLOCK
    )
    await swv.add_school(
        AddSchool(
            brin="12AB",
            vestiging="00",
            name="De Regenboog",
            board="Stichting",
            school_type=SchoolType.REGULAR,
            municipality_code="GM0632",
        ),
        _ctx(tenant),
        store=store,
        clock=CLOCK,
    )


async def _subscribe(store: PostgresEventStore, tenant: TenantId, url: str | None) -> UUID:
    outcome = await subscriptions.create_subscription(
        CreateSubscription(
            partner="bench",
            legal_basis=LegalBasis.LEERPLICHTWET,
            event_types=(IntegrationEventType.PUPIL_ENROLLED,),
            transport=Transport.WEBHOOK if url else Transport.PULL,
            webhook_url=url,
        ),
        _ctx(tenant),
        store=store,
        clock=CLOCK,
    )
    return outcome.aggregate_id


async def _register(store: PostgresEventStore, tenant: TenantId) -> int:
    outcome = await pupils.register_pupil(
        RegisterPupil(
            name="Bench Leerling",
            date_of_birth=date(2016, 2, 2),
            municipality_code="GM0632",
            school_code=SCHOOL,
        ),
        _ctx(tenant),
        store=store,
        clock=CLOCK,
    )
    return outcome.last_position


class Receiver:
    """A minimal HTTP/1.1 server noting when each (tenant, position) arrives."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[str, int, float]] = []
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                now = time.perf_counter()
                self.requests += 1
                for event in json.loads(body):
                    tenant = event["source"].rsplit(":", 1)[1]
                    self.arrivals.append((tenant, int(event["sequence"]), now))
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


class FeedClock:
    """Notes when each tenant's ``partner_events`` read model passes each position.

    Listens, as the feeds do, on the channel the read model notifies when a page adds
    integration events, then reads the tenant's tracked position: the earliest moment any feed
    or delivery process can see an event, whichever process applied it.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.applied: dict[str, list[tuple[int, float]]] = {}
        self._dirty: set[TenantId] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None

    async def start(self) -> None:
        self._conn = await listen(self._pool, FEED_CHANNEL, self._on_notify)
        self._task = asyncio.create_task(self._read_forever())

    async def stop(self) -> None:
        await stop_task(self._task)
        if self._conn is not None:
            await stop_listening(self._pool, self._conn, FEED_CHANNEL, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self._dirty.add(TenantId(str(payload)))
        self._wake.set()

    async def _read_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            now = time.perf_counter()
            for row in await projection_status(self._pool, [PROJECTION]):
                if row.tenant_id in dirty:
                    seen = self.applied.setdefault(row.tenant_id, [])
                    if not seen or row.position > seen[-1][0]:
                        seen.append((row.position, now))

    def when(self, tenant: str, position: int) -> float | None:
        """The first moment the read model had applied ``position``, if it did."""
        seen = self.applied.get(tenant, [])
        index = bisect.bisect_left(seen, position, key=lambda entry: entry[0])
        return seen[index][1] if index < len(seen) else None


def _process(code: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Its output goes to ``log``: a pipe nobody reads would stop it once the pipe is full."""
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - our own code, started once per run
            [sys.executable, "-c", code], env=env, stdout=output, stderr=subprocess.STDOUT
        )


def _report_logs(logs: list[Path]) -> None:
    """Name the worker logs that are not empty: a warning there may explain a figure."""
    for log in logs:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        if lines:
            print(f"{log} has {len(lines)} lines, the last: {lines[-1][:200]}", flush=True)


def _store(pool: Pool, data_dir: Path) -> PostgresEventStore:
    """A store whose data keys the worker processes (given ``data_dir``) can read."""
    return application_store(pool, data_dir)


_PROJECTIONS_PROCESS = (
    "import asyncio, os; from projections.process import run_projections_process;"
    " from projections.registry import PROJECTIONS; from domain.registry import AGGREGATE_CLASSES;"
    " from infrastructure.event_codec import EventCodec;"
    " asyncio.run(run_projections_process(os.environ['PASSEND_DATABASE_APP_URL'], PROJECTIONS,"
    " EventCodec(AGGREGATE_CLASSES)))"
)
_DELIVERIES_PROCESS = (
    "import asyncio; from api.partners_cli import run_deliveries_process;"
    " from api.settings import Settings; asyncio.run(run_deliveries_process(Settings.from_env()))"
)


def _process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: dict[str, int], server: ServerCpu | None) -> dict[str, float]:
    """CPU seconds so far of this process (the API and the receiver), each worker, PostgreSQL."""
    seconds = {"api": time.process_time()}
    for name, pid in pids.items():
        seconds[name] = _process_cpu_s(pid)
    if server is not None:
        seconds["postgres"] = server.seconds()
    return seconds


async def webhook_run(
    app_dsn: str, data_dir: Path, seconds: float, run: int, server: ServerCpu | None = None
) -> dict[str, float]:
    """As deployed (ops/compose.yaml): the API, a projections and a deliveries process."""
    env = {
        **os.environ,
        "PASSEND_DATABASE_APP_URL": app_dsn,
        "PASSEND_DATA_DIR": str(data_dir),
        "PASSEND_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    }
    logs = [data_dir / f"projections-{run}.log", data_dir / f"deliveries-{run}.log"]
    processes = [
        _process(_PROJECTIONS_PROCESS, env, logs[0]),
        _process(_DELIVERIES_PROCESS, env, logs[1]),
    ]
    # This process is the API: it writes, tells the others of each commit and extends the
    # transparency log; the receiver runs here too, on its own loop's time.
    pool = await create_pool(app_dsn, min_size=4, max_size=10)
    store = _store(pool, data_dir)
    notifier = CommitNotifier(pool)
    store.on_commit(notifier.commit)
    settings = Settings(data_dir=data_dir)
    integrator = LogIntegrator(pool, TransparencyLog(pool, checkpoint_signer(settings)))
    store.on_commit(integrator.wake)
    clock = FeedClock(pool)
    receiver = Receiver()
    url = await receiver.start()
    tenants = [TenantId(f"PO9{run}{i:02d}") for i in range(4)]
    await integrator.start()
    await clock.start()
    try:
        for tenant in tenants:
            await _open(store, tenant)
            subs = [await _subscribe(store, tenant, url) for _ in range(SUBSCRIPTIONS_PER_TENANT)]
            for sub in subs:
                await _projected(pool, tenant, sub, processes[0], logs[0])
        await _warm_up(store, tenants, receiver)
        pids = {"projections": processes[0].pid, "deliveries": processes[1].pid}
        cpu_before = _cpu_seconds(pids, server)
        requests_before = receiver.requests
        committed, (start, written) = await _write_open_loop(store, tenants, seconds)
        expected = SUBSCRIPTIONS_PER_TENANT * len(committed)
        deadline = written + 30
        while _received(receiver, committed) < expected and time.perf_counter() < deadline:  # noqa: ASYNC110 - another process or task makes it true
            await asyncio.sleep(0.05)
        cpu = _cpu_seconds(pids, server)
        events = 2 * len(committed)
        batches = receiver.requests - requests_before
        return {
            "events_per_batch": _received(receiver, committed) / batches if batches else 0.0,
            **_webhook_figures(
                committed, receiver.arrivals, clock, window=(start, written), expected=expected
            ),
            **{f"cpu_us_per_event_{k}": (v - cpu_before[k]) / events * 1e6 for k, v in cpu.items()},
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # noted in the run's output, not hidden
                print(f"process {process.pid} ignored SIGTERM for 30 s; killed", flush=True)
                process.kill()
                process.wait()
        await clock.stop()
        await integrator.stop()
        await notifier.aclose()
        await store.close()
        if receiver.server is not None:
            receiver.server.close()
        await pool.close()
        _report_logs(logs)


PROJECTED_WITHIN_S = 120.0
"""How long the projections process may take to build a new subscription's read model: on a
busy machine its first build of every read model takes a few seconds, not minutes."""


async def _projected(  # noqa: PLR0913 - what it waits for, and on which process
    pool: Pool,
    tenant: TenantId,
    subscription: UUID,
    projections: subprocess.Popen[bytes],
    log: Path,
    *,
    within_s: float = PROJECTED_WITHIN_S,
) -> None:
    """Wait until the projections process has the subscription (and made its read models).

    RuntimeError, naming its log, if that process exits or has not within ``within_s``
    seconds (it cannot connect, or fails): the run would otherwise wait for ever.
    """
    deadline = time.perf_counter() + within_s
    while True:
        with contextlib.suppress(asyncpg.UndefinedTableError):
            async with pool.acquire() as conn:
                if await load_subscriber(conn, tenant, subscription) is not None:
                    return
        if projections.poll() is not None:
            raise RuntimeError(
                f"the projections process exited with {projections.returncode}; see {log}"
            )
        if time.perf_counter() > deadline:
            raise RuntimeError(
                f"the projections process did not project subscription {subscription} of"
                f" {tenant} within {within_s:.0f} s; see {log}"
            )
        await asyncio.sleep(0.05)


def _received(receiver: Receiver, committed: dict[tuple[str, int], float]) -> int:
    return sum(1 for tenant, position, _ in receiver.arrivals if (tenant, position) in committed)


async def _warm_up(store: PostgresEventStore, tenants: list[TenantId], receiver: Receiver) -> None:
    """One registration per tenant, delivered to every subscription, before the clock starts."""
    warm = {(tenant, await _register(store, tenant)) for tenant in tenants}
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        got = sum(1 for tenant, position, _ in receiver.arrivals if (tenant, position) in warm)
        if got >= SUBSCRIPTIONS_PER_TENANT * len(warm):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the delivery process did not deliver the warm-up events within 60 s")


async def _write_open_loop(
    store: PostgresEventStore, tenants: list[TenantId], seconds: float
) -> tuple[dict[tuple[str, int], float], tuple[float, float]]:
    """100 registrations (200 events) a second over the tenants, on schedule however slow.

    When each registration's append returned, by (tenant, position); and when writing began
    and ended.
    """
    committed: dict[tuple[str, int], float] = {}
    interval = 1 / 100
    start = time.perf_counter()
    count = 0
    pending: set[asyncio.Task[None]] = set()

    async def write(tenant: TenantId) -> None:
        position = await _register(store, tenant)
        committed[(tenant, position)] = time.perf_counter()

    while time.perf_counter() - start < seconds:
        task = asyncio.create_task(write(tenants[count % len(tenants)]))
        pending.add(task)
        task.add_done_callback(pending.discard)
        count += 1
        await asyncio.sleep(max(start + count * interval - time.perf_counter(), 0))
    await asyncio.gather(*pending)
    return committed, (start, time.perf_counter())


def _webhook_figures(
    committed: dict[tuple[str, int], float],
    arrivals: list[tuple[str, int, float]],
    projected: FeedClock,
    *,
    window: tuple[float, float],
    expected: int,
) -> dict[str, float]:
    """Latency and throughput of deliveries, and the same run's references for both."""
    start, written = window
    arrivals = [a for a in arrivals if (a[0], a[1]) in committed]
    latencies = [(at - committed[(t, p)]) * 1000 for t, p, at in arrivals]
    references = [
        (seen - at) * 1000
        for (t, p), at in committed.items()
        if (seen := projected.when(t, p)) is not None
    ]
    p99, reference_p99 = _quantile(latencies, 0.99), _quantile(references, 0.99)
    committed_per_s = len(committed) / (written - start)
    last_arrival = max((at for *_, at in arrivals), default=written)
    received_per_s = len(arrivals) / SUBSCRIPTIONS_PER_TENANT / (last_arrival - start)
    return {
        "events_per_s": 2 * committed_per_s,
        "p50_ms": _quantile(latencies, 0.5),
        "p99_ms": p99,
        "projected_p50_ms": _quantile(references, 0.5),
        "projected_p99_ms": reference_p99,
        "p99_ratio": p99 / reference_p99 if reference_p99 > 0 else float("nan"),
        "throughput_ratio": received_per_s / committed_per_s,
        "drain_s": last_arrival - written,
        "received": len(latencies),
        "expected": expected,
    }


async def pull_run(app_dsn: str, data_dir: Path, pupils_count: int, run: int) -> dict[str, float]:
    pool = await create_pool(app_dsn, min_size=4, max_size=12)
    store = _store(pool, data_dir)
    runner = ProjectionRunner(pool, store, PROJECTIONS)
    tenant = TenantId(f"VO9{run}00")
    await runner.start()
    services = await start_partner_services(
        pool, Settings(data_dir=data_dir), runner, deliver=False
    )
    try:
        await _open(store, tenant)
        subscription = await _subscribe(store, tenant, None)
        semaphore = asyncio.Semaphore(8)

        async def one() -> int:
            async with semaphore:
                return await _register(store, tenant)

        head = max(await asyncio.gather(*(one() for _ in range(pupils_count))))
        async with pool.acquire() as conn:
            while (  # noqa: ASYNC110 - another process or task makes it true
                await services.renderer.read(
                    conn,
                    tenant,
                    await _subscriber(conn, tenant, subscription),
                    after=head - 1,
                    limit=1,
                )
            ).projected < head:
                await asyncio.sleep(0.2)
            subscriber = await _subscriber(conn, tenant, subscription)
            # The runner in this process catches its other read models up too: timing the
            # feed while they still apply the history would time them.
            await _every_read_model_at(pool, tenant, head)
            started = time.perf_counter()
            after, events = 0, 0
            while after < head:
                page = await services.renderer.read(
                    conn, tenant, subscriber, after=after, limit=1000, with_checkpoint=True
                )
                events += len(page.events)
                after = page.next_after
            feed_s = time.perf_counter() - started
        started = time.perf_counter()
        read = 0
        async with aclosing(store.read_log_pages(tenant, page_size=1000)) as pages:
            async for log_page in pages:
                read += len(log_page)
        log_s = time.perf_counter() - started
        return {
            "positions": head,
            "feed_events": events,
            "feed_positions_per_s": head / feed_s,
            "log_positions_per_s": read / log_s,
            "ratio": (head / feed_s) / (read / log_s),
        }
    finally:
        await services.stop()
        await runner.stop()
        await store.close()
        await pool.close()


async def _every_read_model_at(pool: Pool, tenant: TenantId, position: int) -> None:
    names = [p.name for p in PROJECTIONS]
    while any(  # noqa: ASYNC110 - the runner makes it true
        s.position < position for s in await projection_status(pool, names, tenant_id=tenant)
    ):
        await asyncio.sleep(0.2)


async def _subscriber(conn: Any, tenant: TenantId, subscription: UUID) -> Any:  # noqa: ANN401
    while (found := await load_subscriber(conn, tenant, subscription)) is None:  # noqa: ASYNC110 - another process or task makes it true
        await asyncio.sleep(0.05)
    return found


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sse_run(
    admin_dsn: str, app_dsn: str, data_dir: Path, clients: int, run: int
) -> dict[str, float]:
    port = 18_600 + run
    env = {
        **os.environ,
        "DATABASE_URL": admin_dsn,
        "PASSEND_DATABASE_APP_URL": app_dsn,
        "PASSEND_DATA_DIR": str(data_dir),
        "PASSEND_MAX_IN_FLIGHT": str(clients + 64),
        "PASSEND_RUN_DELIVERIES": "false",
    }
    serve = (
        "import uvicorn; from api.app import create_app; from api.settings import Settings; "
        f"uvicorn.run(create_app(Settings.from_env()), port={port}, log_level='warning')"
    )
    server = subprocess.Popen(  # noqa: S603, ASYNC220 - our own app, started once
        [sys.executable, "-c", serve], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=clients + 10)
        ) as client:
            for _ in range(600):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            pool = await create_pool(app_dsn, min_size=1, max_size=4)
            store = _store(pool, data_dir)
            tenant = TenantId(f"PO8{run}00")
            await _open(store, tenant)
            subscription = await _subscribe(store, tenant, None)
            async with pool.acquire() as conn:
                await _subscriber(conn, tenant, subscription)
            await store.close()
            await pool.close()
            settings = Settings(data_dir=data_dir)
            token = mint_token(
                dev_signing_key(data_dir),
                subject="bench",
                tenants={tenant: TenantGrant(roles=(Role.PARTNER,))},
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
            await asyncio.sleep(1)
            before = _rss_mb(server.pid)
            path = f"/v1/tenants/{tenant}/feeds/{subscription}/stream"
            streams = []
            for _ in range(clients):
                stream = client.stream("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = await stream.__aenter__()
                streams.append((stream, response))
            await asyncio.sleep(2)
            after = _rss_mb(server.pid)
            open_ok = sum(1 for _, r in streams if r.status_code == 200)
            for stream, _ in streams:
                await stream.__aexit__(None, None, None)
        return {"clients": open_ok, "extra_mb": after - before, "rss_mb": after}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _summary(runs: list[dict[str, float]], key: str) -> dict[str, float]:
    values = [r[key] for r in runs]
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"targets": TARGETS}
    async with bench_database(args.dsn, None) as (admin_dsn, app_dsn, server):
        data_dir = args.data_dir
        phases: dict[str, Callable[[int], Awaitable[dict[str, float]]]] = {
            "webhook": lambda i: webhook_run(app_dsn, data_dir, args.seconds, i, server),
            "pull": lambda i: pull_run(app_dsn, data_dir, args.pupils, i),
            "sse": lambda i: sse_run(admin_dsn, app_dsn, data_dir, args.clients, i),
        }
        for name in args.phases.split(","):
            runs = []
            for i in range(args.runs):
                result = await phases[name](i)
                print(name, i, json.dumps(result), flush=True)
                runs.append(result)
            summary = {key: _summary(runs, key) for key in HEADLINES[name]}
            for key, figures in summary.items():
                print(
                    f"{name} {key}: min {figures['min']:.3g} median {figures['median']:.3g}"
                    f" max {figures['max']:.3g} ({len(runs)} runs)",
                    flush=True,
                )
            out[name] = {"runs": runs, **summary}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one webhook run")
    parser.add_argument("--pupils", type=int, default=5000, help="pupils of the pull tenant")
    parser.add_argument("--clients", type=int, default=1000, help="idle SSE streams")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phases", default="webhook,pull,sse")
    parser.add_argument("--data-dir", default="var/bench-partners", help="keys for the bench")
    parser.add_argument("--dsn", help="admin DSN of a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    args.data_dir = Path(args.data_dir).resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    out = asyncio.run(run(args))
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
