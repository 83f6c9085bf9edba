"""A recorded command's wake of the delivery workers cannot fail the command."""

from __future__ import annotations

import pytest
from litestar.datastructures import State

from api.auth import Principal, Role
from api.command_routes import Done
from api.routes.partners import wake_delivery
from domain.ids import TenantId
from infrastructure.database import create_pool


async def test_a_wake_that_cannot_reach_the_database_is_logged_not_raised(
    database_dsns: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    pool = await create_pool(database_dsns[1], min_size=1, max_size=1)
    await pool.close()
    tenant = TenantId("SWV0001")
    principal = Principal("admin", tenant, frozenset({Role.SWV_ADMIN}))
    done = Done(None, None, principal, None, State({"pool": pool}))  # type: ignore[arg-type]

    await wake_delivery(done)

    assert "could not be woken" in caplog.text
