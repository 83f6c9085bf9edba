"""One API on the test database per module, tokens for every role, and configured tenants.

Each module opens its own tenants through the API, so modules share the database safely.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.auth import Role, TenantGrant, dev_signing_key, mint_token
from api.settings import Settings
from domain.ids import TenantId
from tests.tenant_codes import fresh_swv_code

SCHOOL = "12AB00"
OTHER_SCHOOL = "34CD00"
SO_SCHOOL = "56EF00"
MUNICIPALITY = "GM0632"
ARRANGEMENT_TYPE = "ambulante-begeleiding"


@dataclass
class Api:
    """A running API and a way to call it as anybody."""

    client: AsyncTestClient[Any]
    settings: Settings

    def token(
        self,
        tenant: str | None,
        *roles: Role,
        subject: str = "tester",
        school: str | None = None,
        municipality: str | None = None,
        platform_operator: bool = False,
    ) -> str:
        grants = {}
        if tenant is not None:
            grants[tenant] = TenantGrant(
                roles=roles,
                school=school if school is not None else (SCHOOL if Role.SCHOOL in roles else None),
                municipality=municipality
                if municipality is not None
                else (MUNICIPALITY if Role.MUNICIPALITY in roles else None),
            )
        return mint_token(
            dev_signing_key(self.settings.data_dir),
            subject=subject,
            tenants=grants,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            platform_operator=platform_operator,
        )

    def as_(self, tenant: str | None, *roles: Role, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant, *roles, **claims)}"}

    def operator(self) -> dict[str, str]:
        return self.as_(None, platform_operator=True, subject="platform-operator")

    def admin(self, tenant: str) -> dict[str, str]:
        return self.as_(tenant, Role.SWV_ADMIN, subject="swv-admin")

    async def call(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Any = None,
    ) -> httpx.Response:
        return await self.client.request(method, path, headers=dict(headers), json=body)

    async def ok(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Any = None,
    ) -> dict[str, Any]:
        response = await self.call(method, path, headers, body)
        assert response.status_code < 300, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture(scope="module")
async def api(
    database_dsns: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    admin_dsn, app_dsn = database_dsns
    settings = Settings(
        database_url=admin_dsn,
        database_app_url=app_dsn,
        database_retry_seconds=0.1,
        data_dir=Path(tmp_path_factory.mktemp("api")),
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        for _ in range(200):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        yield Api(client, settings)


async def open_tenant(api: Api) -> TenantId:
    """A tenant with two municipalities, a regular, an SBO and an SO school, and one type."""
    code = fresh_swv_code()
    await api.ok("POST", "/v1/platform/tenants", api.operator(), {"code": code, "name": "SWV"})
    admin = api.admin(code)
    base = f"/v1/tenants/{code}/configuration"
    await api.ok(
        "POST",
        base,
        admin,
        {
            "name": f"SWV {code}",
            "committee_name": "TLC",
            "policy_version": "OP-2024.1",
            "policy_effective_from": "2024-08-01",
        },
    )
    for municipality, name in (("GM0632", "Woerden"), ("GM1904", "Stichtse Vecht")):
        await api.ok("POST", f"{base}/municipalities", admin, {"code": municipality, "name": name})
    for brin, school_type in (("12AB", "REGULAR"), ("34CD", "SBO"), ("56EF", "SO")):
        await api.ok(
            "POST",
            f"{base}/schools",
            admin,
            {
                "brin": brin,
                "vestiging": "00",
                "name": f"School {brin}",
                "board": "Stichting Primair",
                "school_type": school_type,
                "municipality_code": "GM0632",
            },
        )
    await api.ok(
        "POST",
        f"{base}/arrangement-types",
        admin,
        {
            "code": ARRANGEMENT_TYPE,
            "name": "Ambulante begeleiding",
            "unit": "HOURS",
            "default_duration_months": 6,
        },
    )
    return code


def new_key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid4())}
