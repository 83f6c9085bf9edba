import asyncio
from pathlib import Path

from litestar.testing import AsyncTestClient

from api.app import create_app
from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.settings import Settings


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
