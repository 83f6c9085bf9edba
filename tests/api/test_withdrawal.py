"""The school withdraws its own request over HTTP; the case leaves its open caseload."""

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import OTHER_SCHOOL, Api, open_tenant
from tests.api.world import build_world


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    return await build_world(api, await open_tenant(api))


async def test_the_school_withdraws_its_request_and_no_decision_follows(
    api: Api, world: dict[str, str]
) -> None:
    tenant = TenantId(world["tenant"])
    case = f"/v1/tenants/{tenant}/support-requests/{world['request']}"
    school = api.as_(tenant, Role.SCHOOL)
    withdrawn = await api.ok("POST", f"{case}/withdrawal", school, {"reason": "Verhuist."})
    events = (await api.ok("GET", case, school))["events"]
    assert events[-1]["type"] == "SupportRequestWithdrawn"
    assert events[-1]["version"] == withdrawn["version"]
    decision = await api.call(
        "POST",
        f"{case}/decision",
        api.as_(tenant, Role.COMMITTEE),
        {"outcome": "REFUSED", "reasons": "Nee."},
    )
    assert decision.status_code == 409
    assert decision.json()["type"].endswith("/request-withdrawn")


async def test_another_school_cannot_withdraw_a_request_it_did_not_submit(
    api: Api, world: dict[str, str]
) -> None:
    tenant = TenantId(world["tenant"])
    case = f"/v1/tenants/{tenant}/support-requests/{world['arrangement_request']}"
    other = api.as_(tenant, Role.SCHOOL, school=OTHER_SCHOOL)
    response = await api.call("POST", f"{case}/withdrawal", other, {"reason": "Weg."})
    assert response.status_code == 404
