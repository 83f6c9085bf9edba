"""The read replica in a process: its pool, and the dependencies of reads that may use it.

Read models, timelines and exports take a ``ReadSource`` (or its pool) instead of the primary's.
A caller that just wrote and must see its write sends the position the command answered in a
``Min-Position`` header: the read then waits briefly for the replica to reach it, or reads the
primary (infrastructure/read_replica.py). Everything a read writes, such as its access-log
entry, goes to the primary through the process's usual collaborators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.params import HeaderParameter, SkipValidation

from api.auth import Principal
from api.schemas.common import MAX_POSITION
from api.settings import Settings
from api.transparency import checkpoint_signer
from infrastructure.database import Pool, create_pool
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import default_key_provider
from infrastructure.read_replica import ReadSide, Source
from infrastructure.transparency_log import TransparencyLog


@dataclass(frozen=True, slots=True)
class ReadSource:
    """Where one read runs: a pool, and the event store and transparency log over it."""

    pool: Pool
    event_store: PostgresEventStore
    transparency_log: TransparencyLog
    source: Source


@dataclass(frozen=True, slots=True)
class ReadSources:
    side: ReadSide
    primary: ReadSource
    replica: ReadSource | None

    async def choose(self, principal: Principal, min_position: int | None) -> ReadSource:
        choice = await self.side.choose(principal.tenant_id, min_position)
        return self.replica if choice.source == "replica" and self.replica else self.primary


async def start_read_side(
    app: Litestar,
    settings: Settings,
    store: PostgresEventStore,
    transparency_log: TransparencyLog,
) -> None:
    """Open the replica's pool (lazily: a replica that is down delays nothing) and watch it."""
    primary = ReadSource(store.pool, store, transparency_log, "primary")
    replica: ReadSource | None = None
    side = ReadSide(
        store.pool,
        wait_s=settings.replica_wait_seconds,
        max_lag_s=settings.replica_max_lag_seconds,
    )
    if settings.read_database_url:
        pool = await create_pool(
            settings.read_database_url,
            min_size=0,
            max_size=settings.pool_max_size,
            connect_timeout_s=5,
        )
        side.replica = pool
        replica_store = PostgresEventStore(
            pool, store.codec, key_provider=default_key_provider(settings.data_dir)
        )
        replica = ReadSource(
            pool,
            replica_store,
            TransparencyLog(pool, checkpoint_signer(settings)),
            "replica",
        )
    await side.start()
    app.state.read_sources = ReadSources(side, primary, replica)


async def stop_read_side(app: Litestar) -> None:
    sources: ReadSources | None = app.state.get("read_sources")
    app.state.read_sources = None
    if sources is None:
        return
    if sources.replica is not None:
        await sources.replica.event_store.close()
    await sources.side.close()


MinPosition = Annotated[
    int | None,
    HeaderParameter(
        name="Min-Position",
        required=False,
        ge=1,
        le=MAX_POSITION,
        description=(
            "A position a command of yours answered: the read then reflects the log at least"
            " up to it (read models as far as their projections have applied it)."
        ),
    ),
]


async def provide_reads(
    state: State, principal: NamedDependency[Principal], min_position: MinPosition = None
) -> ReadSource:
    sources: ReadSources = state.get("read_sources") or _not_ready()
    return await sources.choose(principal, min_position)


def _not_ready() -> ReadSources:
    raise ServiceUnavailableException("The database is not ready yet; try again shortly.")


Reads = NamedDependency[SkipValidation[ReadSource]]


def primary_reads(state: State) -> ReadSource:
    """The primary as a read source: for what the replica cannot answer yet."""
    sources: ReadSources = state.get("read_sources") or _not_ready()
    return sources.primary


def provide_read_pool(reads: Reads) -> Pool:
    """The pool of the request's ``reads`` (declare both: the choice is made once)."""
    return reads.pool
