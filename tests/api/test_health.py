import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.background import ELECTION
from api.settings import Settings
from domain.ids import TenantId
from infrastructure.database import Pool
from infrastructure.election import election_key
from projections.registry import PROJECTIONS
from projections.status import resume_projection
from tests.api.conftest import Api, open_tenant


async def test_health_is_ok_once_the_database_answers(database_dsns: tuple[str, str]) -> None:
    admin, app = database_dsns
    settings = Settings(database_url=admin, database_app_url=app, database_retry_seconds=0.1)
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/health")
        for _ in range(100):
            response = await client.get("/health")
            if response.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["database"]) == ("ok", "ok")
        assert body["failing_projections"] == []


async def test_on_ready_is_called_once_with_the_database_set_up_before_health_says_so(
    database_dsns: tuple[str, str],
) -> None:
    admin, app_dsn = database_dsns
    settings = Settings(database_url=admin, database_app_url=app_dsn, database_retry_seconds=0.1)
    health_when_ready: list[str | None] = []
    app = create_app(
        settings,
        on_ready=lambda: health_when_ready.append(app.state.get("database_error", "unset")),
    )
    async with AsyncTestClient(app=app) as client:
        for _ in range(100):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert app.state.get("pool") is not None
    # called once, while /health still answered 503 (the error cleared only after it)
    assert len(health_when_ready) == 1
    assert health_when_ready[0] is not None


async def test_on_ready_waits_for_a_database_that_cannot_be_reached() -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/none", database_retry_seconds=0.1
    )
    called: list[bool] = []
    async with AsyncTestClient(app=create_app(settings, on_ready=lambda: called.append(True))):
        await asyncio.sleep(0.3)
    assert called == []


async def test_health_is_unavailable_while_the_database_cannot_be_reached() -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/none", database_retry_seconds=0.1
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        await asyncio.sleep(0.2)
        response = await client.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


async def test_a_route_unavailable_without_its_database_says_when_to_ask_again(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)  # no database at all
    roles = (Role.LOKET, Role.AUDITOR, Role.SWV_ADMIN)
    token = mint_token(
        dev_signing_key(tmp_path),
        subject="tester",
        tenants={"PO2604": TenantGrant(roles=roles)},
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    routes = ["deadlines", "cases", "log/checkpoint", "subscriptions"]
    async with AsyncTestClient(app=create_app(settings)) as client:
        for route in routes:
            response = await client.get(
                f"/v1/tenants/PO2604/{route}", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 503, route
            assert response.headers.get("retry-after", "").isdigit(), route


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://admin:pw@db:5432/passend",
            "PASSEND_PORT": "9001",
            "PASSEND_DATA_DIR": "/srv/passend",
        }
    )
    assert settings.port == 9001
    assert settings.data_dir == Path("/srv/passend")
    assert settings.app_dsn() == "postgresql://passend_app@db:5432/passend"


@pytest.mark.parametrize("rescan", ["0", "-5", "nan"])
def test_a_key_rotation_rescan_that_is_not_more_than_0_is_refused_by_name(rescan: str) -> None:
    with pytest.raises(msgspec.ValidationError, match="PASSEND_KEY_ROTATION_RESCAN_S must be"):
        Settings.from_env({"PASSEND_KEY_ROTATION_RESCAN_S": rescan})
    assert Settings.from_env({"PASSEND_KEY_ROTATION_RESCAN_S": "0.5"}).key_rotation_rescan_s == 0.5


async def test_a_worker_without_the_runner_shows_the_projections_its_runner_stopped(
    api: Api, database_dsns: tuple[str, str], app_pool: Pool
) -> None:
    # Under serve --workers the runner runs in the background process, the one holding the
    # background election: an HTTP worker's health reads whether one does, and what that
    # runner recorded when a projection stopped at a failing event (no tenant, no error text).
    admin, app = database_dsns
    tenant = await open_tenant(api)
    projection = PROJECTIONS[0].name
    worker = Settings(
        database_url=admin, database_app_url=app, database_retry_seconds=0.1, run_projections=False
    )
    connection = await asyncpg.connect(admin)
    background = await asyncpg.connect(admin)
    try:
        await _tracked(connection, tenant, projection)
        async with AsyncTestClient(app=create_app(worker)) as client:
            alone = await _until(client, lambda body: body["projections"] == "not running")
            assert alone["failing"] == 0
            # as serve --workers' background process is elected
            await background.execute("SELECT pg_advisory_lock($1)", election_key(ELECTION))
            healthy = await _until(client, lambda body: body["projections"] == "elsewhere")
            assert (healthy["failing_projections"], healthy["failing"]) == ([], 0)
            await connection.execute(  # as the runner records a stop (projections.catch_up)
                "UPDATE projection_tracking SET status = 'failed', error = 'KeyError: boom',"
                " failed_position = position + 1 WHERE tenant_id = $1 AND projection = $2",
                tenant,
                projection,
            )
            failing = await _until(client, lambda body: body["projections"] == "failing")
        assert failing["failing_projections"] == [projection]
        assert failing["failing"] == 1
        assert tenant not in str(failing)
        assert "boom" not in str(failing)
    finally:
        await resume_projection(app_pool, projection, tenant)
        await background.close()
        await connection.close()


async def test_a_worker_reads_the_projections_at_most_every_few_seconds(
    database_dsns: tuple[str, str],
) -> None:
    admin, app = database_dsns
    worker = Settings(
        database_url=admin, database_app_url=app, database_retry_seconds=0.1, run_projections=False
    )
    async with AsyncTestClient(app=create_app(worker)) as client:
        await _ready(client)
        read_at = client.app.state.health_projections[0]
        for _ in range(5):
            assert (await client.get("/health")).status_code == 200
        assert client.app.state.health_projections[0] == read_at


async def _tracked(connection: asyncpg.Connection, tenant: TenantId, projection: str) -> None:
    for _ in range(300):
        if await connection.fetchval(
            "SELECT 1 FROM projection_tracking WHERE tenant_id = $1 AND projection = $2",
            tenant,
            projection,
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{projection} never applied {tenant}'s events")


async def _ready(client: AsyncTestClient) -> dict[str, object]:  # type: ignore[type-arg]
    response = await client.get("/health")
    for _ in range(100):
        if response.status_code == 200:
            body: dict[str, object] = response.json()
            return body
        await asyncio.sleep(0.05)
        response = await client.get("/health")
    raise AssertionError(f"not ready: {response.text}")


async def _until(
    client: AsyncTestClient,  # type: ignore[type-arg]
    wanted: Callable[[dict[str, object]], bool],
) -> dict[str, object]:
    """The first ready answer that is ``wanted``: a worker reads again every few seconds."""
    body = await _ready(client)
    for _ in range(150):
        if wanted(body):
            return body
        await asyncio.sleep(0.1)
        body = await _ready(client)
    raise AssertionError(f"never as wanted: {body}")
