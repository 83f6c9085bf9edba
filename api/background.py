"""The projection runner, deliveries, key-rotation resumer and nightly jobs: where they run.

In a single process (``serve``) they run beside the routes. With several workers
(``serve --workers``) every worker's runner was woken by every commit, contended for the same
leases and polled every tenant's status each second: work one process does for all. So
``serve --workers`` runs them in a process of their own beside the HTTP workers
(``run_background_process``): a runner's catch-up pass is tens of milliseconds of CPU that,
inside a worker, every request that worker serves waited behind. That process takes part in
the machine's election (``elect_background``) and runs the work only while elected, so a
restarted process, or one started while the last is still stopping, never runs beside it; the
(projection, tenant) leases still keep exactly one runner applying a tenant's events. A route in
an HTTP worker that changes a subscription wakes the delivery worker there through PostgreSQL
(``NOTIFY passend_deliveries``, sent by the runner once the subscription is projected), not its
1 s poll.

The nightly retention and absence signals (02:00 Amsterdam) run where the runner runs, once
per machine: in every process at once, each night's run made the others' appends conflict on
the same retention and case streams, and doubled their work at the same moment.

The transparency log's integrator stays in every HTTP worker: a commit wakes the integrator
of its own process, which signs a checkpoint covering it about 0.11 s later (its settle time);
the integrator of another process learns of it from its poll, 0.5 s later in the median and
up to 1 s, or, woken by ``NOTIFY passend_commits``, about 15 ms later than in process (the
notifier's debounce). Inclusion proofs and ``…/log/checkpoint`` answer from the latest
checkpoint, so either would make them staler, and one background process, restarted after up
to 30 s when it dies, would leave every worker without checkpoints meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, cast

from api.absence_cli import daily_absence_signals
from api.key_rotations import resume_key_rotations, stop_key_rotations
from api.partners import (
    PartnerServices,
    start_deliveries,
    start_partner_services,
    stop_deliveries,
    stop_partner_services,
)
from api.retention_cli import daily_retention
from api.settings import Settings
from infrastructure.commit_notifier import CommitNotifier
from infrastructure.database import Pool, create_pool
from infrastructure.election import Election, election_key
from infrastructure.event_store import PostgresEventStore, application_store
from infrastructure.system import SystemClock
from infrastructure.wake_ups import stop_event, stop_task
from infrastructure.webhooks import Resolver
from projections.registry import PROJECTIONS
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from litestar.datastructures import State

log = logging.getLogger("passend.background")

ELECTION = "background"
_NIGHTLY = ("retention_task", "absence_signals_task")


async def start_background(
    state: State,
    settings: Settings,
    pool: Pool,
    store: PostgresEventStore,
    resolver: Resolver | None = None,
) -> None:
    """The partner feeds; the runner, deliveries and nightly jobs as settings say (or elected)."""
    runner = ProjectionRunner(pool, store, PROJECTIONS) if settings.run_projections else None
    elect = settings.elect_background and (
        runner is not None
        or settings.run_deliveries
        or settings.resume_key_rotations
        or settings.run_retention
        or settings.run_absence_signals
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
            # as the elected process does: a rotation that failed here is found again
            resume_key_rotations(state, store, pool, every_s=settings.key_rotation_rescan_s)
        _start_nightly(state, settings, store)
        return

    async def elected() -> None:
        if runner is not None:
            await runner.start()
            state.projection_runner = runner
        if settings.run_deliveries:
            await start_deliveries(services, pool, settings)
        if settings.resume_key_rotations:
            # HTTP workers do not resume rotations: one whose worker died is found here
            resume_key_rotations(state, store, pool, every_s=settings.key_rotation_rescan_s)
        _start_nightly(state, settings, store)

    async def deposed() -> None:
        await _stop_elected(state, services)

    election = Election(
        settings.app_dsn(), election_key(ELECTION), on_elected=elected, on_deposed=deposed
    )
    state.background_election = election
    await election.start()


def _start_nightly(state: State, settings: Settings, store: PostgresEventStore) -> None:
    if settings.run_retention:
        state.retention_task = asyncio.create_task(daily_retention(store, SystemClock()))
    if settings.run_absence_signals:
        state.absence_signals_task = asyncio.create_task(
            daily_absence_signals(store, SystemClock())
        )
    if settings.run_retention or settings.run_absence_signals:
        log.info("this process runs the nightly jobs")


async def _stop_nightly(state: State) -> None:
    for name in _NIGHTLY:
        task: asyncio.Task[None] | None = state.get(name)
        if task is not None:
            setattr(state, name, None)
            await stop_task(task)


async def _stop_elected(state: State, services: PartnerServices) -> None:
    await _stop_nightly(state)
    await stop_key_rotations(state)
    await stop_deliveries(services)
    runner: ProjectionRunner | None = state.get("projection_runner")
    if runner is not None:
        state.projection_runner = None
        await runner.stop()


async def stop_background(state: State) -> None:
    """Leave the election (stopping what it started) and stop the nightly jobs.

    The rest stops with the app's services (or ``run_background_process``).
    """
    election: Election | None = state.get("background_election")
    if election is not None:
        state.background_election = None
        await election.stop()
    await _stop_nightly(state)


class _ProcessState(dict[str, Any]):
    """What the app's ``State`` is to the services, in the process that has no app.

    Items, also read and set as attributes, as Litestar's ``State`` has them; without importing
    Litestar, which with the routes made about 13 MB of this process.
    """

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - whatever a service keeps there
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: object) -> None:
        self[name] = value


async def run_background_process(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run the background work while elected, until ``stop`` is set or SIGINT/SIGTERM."""
    stop = stop_event(stop)
    pool = await create_pool(settings.app_dsn(), min_size=2, max_size=settings.pool_max_size)
    state = cast("State", _ProcessState())
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
