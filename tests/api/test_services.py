"""Services and provisions through the API, from the catalogue to the overview.

A school's requests, hours granted with a municipality's share, delivery within the grant.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from domain.ids import TenantId
from infrastructure.database import Pool
from projections.service_requests import ServiceRequestsProjection
from tests.api.conftest import OTHER_SCHOOL, SCHOOL, Api, open_tenant
from tests.projections.conftest import eventually
from tests.projections.read_models import caught_up

pytestmark = pytest.mark.integration


def fields_of(response_json: dict[str, object]) -> list[object]:
    errors = response_json.get("errors")
    assert isinstance(errors, list)
    return [e["field"] for e in errors]


async def test_a_provision_is_granted_shared_delivered_and_counted(
    api: Api, app_pool: Pool
) -> None:
    tenant: TenantId = await open_tenant(api)
    base = f"/v1/tenants/{tenant}"
    admin, staff = api.admin(tenant), api.as_(tenant, Role.LOKET)
    school = api.as_(tenant, Role.SCHOOL, subject="ib")
    for code, kind, for_pupils in (
        ("observatie", "VOORZIENING", True),
        ("training", "DIENSTVERLENING", False),
    ):
        body = {"code": code, "name": code.title(), "kind": kind, "for_pupils": for_pupils}
        await api.ok("POST", f"{base}/services", admin, body)
    catalogue = await api.ok("GET", f"{base}/services", school)
    assert [s["code"] for s in catalogue["services"]] == ["observatie", "training"]

    pupil = (
        await api.ok(
            "POST",
            f"{base}/pupils",
            school,
            {"name": "Sam", "date_of_birth": "2017-05-12", "municipality_code": "GM0632"},
        )
    )["id"]
    asked = {
        "service_code": "observatie",
        "pupil_id": pupil,
        "question": "Wat past?",
        "requested_on": "2025-09-02",
    }
    observation = (await api.ok("POST", f"{base}/service-requests", school, asked))["id"]
    training_body = {
        "service_code": "training",
        "question": "Teamtraining gedrag.",
        "requested_on": "2025-09-02",
    }
    training = (await api.ok("POST", f"{base}/service-requests", school, training_body))["id"]
    unknown = await api.call(
        "POST", f"{base}/service-requests", school, {**training_body, "service_code": "yoga"}
    )
    assert unknown.status_code == 422
    assert fields_of(unknown.json()) == ["service_code"]

    grant = {
        "hours": 40,
        "provider": "Onderwijs-zorgteam De Brug",
        "start_on": "2025-09-01",
        "end_on": "2026-07-17",
        "decided_on": "2025-09-10",
    }
    requests = f"{base}/service-requests"
    elsewhere = await api.call(
        "POST",
        f"{requests}/{observation}/grant",
        staff,
        {**grant, "municipal_shares": [{"municipality_code": "GM0344", "percent": 50}]},
    )
    assert elsewhere.status_code == 422
    assert fields_of(elsewhere.json()) == ["municipal_shares"]
    shared = {**grant, "municipal_shares": [{"municipality_code": "GM0632", "percent": 50}]}
    await api.ok("POST", f"{requests}/{observation}/grant", staff, shared)
    await api.ok("POST", f"{requests}/{observation}/deliveries", staff, {"hours": 30})
    too_much = await api.call("POST", f"{requests}/{observation}/deliveries", staff, {"hours": 20})
    assert too_much.status_code == 422
    await api.ok("POST", f"{requests}/{training}/withdrawal", school, {})

    other_school = api.as_(tenant, Role.SCHOOL, school=OTHER_SCHOOL, subject="ib-2")
    assert (await api.call("GET", f"{requests}/{observation}", other_school)).status_code == 404
    read = await api.ok("GET", f"{requests}/{observation}", school)
    assert read["state"]["delivered_hours"] == 30
    assert read["state"]["school_code"] == SCHOOL

    projection = (ServiceRequestsProjection(),)
    await eventually(lambda: caught_up(app_pool, tenant, projection), timeout_s=30)
    year = {s["service_code"]: s for s in (await overview(api, tenant, staff))["services"]}
    assert (year["observatie"]["granted"], year["observatie"]["hours_granted"]) == (1, 40)
    assert year["observatie"]["hours_delivered"] == 30
    assert year["training"]["withdrawn"] == 1
    shares = (await overview(api, tenant, staff))["municipal_shares"]
    assert shares == [{"municipality_code": "GM0632", "provisions": 1, "hours": 20.0}]
    assert (await overview(api, tenant, other_school))["services"] == []


async def overview(api: Api, tenant: str, headers: dict[str, str]) -> dict[str, Any]:
    return await api.ok("GET", f"/v1/tenants/{tenant}/services/overview?school_year=2025", headers)
