"""Health: ``/health/live`` (the process answers) and ``/health/ready`` (it can serve).

``/health`` is readiness too, as before. An orchestrator restarts a process that fails
liveness, and sends no traffic to one that is not ready: while the database is away the API
stays alive and not ready, and reconnects by itself.

Its 503 is the ``Health`` document, not an RFC 9457 problem: health reports the service's
state, it refuses no request. Its readers are probes, which read the status code alone, and
monitors, which read ``database`` and ``failing_projections`` in the one shape a 200 has too;
a problem would also give ``status`` another meaning (the HTTP code, where health says ``ok``
or ``unavailable``). Every answer that refuses a request is a problem.
"""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from infrastructure.database import Pool
from projections.registry import PROJECTIONS
from projections.status import projection_status

_PROBE_TIMEOUT_S = 2.0


class Health(msgspec.Struct, frozen=True):
    status: str
    database: str
    detail: str | None = None
    projections: str = "not running here"
    """``ok``, ``failing`` or ``reconnecting`` for this process's runner; ``elsewhere`` or
    ``failing`` where another process runs it (``serve --workers``' background process)."""
    failing_projections: list[str] = msgspec.field(default_factory=list)


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
        " stopped on a failing event are listed, also where the projection runner runs in"
        " another process; the API keeps serving meanwhile."
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
        return Response(await _recorded_failures(pool), status_code=HTTP_200_OK)
    if not runner.connected:
        # Commands still work; the runner reconnects by itself within seconds.
        return Response(Health("ok", "ok", projections="reconnecting"), status_code=HTTP_200_OK)
    report = runner.health()
    failing = [f"{name}@{tenant}: {error}" for (name, tenant), error in report.failures.items()]
    failing += [f"{name} (rebuild): {error}" for name, error in report.rebuild_errors.items()]
    # The API still serves; a stopped projection shows here and on the status route.
    return Response(
        Health(
            "ok", "ok", projections="ok" if report.ok else "failing", failing_projections=failing
        ),
        status_code=HTTP_200_OK,
    )


async def _recorded_failures(pool: Pool) -> Health:
    """The failures the runner of another process recorded with each (projection, tenant).

    Under ``serve --workers`` no HTTP worker runs the runner: it stops a pair at a failing
    event in ``projection_tracking``, read here. A rebuild that failed there is in its log.
    """
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S):
            rows = await projection_status(pool, [p.name for p in PROJECTIONS])
    except (OSError, TimeoutError, Exception) as error:  # noqa: BLE001 - the database answered
        return Health("ok", "ok", detail=type(error).__name__, projections="unknown")
    failing = [f"{r.projection}@{r.tenant_id}: {r.error or 'stopped'}" for r in rows if r.failed]
    return Health(
        "ok", "ok", projections="failing" if failing else "elsewhere", failing_projections=failing
    )
