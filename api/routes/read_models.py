"""Read models over HTTP: a school's caseload, deadlines due, municipal figures, projection status.

Who sees what:
- ``GET .../schools/{school_code}/caseload``: the loket, the committee and auditors for any
  school; a school for itself only (another school's caseload is 404, as if it did not exist).
- ``GET .../deadlines``: the loket, the committee and auditors: the whole tenant.
- ``GET .../municipalities/{code}/figures``: the loket, the committee and auditors for any
  municipality; a municipality for its own only (404 otherwise). Aggregates only, through the
  disclosure rules of :mod:`projections.disclosure`.
- ``GET .../projections/status``: the loket, the committee, auditors and the swv-admin.

Auditors read the first three as of a position or time of the log (api/routes/as_of.py):
rebuilt in memory from the log, not read from the tables (:func:`served`, which every read
model's route answers through).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, TypeVar

import asyncpg
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from api import authorisation
from api.auth import Principal
from api.dependencies import ClockDependency

# Re-exported: the other routes that query read models import these from here.
from api.dependencies import PoolDependency as PoolDependency  # noqa: PLC0414
from api.dependencies import provide_pool as provide_pool  # noqa: PLC0414
from api.personal_reads import CASE_HANDLING, personal
from api.read_side import Reads, provide_read_pool, provide_reads
from api.routes.as_of import READ_MODEL_REPLAY, REPLAY, Replay, ReplayDependency
from api.schemas.common import ProblemDetails, problems
from application.local_dates import local_date
from application.ports import EventStore
from application.queries import Replayable
from domain.swv import is_municipality_code
from infrastructure.database import Connection, Pool, scoped_connection
from projections.absence_cases import fetch_deadlines_with_signals
from projections.as_of import caseload_as_of, deadlines_as_of, figures_as_of
from projections.cases import DeadlineKind
from projections.deadlines_due import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    DeadlinesDue,
    Order,
)
from projections.municipality_figures import (
    Granularity,
    MunicipalityFigures,
    fetch_municipality_figures,
)
from projections.registry import PROJECTIONS
from projections.school_caseload import SchoolCaseload, fetch_school_caseload
from projections.status import projection_status

ERRORS = {
    **problems(400, 401, 403, 404, 422),
    503: ResponseSpec(
        data_container=ProblemDetails,
        description="The database, or this read model's first build, is not ready yet.",
        media_type="application/problem+json",
    ),
}


R = TypeVar("R", bound=Replayable)
WHOLE_LOG = "As of a moment it replays the tenant's whole log up to there."
"""What a tenant-wide read model's route says of its as-of reads: their cost is the log's."""


async def served(
    replay: Replay,
    pool: Pool,
    *,
    from_log: Callable[[EventStore, int], Awaitable[R]],
    from_table: Callable[[Connection], Awaitable[R]],
) -> R:
    """A read model's answer: replayed from the log when asked as of a moment, else its table.

    ``from_log`` takes the log to read and the position to replay to, and folds the read
    model's events up to it with the fold its projection applies, so that both answer alike.
    """
    if replay.moment is not None and replay.log is not None:
        answer = await from_log(replay.log, replay.moment.position)
        return msgspec.structs.replace(answer, replayed_to=replay.moment)
    async with read_model(pool) as conn:
        return await from_table(conn)


@asynccontextmanager
async def read_model(pool: Pool) -> AsyncIterator[Connection]:
    """A connection to query a read model on; 503 while its first build does not exist yet."""
    async with scoped_connection(pool) as conn:
        try:
            yield conn
        except asyncpg.UndefinedTableError:
            raise ServiceUnavailableException(
                "This read model is not built yet; try again shortly."
            ) from None


class ProjectionState(msgspec.Struct, frozen=True, kw_only=True):
    """Where one read model stands in this tenant's log."""

    projection: str
    build: int | None
    version: int | None
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    status: str
    error: str | None


class ProjectionStatusList(msgspec.Struct, frozen=True, kw_only=True):
    projections: list[ProjectionState]


