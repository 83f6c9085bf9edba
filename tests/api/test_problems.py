"""Every failure is an RFC 9457 problem, names the field at fault, and records nothing."""

import asyncpg
import httpx
import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import Api, open_tenant
from tests.api.world import build_world


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    return await build_world(api, await open_tenant(api))


def is_problem(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["status"] == status
        and "Traceback" not in response.text
    )


async def test_an_unknown_field_is_refused_by_name(api: Api, world: dict[str, str]) -> None:
    response = await api.call(
        "POST",
        f"/v1/tenants/{world['tenant']}/pupils",
        api.as_(world["tenant"], Role.LOKET),
        {"name": "N", "date_of_birth": "2018-01-02", "municipality_code": "GM0632", "bsn": "1"},
    )
    assert is_problem(response, 422)
    assert response.json()["errors"] == [
        {
            "field": "bsn",
            "pointer": "/bsn",
            "message": "Object contains unknown field `bsn`",
            "source": "body",
        }
    ]


async def test_a_missing_or_malformed_field_is_named(api: Api, world: dict[str, str]) -> None:
    path = f"/v1/tenants/{world['tenant']}/pupils"
    loket = api.as_(world["tenant"], Role.LOKET)
    missing = await api.call("POST", path, loket, {"name": "N", "date_of_birth": "2018-01-02"})
    malformed = await api.call(
        "POST", path, loket, {"name": "N", "date_of_birth": "2 jan", "municipality_code": "GM0632"}
    )
    assert is_problem(missing, 422)
    assert [e["field"] for e in missing.json()["errors"]] == ["municipality_code"]
    assert is_problem(malformed, 422)
    assert [e["field"] for e in malformed.json()["errors"]] == ["date_of_birth"]


async def test_a_body_that_is_not_json_is_a_bad_request(api: Api, world: dict[str, str]) -> None:
    response = await api.client.post(
        f"/v1/tenants/{world['tenant']}/pupils",
        headers={**api.as_(world["tenant"], Role.LOKET), "Content-Type": "application/json"},
        content=b'{"name": ',
    )
    assert is_problem(response, 400)


async def test_an_oversized_body_is_refused_before_it_is_read(
    api: Api, world: dict[str, str]
) -> None:
    response = await api.client.post(
        f"/v1/tenants/{world['tenant']}/pupils",
        headers=api.as_(world["tenant"], Role.LOKET),
        content=b'{"name": "' + b"x" * 1_100_000 + b'"}',
    )
    assert is_problem(response, 413)


async def test_a_malformed_idempotency_key_or_if_match_is_named(
    api: Api, world: dict[str, str]
) -> None:
    path = f"/v1/tenants/{world['tenant']}/pupils/{world['pupil']}/zorgplicht-extensions"
    loket = api.as_(world["tenant"], Role.LOKET)
    bad_key = await api.call("POST", path, {**loket, "Idempotency-Key": "twice"})
    bad_version = await api.call("POST", path, {**loket, "If-Match": '"three"'})
    assert is_problem(bad_key, 422)
    assert bad_key.json()["errors"][0]["field"] == "Idempotency-Key"
    assert is_problem(bad_version, 422)
    assert bad_version.json()["errors"][0]["field"] == "If-Match"


SUSPENSION = {"reason": "x", "complete_by": "2030-01-01"}


