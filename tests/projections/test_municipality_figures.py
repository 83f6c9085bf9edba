"""Municipal figures: counts per municipality of residence, small counts never published."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from application.commands import ChangePupilResidence, RegisterPupil
from application.handlers import pupils
from demo.seed import seed_demo
from domain.ids import TenantId
from infrastructure.database import Pool, tenant_transaction
from infrastructure.event_store import PostgresEventStore
from projections.municipality_figures import (
    SUPPRESSED,
    FigureCell,
    Granularity,
    Metric,
    MunicipalityFigures,
    fetch_municipality_figures,
)
from projections.projection import view_name
from tests.projections.conftest import RunnerFactory, eventually
from tests.projections.read_models import READ_MODELS, caught_up
from tests.unit.application.conftest import (
    Desk,
    FixedClock,
    complete_request,
    configured_desk,
    fresh_swv_code,
)

pytestmark = pytest.mark.integration

WOERDEN, STICHTSE_VECHT = "GM0632", "GM1904"


async def figures(
    pool: Pool, tenant_id: TenantId, municipality: str, granularity: Granularity
) -> MunicipalityFigures:
    await eventually(lambda: caught_up(pool, tenant_id), timeout_s=60)
    async with pool.acquire() as conn:
        return await fetch_municipality_figures(
            conn, tenant_id, municipality, granularity=granularity
        )


async def pupil_in(desk: Desk, municipality: str) -> UUID:
    outcome = await desk.run(
        pupils.register_pupil,
        RegisterPupil(name="Sam", date_of_birth=date(2017, 5, 12), municipality_code=municipality),
    )
    return outcome.aggregate_id


def submitted(cells: list[FigureCell]) -> dict[str | None, int | str]:
    return {c.subject: c.count for c in cells if c.metric is Metric.REQUESTS_SUBMITTED}


async def test_counts_from_one_to_four_are_published_as_fewer_than_five_without_their_months(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    for _ in range(5):
        await complete_request(desk, await pupil_in(desk, WOERDEN))
    for _ in range(3):
        await complete_request(desk, await pupil_in(desk, STICHTSE_VECHT))

    woerden = await figures(app_pool, desk.tenant_id, WOERDEN, Granularity.SCHOOL_YEAR)
    vecht = await figures(app_pool, desk.tenant_id, STICHTSE_VECHT, Granularity.SCHOOL_YEAR)
    vecht_months = await figures(app_pool, desk.tenant_id, STICHTSE_VECHT, Granularity.MONTH)

    assert submitted(woerden.cells) == {"TLV-SO": 5}
    assert {c.period for c in woerden.cells} == {"2024-2025"}
    assert submitted(vecht.cells) == {"TLV-SO": SUPPRESSED}
    assert {c.period for c in vecht.cells} == {"2024-2025"}
    assert submitted(vecht_months.cells) == {}


async def test_a_fact_counts_where_the_pupil_lived_when_it_was_recorded(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    desk = await configured_desk(pg_store)
    movers = [await pupil_in(desk, WOERDEN) for _ in range(5)]
    for pupil_id in movers:
        await complete_request(desk, pupil_id)
        await desk.run(
            pupils.change_pupil_residence,
            ChangePupilResidence(pupil_id=pupil_id, municipality_code=STICHTSE_VECHT),
        )
    for pupil_id in movers:
        await complete_request(
            desk, pupil_id, tlv_type=None, arrangement_type="ambulante-begeleiding"
        )

    woerden = await figures(app_pool, desk.tenant_id, WOERDEN, Granularity.MONTH)
    vecht = await figures(app_pool, desk.tenant_id, STICHTSE_VECHT, Granularity.MONTH)

    assert submitted(woerden.cells) == {"TLV-SO": 5}
    assert submitted(vecht.cells) == {"ambulante-begeleiding": 5}


async def test_on_demo_data_no_published_count_is_below_five_and_no_row_names_a_pupil(
    app_pool: Pool, pg_store: PostgresEventStore, start_runner: RunnerFactory
) -> None:
    await start_runner(pg_store, READ_MODELS, poll_interval_s=0.05)
    tenant_id = fresh_swv_code()
    await seed_demo(
        pg_store, FixedClock(), today=date(2025, 3, 3), tenant_ids={"PO2604": tenant_id}
    )
    log = await pg_store.read_log(tenant_id, after=0, limit=100_000)
    identifiers = {str(r.stream_id) for r in log} | {
        str(value) for r in log for value in vars(r.event).values() if isinstance(value, UUID)
    }
    await eventually(lambda: caught_up(app_pool, tenant_id), timeout_s=60)
    async with app_pool.acquire() as conn, tenant_transaction(conn, tenant_id):
        rows = await conn.fetch(f"SELECT * FROM {view_name('municipality_figures')}")  # noqa: S608
    stored = [tuple(row.values()) for row in rows]
    municipalities = {row["municipality_code"] for row in rows}

    published = [
        cell
        for code in sorted(municipalities)
        for granularity in Granularity
        for cell in (await figures(app_pool, tenant_id, code, granularity)).cells
    ]

    assert len(municipalities) >= 2
    assert published
    assert not [c for c in published if isinstance(c.count, int) and 0 < c.count < 5]
    assert all(c.amount is None for c in published if c.count == SUPPRESSED)
    assert not identifiers.intersection(str(value) for row in stored for value in row)
