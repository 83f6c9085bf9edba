"""Idempotency keys as the IETF draft has them, and references to what the SWV configured."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import Api, new_key, open_tenant
from tests.api.test_problems import head_position

PUPIL = {"name": "Noor", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"}


@pytest.fixture(scope="module")
async def tenant(api: Api) -> TenantId:
    return await open_tenant(api)


async def test_a_key_sent_again_with_another_body_is_refused_naming_the_key(
    api: Api, tenant: TenantId, database_dsns: tuple[str, str]
) -> None:
    loket = {**api.as_(tenant, Role.LOKET), **new_key()}
    path = f"/v1/tenants/{tenant}/pupils"
    first = await api.ok("POST", path, loket, PUPIL)
    before = await head_position(database_dsns[0], tenant)
    reordered = dict(reversed(PUPIL.items()))
    assert await api.ok("POST", path, loket, reordered) == first
    other = await api.call("POST", path, loket, {**PUPIL, "name": "Sam"})
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await head_position(database_dsns[0], tenant) == before


async def test_a_key_belongs_to_its_caller_and_tenant(api: Api, tenant: TenantId) -> None:
    key = new_key()
    path = f"/v1/tenants/{tenant}/pupils"
    mine = await api.ok("POST", path, {**api.as_(tenant, Role.LOKET, subject="a"), **key}, PUPIL)
    theirs = await api.ok("POST", path, {**api.as_(tenant, Role.LOKET, subject="b"), **key}, PUPIL)
    elsewhere = await open_tenant(api)
    there = await api.ok(
        "POST",
        f"/v1/tenants/{elsewhere}/pupils",
        {**api.as_(elsewhere, Role.LOKET, subject="a"), **key},
        PUPIL,
    )
    assert len({mine["id"], theirs["id"], there["id"]}) == 3


async def refused_field(api: Api, path: str, headers: dict[str, str], body: Any) -> str:
    response = await api.call("POST", path, headers, body)
    assert response.status_code == 422, response.text
    field: str = response.json()["errors"][0]["field"]
    return field


async def test_a_municipality_the_swv_has_not_is_refused_unless_the_pupil_lives_outside(
    api: Api, tenant: TenantId, database_dsns: tuple[str, str]
) -> None:
    loket = api.as_(tenant, Role.LOKET)
    path = f"/v1/tenants/{tenant}/pupils"
    before = await head_position(database_dsns[0], tenant)
    outside = {**PUPIL, "municipality_code": "GM9999"}
    assert await refused_field(api, path, loket, outside) == "municipality_code"
    flagged_inside = {**PUPIL, "lives_outside_region": True}
    assert await refused_field(api, path, loket, flagged_inside) == "lives_outside_region"
    assert await head_position(database_dsns[0], tenant) == before
    pupil = await api.ok("POST", path, loket, {**outside, "lives_outside_region": True})
    moves = f"{path}/{pupil['id']}/residence-changes"
    assert await refused_field(api, moves, loket, {"municipality_code": "GM9998"}) == (
        "municipality_code"
    )
    await api.ok("POST", moves, loket, {"municipality_code": "GM1904"})


async def test_a_school_or_catalogue_entry_the_swv_has_not_is_refused_naming_the_field(
    api: Api, tenant: TenantId
) -> None:
    loket = api.as_(tenant, Role.LOKET)
    base = f"/v1/tenants/{tenant}"
    unknown_school = {**PUPIL, "school_code": "99ZZ00"}
    assert await refused_field(api, f"{base}/pupils", loket, unknown_school) == "school_code"
    pupil = await api.ok("POST", f"{base}/pupils", loket, PUPIL)
    request = {
        "pupil_id": pupil["id"],
        "school_code": "12AB00",
        "arrangement_type": "paardrijden",
        "question": "Wat past?",
        "parent_view": "AGREE",
    }
    field = await refused_field(api, f"{base}/support-requests", loket, request)
    assert field == "arrangement_type"