async def test_a_stale_if_match_is_a_failed_precondition_and_records_nothing(
    api: Api, world: dict[str, str]
) -> None:
    case = f"/v1/tenants/{world['tenant']}/support-requests/{world['request']}"
    loket = api.as_(world["tenant"], Role.LOKET)
    current = await api.call("GET", case, loket)
    version = current.json()["version"]
    assert current.headers["etag"] == f'"{version}"'
    before = (await api.ok("GET", case, loket))["events"][-1]["position"]
    stale = await api.call(
        "POST", f"{case}/suspensions", {**loket, "If-Match": f'"{version - 1}"'}, SUSPENSION
    )
    assert is_problem(stale, 412)
    assert stale.json()["current_version"] == version
    assert (await api.ok("GET", case, loket))["version"] == version
    fresh = await api.call(
        "POST", f"{case}/suspensions", {**loket, "If-Match": f'"{version}"'}, SUSPENSION
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == f'"{version + 1}"'
    assert fresh.json()["position"] > before


async def test_a_second_decision_is_a_conflict(api: Api, world: dict[str, str]) -> None:
    case = f"/v1/tenants/{world['tenant']}/support-requests/{world['arrangement_request']}"
    response = await api.call(
        "POST",
        f"{case}/decision",
        api.as_(world["tenant"], Role.COMMITTEE),
        {"outcome": "REFUSED", "reasons": "Toch niet."},
    )
    assert is_problem(response, 409)
    assert response.json()["type"].endswith("/request-already-decided")


async def test_a_rule_violation_is_unprocessable(api: Api, world: dict[str, str]) -> None:
    response = await api.call(
        "POST",
        f"/v1/tenants/{world['tenant']}/pupils/{world['pupil']}/residence-changes",
        api.as_(world["tenant"], Role.LOKET),
        {"municipality_code": "Woerden"},
    )
    assert is_problem(response, 422)
    assert response.json()["type"].endswith("/invalid-value")
    assert "GM plus four digits" in response.json()["detail"]


async def head_position(admin_dsn: str, tenant: str) -> int:
    connection = await asyncpg.connect(admin_dsn)
    try:
        position = await connection.fetchval(
            "SELECT last_position FROM tenant_heads WHERE tenant_id = $1", tenant
        )
    finally:
        await connection.close()
    return int(position)


async def test_refused_commands_leave_the_tenant_log_unchanged(
    api: Api, database_dsns: tuple[str, str]
) -> None:
    tenant: TenantId = await open_tenant(api)
    world = await build_world(api, tenant)
    before = await head_position(database_dsns[0], tenant)
    base = f"/v1/tenants/{tenant}"
    attempts = [
        ("POST", f"{base}/pupils/{world['pupil']}/shredding", api.as_(tenant, Role.SCHOOL), None),
        (
            "POST",
            f"{base}/support-requests/{world['request']}/decision",
            api.as_(tenant, Role.COMMITTEE),
            {"outcome": "GRANTED", "reasons": "Ja."},
        ),
        (
            "POST",
            f"{base}/pupils",
            api.as_(tenant, Role.LOKET),
            {"name": " ", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"},
        ),
        (
            "POST",
            f"{base}/tlvs/redemptions",
            api.as_(tenant, Role.LOKET),
            {"beschikkingsnummer": world["beschikkingsnummer"], "school_code": "12AB00"},
        ),
        ("POST", "/v1/platform/tenants", api.operator(), {"code": tenant, "name": "Dubbel"}),
        (
            "POST",
            f"{base}/configuration",
            api.admin(tenant),
            {
                "name": "Dubbel",
                "committee_name": "TLC",
                "policy_version": "OP-1",
                "policy_effective_from": "2024-08-01",
            },
        ),
    ]
    for method, path, headers, body in attempts:
        response = await api.call(method, path, headers, body)
        assert response.status_code in {403, 409, 422}, response.text
    assert await head_position(database_dsns[0], tenant) == before
    staff = api.as_(tenant, Role.LOKET)
    case = await api.ok("GET", f"{base}/support-requests/{world['request']}", staff)
    assert case["state"]["outcome"] is None


async def test_opening_a_tenant_needs_a_platform_operator(api: Api) -> None:
    for role in (Role.LOKET, Role.SWV_ADMIN):
        response = await api.call(
            "POST", "/v1/platform/tenants", api.as_("PO0001", role), {"code": "PO0001", "name": "X"}
        )
        assert is_problem(response, 403)


async def test_a_date_off_the_calendar_is_unprocessable_not_a_server_error(
    api: Api, world: dict[str, str]
) -> None:
    base = f"/v1/tenants/{world['tenant']}"
    staff = api.as_(world["tenant"], Role.LOKET, Role.COMMITTEE)
    attempts = [
        (
            f"{base}/arrangements",
            {
                "support_request_id": world["arrangement_request"],
                "provider": "De Brug",
                "amount": 4,
                "start_on": "9999-12-31",
            },
        ),
        (
            f"{base}/support-requests/{world['request']}/suspensions",
            {
                "reason": "Wacht op het verslag.",
                "suspended_on": "9999-12-30",
                "complete_by": "2025-12-31",
            },
        ),
        (
            f"{base}/pupils",
            {"name": "Noor", "date_of_birth": "0001-01-01", "municipality_code": "GM0632"},
        ),
    ]
    for path, body in attempts:
        response = await api.call("POST", path, staff, body)
        assert is_problem(response, 422), response.text
        assert response.json()["type"].endswith("/invalid-value")
        assert "is not a plausible date" in response.json()["detail"]


async def test_an_implausibly_large_amount_is_refused_naming_the_field(
    api: Api, world: dict[str, str]
) -> None:
    base = f"/v1/tenants/{world['tenant']}"
    staff = api.as_(world["tenant"], Role.LOKET, Role.COMMITTEE)
    response = await api.call(
        "POST",
        f"{base}/arrangements",
        staff,
        {
            "support_request_id": world["arrangement_request"],
            "provider": "De Brug",
            "amount": 10**40,
            "start_on": "2025-03-01",
        },
    )
    assert is_problem(response, 422), response.text
    assert "amount" in response.text
