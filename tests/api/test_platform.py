"""The platform operator opens, suspends and reinstates tenants; the auditor reads it all."""

from __future__ import annotations

from api.auth import Role
from tests.api.conftest import Api, open_tenant
from tests.api.test_problems import head_position

PUPIL = {"name": "Noor", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"}


async def test_a_suspended_tenant_is_read_but_not_changed_and_its_auditor_sees_why(
    api: Api, database_dsns: tuple[str, str]
) -> None:
    tenant = await open_tenant(api)
    operator, loket = api.operator(), api.as_(tenant, Role.LOKET)
    platform = f"/v1/platform/tenants/{tenant}"
    await api.ok("POST", f"{platform}/suspension", operator, {"reason": "Contract beëindigd."})
    before = await head_position(database_dsns[0], tenant)
    refused = await api.call("POST", f"/v1/tenants/{tenant}/pupils", loket, PUPIL)
    assert refused.status_code == 423, refused.text
    assert await head_position(database_dsns[0], tenant) == before
    assert (await api.call("GET", f"/v1/tenants/{tenant}/configuration", loket)).status_code == 200
    assert (await api.ok("GET", platform, operator))["suspended"] is True
    await api.ok("POST", f"{platform}/reinstatement", operator, {"reason": "Contract verlengd."})
    await api.ok("POST", f"/v1/tenants/{tenant}/pupils", loket, PUPIL)
    log = await api.ok("GET", f"/v1/tenants/{tenant}/platform-log", api.as_(tenant, Role.AUDITOR))
    assert [(e["type"], e["actor"]) for e in log["events"]] == [
        ("TenancyOpened", "platform-operator:platform-operator"),
        ("TenancySuspended", "platform-operator:platform-operator"),
        ("TenancyReinstated", "platform-operator:platform-operator"),
    ]
    assert log["events"][1]["data"]["reason"] == "Contract beëindigd."


async def test_the_operator_reads_no_tenant_and_changes_no_configuration(api: Api) -> None:
    tenant = await open_tenant(api)
    operator = api.operator()
    for method, path, body in (
        ("GET", f"/v1/tenants/{tenant}/me", None),
        ("GET", f"/v1/tenants/{tenant}/configuration", None),
        ("PUT", f"/v1/tenants/{tenant}/configuration/committee", {"committee_name": "X"}),
        ("GET", f"/v1/tenants/{tenant}/platform-log", None),
    ):
        assert (await api.call(method, path, operator, body)).status_code == 404


async def test_an_swv_admin_configures_only_its_own_tenant(api: Api) -> None:
    mine, theirs = await open_tenant(api), await open_tenant(api)
    response = await api.call(
        "PUT",
        f"/v1/tenants/{theirs}/configuration/committee",
        api.admin(mine),
        {"committee_name": "Overgenomen"},
    )
    assert response.status_code == 404
    await api.ok(
        "PUT",
        f"/v1/tenants/{mine}/configuration/committee",
        api.admin(mine),
        {"committee_name": "TLC"},
    )
