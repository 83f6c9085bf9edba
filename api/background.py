"""The projection runner, webhook deliveries and key-rotation resumer: where and when they run.

In a single process (``serve``) they run beside the routes. With several workers
(``serve --workers``) every worker's runner was woken by every commit, contended for the same
leases and polled every tenant's status each second: work one process does for all. So
``serve --workers`` runs them in a process of their own beside the HTTP workers
(``run_background_process``): a runner's catch-up pass is tens of milliseconds of CPU that,
inside a worker, every request that worker serves waited behind. That process takes part in
the machine's election (``elect_background``) and runs the work only while elected, so a
restarted process, or one started while the last is still stopping, never runs beside it; the
(projection, tenant) leases still keep exactly one runner applying a tenant's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from litestar.datastructures import State

from api.partners import (
    PartnerServices,
    start_deliveries,
    start_partner_services,
    stop_deliveries,
    stop_partner_services,
)
from api.routes.platform import resume_key_rotations, stop_key_rotations
from api.settings import Settings
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Pool, create_pool
from infrastructure.election import Election, election_key
from infrastructure.event_store import PostgresEventStore, application_store
from infrastructure.webhooks import Resolver
from projections.registry import PROJECTIONS
from projections.runner import ProjectionRunner

ELECTION = "background"


async def start_background(
    state: State,
    settings: Settings,
    pool: Pool,
    store: PostgresEventStore,
    resolver: Resolver | None = None,
) -> None:
    """The partner feeds, and the runner and deliveries as the settings say (or once elected)."""
    runner = ProjectionRunner(pool, store, PROJECTIONS) if settings.run_projections else None
    elect = settings.elect_background and (
        runner is not None or settings.run_deliveries or settings.resume_key_rotations
    )
    services = await start_partner_services(
        pool, settings, runner, deliver=settings.run_deliveries and not elect, resolver=resolver
    )
    state.partner_services = services
    if not elect:
        if runner is not None:
            await runner.start()
            state.projection_runner = runner
        if settings.resume_key_rotations:
            resume_key_rotations(state, store, pool)
        return

    async def elected() -> None:
        if runner is not None:
            await runner.start()
            state.projection_runner = runner
        if settings.run_deliveries:
            await start_deliveries(services, pool, settings)
        if settings.resume_key_rotations:
            resume_key_rotations(state, store, pool)

    async def deposed() -> None:
        await _stop_elected(state, services)

    election = Election(
        settings.app_dsn(), election_key(ELECTION), on_elected=elected, on_deposed=deposed
    )
    state.background_election = election
    await election.start()


async def _stop_elected(state: State, services: PartnerServices) -> None:
    await stop_key_rotations(state)
    await stop_deliveries(services)
    runner: ProjectionRunner | None = state.get("projection_runner")
    if runner is not None:
        state.projection_runner = None
        await runner.stop()


async def stop_background(state: State) -> None:
    """Leave the election (stopping what it started); the rest stops with the app's services."""
    election: Election | None = state.get("background_election")
    if election is not None:
        state.background_election = None
        await election.stop()


async def run_background_process(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run the background work while elected, until ``stop`` is set or SIGINT/SIGTERM."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    pool = await create_pool(settings.app_dsn(), min_size=2, max_size=settings.pool_max_size)
    state = State()
    store = application_store(pool, settings.data_dir)
    notifier = CommitNotifier(pool)
    store.on_commit(notifier.commit)  # what a resumed key rotation appends wakes other runners
    try:
        await start_background(state, settings, pool, store)
        await stop.wait()
    finally:
        await stop_background(state)
        await stop_key_rotations(state)
        await stop_partner_services(state)
        await notifier.aclose()
        await store.close()
        await pool.close()
