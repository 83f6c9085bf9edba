"""Health: ``/health/live`` (the process answers) and ``/health/ready`` (it can serve).

``/health`` is readiness too, as before. An orchestrator restarts a process that fails
liveness, and sends no traffic to one that is not ready: while the database is away the API
stays alive and not ready, and reconnects by itself.

Its 503 is the ``Health`` document, not an RFC 9457 problem: health reports the service's
state, it refuses no request. Its readers are probes, which read the status code alone, and
monitors, which read ``database`` and ``failing_projections`` in the one shape a 200 has too;
a problem would also give ``status`` another meaning (the HTTP code, where health says ``ok``
or ``unavailable``). Every answer that refuses a request is a problem.

It needs no token, so it names no tenant and quotes no error: which projections stopped and
how many (projection, tenant) pairs; the tenant's own ``/v1/tenants/{swv_code}/projections/
status`` gives an operator each one's error. It is never refused when busy, so a process reads
the stopped pairs recorded by another process's runner at most once every few seconds.
"""

from __future__ import annotations

import asyncio
import time

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from api.background import ELECTION
from infrastructure.database import Pool
from infrastructure.election import election_held, election_key
from projections.registry import PROJECTIONS
from projections.status import projection_status

_PROBE_TIMEOUT_S = 2.0
_STATUS_TTL_S = 5.0


class Health(msgspec.Struct, frozen=True):
    status: str
    database: str
    detail: str | None = None
    projections: str = "unknown"
    """``ok``, ``failing`` or ``reconnecting`` for this process's runner. Where none runs here
    (``serve --workers``' HTTP workers): ``elsewhere`` or ``failing`` while a process holds the
    background election (and with it the runner), ``not running`` while none does. ``unknown``
    when that could not be read, or the database is away."""
    failing_projections: list[str] = msgspec.field(default_factory=list)
    """The projections stopped at a failing event for some tenant (``name (rebuild)`` for a
    failed rebuild); no tenant, no error text."""
    failing: int = 0
    """How many (projection, tenant) pairs and rebuilds are stopped."""


class Liveness(msgspec.Struct, frozen=True):
    status: str


@get(
    "/health/live",
    summary="Is the process alive?",
    description="200 whenever the process answers, also while the database is away.",
    tags=["operations"],
    exclude_from_auth=True,
)
async def liveness() -> Liveness:
    return Liveness("alive")


@get(
    ["/health", "/health/ready"],
    summary="Is the service ready?",
    description=(
        "200 when the database answers within two seconds, 503 otherwise. Projections that"
        " stopped on a failing event are named and counted, also where the projection runner"
        " runs in another process (read at most every five seconds); the API keeps serving"
        " meanwhile. A tenant's /v1/tenants/{swv_code}/projections/status gives the errors."
    ),
    tags=["operations"],
    exclude_from_auth=True,
    security=[{}],  # no token needed
    responses={
        HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
            data_container=Health,
            description=(
                "The database does not answer (yet): the same document as a 200, not a problem"
                " (health reports a state, it refuses nothing)."
            ),
        )
    },
)
async def health(state: State) -> Response[Health]:
    pool = state.get("pool")
    if pool is None:
        return Response(
            Health("unavailable", "unreachable", state.get("database_error")),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S), pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except (OSError, TimeoutError, Exception) as error:  # noqa: BLE001 - any failure means not ready
        return Response(
            Health("unavailable", "unreachable", type(error).__name__),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    runner = state.get("projection_runner")
    if runner is None:
        return Response(await _recorded_failures(state, pool), status_code=HTTP_200_OK)
    if not runner.connected:
        # Commands still work; the runner reconnects by itself within seconds.
        return Response(Health("ok", "ok", projections="reconnecting"), status_code=HTTP_200_OK)
    report = runner.health()
    failing = [name for name, _ in report.failures]
    failing += [f"{name} (rebuild)" for name in report.rebuild_errors]
    # The API still serves; a stopped projection shows here and on the status route.
    return Response(
        Health(
            "ok",
            "ok",
            projections="ok" if report.ok else "failing",
            failing_projections=sorted(set(failing)),
            failing=len(failing),
        ),
        status_code=HTTP_200_OK,
    )


async def _recorded_failures(state: State, pool: Pool) -> Health:
    """The failures the runner of another process recorded, read at most every few seconds.

    Under ``serve --workers`` no HTTP worker runs the runner: it stops a pair at a failing
    event in ``projection_tracking``, read here. A rebuild that failed there is in its log.
    """
    cached: tuple[float, Health] | None = state.get("health_projections")
    if cached is not None and time.monotonic() - cached[0] < _STATUS_TTL_S:
        return cached[1]
    answer = await _read_recorded_failures(pool)
    state.health_projections = (time.monotonic(), answer)
    return answer


async def _read_recorded_failures(pool: Pool) -> Health:
    key = election_key(ELECTION)
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S):
            rows = await projection_status(pool, [p.name for p in PROJECTIONS])
            async with pool.acquire() as conn:
                elected = await election_held(conn, key)
    except (OSError, TimeoutError, Exception) as error:  # noqa: BLE001 - the database answered
        return Health("ok", "ok", detail=type(error).__name__, projections="unknown")
    failing = [r.projection for r in rows if r.failed]
    running = ("failing" if failing else "elsewhere") if elected else "not running"
    return Health(
        "ok",
        "ok",
        projections=running,
        failing_projections=sorted(set(failing)),
        failing=len(failing),
    )
