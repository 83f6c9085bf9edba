"""A 2xx is a delivery, whoever received it: its recipients are recorded even for a lost range.

A worker sends a batch, and before its answer comes a replay (or reset) moves the delivery: the
batch is no longer the pending one. The receiver has the events all the same, so who received
data about which pupil (AVG art. 15(1)(c)) is recorded; the delivery's position is not moved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from infrastructure.offboarding import delete_tenant, tenant_row_counts
from partners.delivery import _ATTEMPTED
from tests.tenant_codes import fresh_swv_code

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 2, 9, tzinfo=UTC)
LEFT = "nl.passend.pupil.left.v1"


async def test_a_2xx_for_a_range_the_worker_lost_still_records_its_recipients(
    database_dsns: tuple[str, str],
) -> None:
    tenant, subscription, pupil = fresh_swv_code(), uuid4(), uuid4()
    app = await asyncpg.connect(database_dsns[1])
    try:
        async with app.transaction():
            await app.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
            # a replay moved the delivery back to 0 while the batch (0, 5] was being sent
            await app.execute(
                "INSERT INTO partner_deliveries (tenant_id, subscription_id, position)"
                " VALUES ($1, $2, 0)",
                tenant,
                subscription,
            )
        still_pending = await app.fetchval(
            _ATTEMPTED,
            tenant,
            subscription,
            "msg_lost",
            0,
            5,
            AT,
            200,
            12.0,
            None,
            "ok",
            None,
            [pupil, pupil],
            [LEFT, LEFT],
        )
        async with app.transaction():
            await app.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
            recipients = await app.fetch(
                "SELECT pupil_id, event_type, events_delivered, first_delivered_at"
                " FROM partner_recipients WHERE tenant_id = $1 AND subscription_id = $2",
                tenant,
                subscription,
            )
            delivery = await app.fetchrow(
                "SELECT position, pending_from FROM partner_deliveries"
                " WHERE tenant_id = $1 AND subscription_id = $2",
                tenant,
                subscription,
            )
    finally:
        await app.close()

    assert still_pending is False
    assert [tuple(r) for r in recipients] == [(pupil, LEFT, 2, AT)]
    assert delivery is not None
    assert tuple(delivery) == (0, None), "the lost range moves nothing"


async def test_an_answer_that_comes_after_the_tenants_erasure_records_nothing_of_it(
    database_dsns: tuple[str, str],
) -> None:
    tenant, subscription, pupil = fresh_swv_code(), uuid4(), uuid4()
    admin, app = await asyncpg.connect(database_dsns[0]), await asyncpg.connect(database_dsns[1])
    try:
        async with app.transaction():
            await app.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
            await app.execute(
                "INSERT INTO partner_deliveries (tenant_id, subscription_id, position,"
                " pending_from, pending_to) VALUES ($1, $2, 0, 0, 5)",
                tenant,
                subscription,
            )
        # the batch (0, 5] is on its way when the tenant leaves the platform
        deleted = await delete_tenant(admin, tenant)
        assert sum(deleted.values()) == 1
        tables = list(deleted)
        assert tables[0] == "partner_deliveries", "deliveries go first (0018)"
        assert tables[-1] == "tenant_heads"
        answers = [
            await app.fetchval(
                _ATTEMPTED,
                tenant,
                subscription,
                "msg_late",
                0,
                5,
                AT,
                status_code,
                12.0,
                error,
                status,
                None,
                [pupil],
                [LEFT],
            )
            for status_code, error, status in ((503, "503", "retrying"), (200, None, "ok"))
        ]
        left = await tenant_row_counts(admin, tenant)
    finally:
        await app.close()
        await admin.close()

    assert answers == [False, False]
    assert {table: n for table, n in left.items() if n} == {}, "no row of it comes back"
