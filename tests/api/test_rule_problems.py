"""A refusal by a decision rule points at the field(s) it is about; a state conflict at none."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.api.conftest import Api, open_tenant
from tests.api.test_problems import head_position
from tests.api.world import build_world


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    return await build_world(api, await open_tenant(api))


async def refusal(
    api: Api, world: dict[str, str], path: str, body: dict[str, Any], *roles: Role
) -> dict[str, Any]:
    tenant = world["tenant"]
    response = await api.call("POST", f"/v1/tenants/{tenant}/{path}", api.as_(tenant, *roles), body)
    assert response.status_code in {409, 422}, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    return problem


def pointers(problem: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["source"], e.get("pointer") or e["field"]) for e in problem["errors"]]


async def test_a_malformed_municipality_code_points_at_the_code(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    response = await api.call(
        "POST",
        f"/v1/tenants/{tenant}/configuration/municipalities",
        api.admin(tenant),
        {"code": "GM12", "name": "Nergens"},
    )
    assert response.status_code == 422
    assert "is not a CBS municipality code" in response.json()["detail"]
    assert pointers(response.json()) == [("body", "/code")]


async def test_tlv_terms_that_do_not_fit_the_decision_point_at_each_of_them(
    api: Api, world: dict[str, str]
) -> None:
    problem = await refusal(
        api,
        world,
        f"support-requests/{world['granted']}/decision",
        {"outcome": "GRANTED", "reasons": "x", "funding_category": "LOW"},
        Role.COMMITTEE,
    )
    assert problem["status"] == 409  # decided already: the state, no field
    assert problem["errors"] == []
    objection = await refusal(
        api,
        world,
        f"objections/{world['objection']}/decision",
        {
            "outcome": "UPHELD",
            "reasons": "Terecht.",
            "tlv_consequence": "NONE",
            "valid_from": "2025-04-01",
            "valid_until": "2027-07-31",
        },
        Role.COMMITTEE,
    )
    assert objection["status"] == 422
    assert pointers(objection) == [
        ("body", "/funding_category"),
        ("body", "/valid_from"),
        ("body", "/valid_until"),
    ]


async def test_an_arrangement_that_ends_before_it_starts_points_at_its_end(
    api: Api, world: dict[str, str]
) -> None:
    problem = await refusal(
        api,
        world,
        f"arrangements/{world['arrangement']}/early-end",
        {"ended_on": "2025-01-01", "reason": "Vergissing."},
        Role.COMMITTEE,
    )
    assert "cannot end on 2025-01-01" in problem["detail"]
    assert pointers(problem) == [("body", "/ended_on")]


async def test_a_rule_about_the_object_in_the_path_names_the_path_parameter(
    api: Api, world: dict[str, str]
) -> None:
    problem = await refusal(
        api, world, f"support-requests/{world['request']}/resumptions", {}, Role.LOKET
    )
    assert problem["type"].endswith("/application-not-suspended")
    assert pointers(problem) == [("path", "request_id")]


async def test_a_reference_the_swv_has_not_configured_points_into_the_body(
    api: Api, world: dict[str, str]
) -> None:
    problem = await refusal(
        api,
        world,
        f"pupils/{world['pupil']}/enrolments",
        {"school_code": "99ZZ00"},
        Role.LOKET,
    )
    assert pointers(problem) == [("body", "/school_code")]


async def test_configuring_a_configured_tenant_again_is_a_conflict_that_records_nothing(
    api: Api, world: dict[str, str], database_dsns: tuple[str, str]
) -> None:
    tenant = world["tenant"]
    before = await head_position(database_dsns[0], tenant)
    response = await api.call(
        "POST",
        f"/v1/tenants/{tenant}/configuration",
        api.admin(tenant),
        {
            "name": "Dubbel",
            "committee_name": "TLC",
            "policy_version": "OP-9",
            "policy_effective_from": "2024-08-01",
        },
    )
    assert response.status_code == 409, response.text
    assert response.json()["type"].endswith("/duplicate-configuration")
    assert response.json()["errors"] == []
    assert await head_position(database_dsns[0], tenant) == before
