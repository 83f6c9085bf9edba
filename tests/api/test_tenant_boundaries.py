"""Tenant boundaries, generated from the OpenAPI document: no token reaches another tenant.

Every tenant route, with every role granted in *another* tenant (the swv-admin included) and
with the platform operator's token, answers 404 with nothing of the tenant in the body, and
the tenant's log does not move.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import ARRANGEMENT_TYPE, MUNICIPALITY, SCHOOL, Api, open_tenant
from tests.api.seeds_world import seeds_world
from tests.api.test_problems import head_position
from tests.api.world import build_world
from tests.partners.access import PARTNER, partner_world

_WORLD_IDS = {
    "pupil_id": "pupil",
    "request_id": "request",
    "tlv_id": "tlv",
    "objection_id": "objection",
    "arrangement_id": "arrangement",
    "guardian_id": "guardian",
    "subscription_id": "subscription",
    "absence_case_id": "absence",
    "service_request_id": "service_request",
    "handover_id": "handover",
    "incoming_handover_id": "incoming_handover",
    "outflow_id": "outflow",
}
_FIXED = {
    "school_code": SCHOOL,
    "municipality_code": MUNICIPALITY,
    "code": ARRANGEMENT_TYPE,
    "partner": PARTNER,
}
_PARAMETER = re.compile(r"\{([a-z_]+)\}")


def _example_body(operation: Any) -> Any:
    body = operation.request_body
    if body is None:
        return None
    for media in (body.content or {}).values():
        for example in (media.examples or {}).values():
            return example.value
    return {}


def tenant_routes(api: Api) -> list[tuple[str, str, Any]]:
    """(method, path template, example body) of every documented route inside a tenant."""
    routes = []
    for path, item in (api.client.app.openapi_schema.paths or {}).items():
        if not path.startswith("/v1/tenants/{swv_code}"):
            continue
        for method in ("get", "post", "put", "delete"):
            operation = getattr(item, method, None)
            if operation is not None:
                routes.append((method.upper(), path, _example_body(operation)))
    return routes


def fill(path: str, tenant: str, world: dict[str, str]) -> str:
    values = {"swv_code": tenant, **_FIXED} | {k: world[v] for k, v in _WORLD_IDS.items()}
    return _PARAMETER.sub(lambda m: values[m[1]], path)


@pytest.fixture(scope="module")
async def tenants(api: Api) -> tuple[TenantId, TenantId]:
    return await open_tenant(api), await open_tenant(api)


def outsiders(api: Api, other: str) -> dict[str, dict[str, str]]:
    """Every role of another tenant, bound to the same school and municipality, and the operator."""
    tokens = {
        f"{role} of {other}": api.as_(
            other, role, school=SCHOOL, municipality=MUNICIPALITY, subject="outsider"
        )
        for role in Role
    }
    tokens["platform-operator"] = api.operator()
    return tokens


async def test_the_matrix_covers_every_tenant_route(api: Api) -> None:
    paths = {path for _, path, _ in tenant_routes(api)}
    assert {"/v1/tenants/{swv_code}/pupils", "/v1/tenants/{swv_code}/platform-log"} <= paths
    assert len(paths) > 30


async def test_no_role_of_another_tenant_and_no_operator_reaches_a_tenant_route(
    api: Api, tenants: tuple[TenantId, TenantId], database_dsns: tuple[str, str]
) -> None:
    own, other = tenants
    world = await build_world(api, own) | await partner_world(api, own, "{subscription}")
    world |= await seeds_world(api, own, world["pupil"])
    secrets = {world[name] for name in _WORLD_IDS.values() if name != "guardian"}
    before = await head_position(database_dsns[0], own)
    wrong = []
    for method, template, body in tenant_routes(api):
        path = fill(template, own, world)
        for who, headers in outsiders(api, other).items():
            response = await api.call(method, path, headers, body)
            leaked = [s for s in secrets if s in response.text and s not in path]
            if response.status_code != 404 or leaked:
                wrong.append(f"{method} {template} as {who}: {response.status_code} {leaked}")
    assert not wrong, "\n".join(wrong)
    assert await head_position(database_dsns[0], own) == before