class ReadModelController(Controller):
    path = "/v1/tenants/{swv_code:str}"
    tags = ("read models",)
    # read models and their as-of replays tolerate staleness: the replica serves them, if any
    dependencies = {  # noqa: RUF012
        "reads": Provide(provide_reads),
        "pool": Provide(provide_read_pool, sync_to_thread=False),
    }

    @get(
        "/schools/{school_code:str}/caseload",
        summary="A school's pupils with open cases, and what is due next on each",
        description=WHOLE_LOG,
        guards=[authorisation.or_as_of(authorisation.reads_caseload)],
        responses=ERRORS,
        dependencies=READ_MODEL_REPLAY,
        opt=personal("list", CASE_HANDLING),
    )
    async def caseload(  # noqa: PLR0913 - the school, the caller and its collaborators
        self,
        *,
        school_code: FromPath[str],
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        clock: ClockDependency,
        reads: Reads,
        replay: ReplayDependency,
    ) -> SchoolCaseload:
        authorisation.ensure_can_read_caseload(principal, school_code, as_of=replay.as_of)
        tenant, day = principal.tenant_id, replay.day or local_date(clock.now())
        return await served(
            replay,
            pool,
            from_log=lambda log, position: caseload_as_of(
                log, tenant, school_code, position=position, day=day
            ),
            from_table=lambda conn: fetch_school_caseload(conn, tenant, school_code, as_of=day),
        )

    @get(
        "/deadlines",
        summary="What falls due, overdue acts included, sorted by date",
        description=WHOLE_LOG,
        guards=[authorisation.or_as_of(authorisation.reads_deadlines)],
        responses=ERRORS,
        dependencies=READ_MODEL_REPLAY,
        opt=personal("list", CASE_HANDLING),
    )
    async def deadlines(  # noqa: PLR0913 - the list's filters
        self,
        *,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        clock: ClockDependency,
        reads: Reads,
        replay: ReplayDependency,
        until: Annotated[
            date | None, QueryParameter(description="Leave out what falls due after this day.")
        ] = None,
        kind: Annotated[
            list[DeadlineKind] | None, QueryParameter(description="Only these kinds of deadline.")
        ] = None,
        order: Annotated[Order, QueryParameter(description="By date: asc or desc.")] = Order.ASC,
        limit: Annotated[
            int,
            QueryParameter(
                ge=1,
                le=MAX_LIMIT,
                description=(
                    "At most this many items, in the order asked; `truncated` in the answer"
                    " says whether more matched."
                ),
            ),
        ] = DEFAULT_LIMIT,
    ) -> DeadlinesDue:
        tenant, day = principal.tenant_id, replay.day or local_date(clock.now())

        async def from_table(conn: Connection) -> DeadlinesDue:
            return await fetch_deadlines_with_signals(
                conn, tenant, as_of=day, until=until, kinds=kind, order=order, limit=limit
            )

        return await served(
            replay,
            pool,
            from_log=lambda log, position: deadlines_as_of(
                log,
                tenant,
                position=position,
                day=day,
                until=until,
                kinds=kind,
                order=order,
                limit=limit,
            ),
            from_table=from_table,
        )

    @get(
        "/municipalities/{municipality_code:str}/figures",
        summary="A municipality's figures per school year or month; counts below 5 suppressed",
        description=(
            "Counts per municipality of residence, per school year (1 August to 31 July) or "
            "month. Disclosure control, so that no hidden count can be computed from the "
            "published ones, across months and school years and across metrics:\n\n"
            "- every fact is counted under one key (metric, subject, detail, term, category); "
            "no published figure is the sum of others, so decisions within term and TLVs by "
            "category are sums a reader forms over `REQUESTS_DECIDED` cells;\n"
            '- a count from 1 to 4 is published as `"<5"`;\n'
            '- a school year of 1 to 4 is published as `"<5"` and its months are withheld;\n'
            "- a larger school year with any month of 1 to 4 is published, its months are "
            "withheld (the year minus the other months would give the small one away);\n"
            "- amounts (hours, euro cents) are published only where the count is.\n\n"
            f"{WHOLE_LOG}"
        ),
        guards=[authorisation.or_as_of(authorisation.reads_figures)],
        responses=ERRORS,
        dependencies=REPLAY,
    )
    async def figures(  # noqa: PLR0913 - the municipality, the caller and its collaborators
        self,
        *,
        municipality_code: FromPath[str],
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        reads: Reads,
        replay: ReplayDependency,
        granularity: Annotated[
            Granularity, QueryParameter(description="Per school year or per month.")
        ] = Granularity.SCHOOL_YEAR,
    ) -> MunicipalityFigures:
        authorisation.ensure_can_read_figures(principal, municipality_code, as_of=replay.as_of)
        if not is_municipality_code(municipality_code):
            raise NotFoundException(f"No municipality {municipality_code!r} here.")
        tenant = principal.tenant_id
        return await served(
            replay,
            pool,
            from_log=lambda log, position: figures_as_of(
                log,
                tenant,
                municipality_code,
                position=position,
                granularity=granularity,
            ),
            from_table=lambda conn: fetch_municipality_figures(
                conn, tenant, municipality_code, granularity=granularity
            ),
        )

    @get(
        "/projections/status",
        summary="Each read model's position in this tenant's log, and its lag",
        guards=[authorisation.reads_projection_status],
        responses=ERRORS,
    )
    async def projection_status(
        self, principal: NamedDependency[Principal], pool: PoolDependency
    ) -> ProjectionStatusList:
        names = [projection.name for projection in PROJECTIONS]
        rows = await projection_status(pool, names, tenant_id=principal.tenant_id)
        return ProjectionStatusList(
            projections=[
                ProjectionState(
                    projection=row.projection,
                    build=row.build,
                    version=row.version,
                    position=row.position,
                    head=row.head,
                    lag_events=row.lag_events,
                    lag_seconds=row.lag_seconds,
                    status=row.status,
                    error=row.error,
                )
                for row in rows
            ]
        )
