"""The projection runner and webhook deliveries of an API process: always, or while elected.

With several workers on a machine (``serve --workers``), every worker's runner was woken by
every commit (its own at once, the others' through NOTIFY), contended with the others for the
same leases, and polled every tenant's status each second: work one of them does for all.
With ``elect_background`` only the worker holding the machine's election lock runs them; the
others serve requests, and their commits reach the elected runner through NOTIFY. When the
elected worker stops or dies, another takes over within the election's retry interval.
"""

from __future__ import annotations

from litestar import Litestar

from api.partners import PartnerServices, start_deliveries, start_partner_services, stop_deliveries
from api.settings import Settings
from infrastructure.database import Pool
from infrastructure.election import Election, election_key
from infrastructure.event_store import PostgresEventStore
from infrastructure.webhooks import Resolver
from projections.registry import PROJECTIONS
from projections.runner import ProjectionRunner

ELECTION = "background"


async def start_background(
    app: Litestar,
    settings: Settings,
    pool: Pool,
    store: PostgresEventStore,
    resolver: Resolver | None = None,
) -> None:
    """The partner feeds, and the runner and deliveries as the settings say (or once elected)."""
    runner = ProjectionRunner(pool, store, PROJECTIONS) if settings.run_projections else None
    elect = settings.elect_background and (runner is not None or settings.run_deliveries)
    services = await start_partner_services(
        pool, settings, runner, deliver=settings.run_deliveries and not elect, resolver=resolver
    )
    app.state.partner_services = services
    if not elect:
        if runner is not None:
            await runner.start()
            app.state.projection_runner = runner
        return

    async def elected() -> None:
        if runner is not None:
            await runner.start()
            app.state.projection_runner = runner
        if settings.run_deliveries:
            await start_deliveries(services, pool, settings)

    async def deposed() -> None:
        await _stop_elected(app, services)

    election = Election(
        settings.app_dsn(), election_key(ELECTION), on_elected=elected, on_deposed=deposed
    )
    app.state.background_election = election
    await election.start()


async def _stop_elected(app: Litestar, services: PartnerServices) -> None:
    await stop_deliveries(services)
    runner: ProjectionRunner | None = app.state.get("projection_runner")
    if runner is not None:
        app.state.projection_runner = None
        await runner.stop()


async def stop_background(app: Litestar) -> None:
    """Leave the election (stopping what it started); the rest stops with the app's services."""
    election: Election | None = app.state.get("background_election")
    if election is not None:
        app.state.background_election = None
        await election.stop()
