"""The right role for the wrong object: another school's pupil, case or TLV, an expert not assigned.

Every command route a school or an expert may use is tried with a token of that role that has
no relation to the object: it answers 403 or 404, nothing is written, and the body names
nothing of the object.
"""

from __future__ import annotations

import json

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import OTHER_SCHOOL, SO_SCHOOL, Api, open_tenant
from tests.api.seeds_world import seeds_world
from tests.api.test_access_matrix import ROUTES, Route, fill
from tests.api.test_problems import head_position
from tests.api.world import build_world

S, E = Role.SCHOOL, Role.EXPERT
# Registering a new pupil names no existing object; every other command changes one.
COMMANDS = [
    r for r in ROUTES if r.method != "GET" and r.allowed & {S, E} and not r.path.endswith("/pupils")
]
SECRETS = (
    *("pupil", "request", "granted", "tlv", "objection", "arrangement", "beschikkingsnummer"),
    *("absence", "service_request"),
)


@pytest.fixture(scope="module")
async def tenant(api: Api) -> TenantId:
    return await open_tenant(api)


def strangers(api: Api, tenant: str, route: Route) -> dict[str, dict[str, str]]:
    tokens = {}
    if S in route.allowed:
        tokens["another school"] = api.as_(tenant, S, school=OTHER_SCHOOL, subject="ib-2")
    if E in route.allowed:
        tokens["an expert not assigned"] = api.as_(tenant, E, subject="expert-elders")
    return tokens


@pytest.mark.parametrize("route", COMMANDS, ids=[r.id for r in COMMANDS])
async def test_a_command_on_an_object_of_someone_else_is_refused_and_writes_nothing(
    api: Api, tenant: TenantId, database_dsns: tuple[str, str], route: Route
) -> None:
    world = await build_world(api, tenant)
    world |= await seeds_world(api, tenant, world["pupil"])
    path, body = fill(route.path, world), fill(route.body, world)
    before = await head_position(database_dsns[0], tenant)
    wrong = []
    for who, headers in strangers(api, tenant, route).items():
        response = await api.call(route.method, path, headers, body)
        sent = path + json.dumps(body)  # what the caller names itself is no leak
        leaked = [n for n in SECRETS if world[n] in response.text and world[n] not in sent]
        if response.status_code not in {403, 404} or leaked:
            wrong.append(f"{who}: {response.status_code} {leaked} {response.text}")
    assert not wrong, "\n".join(wrong)
    assert await head_position(database_dsns[0], tenant) == before


async def test_a_tlv_is_redeemed_only_by_its_number_at_a_school_of_its_type(
    api: Api, tenant: TenantId, database_dsns: tuple[str, str]
) -> None:
    world = await build_world(api, tenant)
    number = world["beschikkingsnummer"]
    other_tenant = await open_tenant(api)
    base = f"/v1/tenants/{tenant}/tlvs/redemptions"
    attempts = [
        (api.as_(tenant, S, school=OTHER_SCHOOL), number),  # an SBO school, an SO TLV
        (api.as_(tenant, S, school=SO_SCHOOL), number[:-1] + ("0" if number[-1] != "0" else "1")),
        (api.as_(tenant, S, school=SO_SCHOOL), number.replace(tenant, other_tenant)),
        (api.as_(tenant, S, school=SO_SCHOOL), world["tlv"]),
    ]
    before = await head_position(database_dsns[0], tenant)
    for headers, given in attempts:
        response = await api.call("POST", base, headers, {"beschikkingsnummer": given})
        assert response.status_code == 404, response.text
        assert "SO" not in response.json().get("detail", "").split()
    assert await head_position(database_dsns[0], tenant) == before
    redeemed = await api.call(
        "POST",
        base,
        api.as_(tenant, S, school=SO_SCHOOL),
        {"beschikkingsnummer": number.lower(), "enrolled_on": "2025-04-01"},
    )
    assert redeemed.status_code == 200, redeemed.text
    tlv = await api.ok(
        "GET", f"/v1/tenants/{tenant}/tlvs/{world['tlv']}", api.as_(tenant, S, school=SO_SCHOOL)
    )
    assert (tlv["state"]["status"], tlv["state"]["beschikkingsnummer"]) == ("REDEEMED", number)
