"""A municipality sees a case only once it is disclosed to it, and then only the fields named."""

from __future__ import annotations

import pytest

from api.auth import Role
from tests.api.conftest import MUNICIPALITY, Api, open_tenant
from tests.api.world import build_world

pytestmark = pytest.mark.integration


async def test_a_disclosure_shows_the_municipality_exactly_the_fields_it_names(api: Api) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    municipality = api.as_(tenant, Role.MUNICIPALITY, municipality=MUNICIPALITY)
    listed = f"{base}/municipalities/{MUNICIPALITY}/disclosures"
    assert (await api.ok("GET", listed, municipality))["cases"] == []  # figures only so far

    await api.ok(
        "POST",
        f"{base}/support-requests/{world['granted']}/disclosures",
        staff,
        {
            "municipality_code": MUNICIPALITY,
            "legal_basis": "LEERPLICHT",
            "fields": ["name", "school_code", "decision"],
            "disclosed_on": "2025-04-02",
        },
    )

    [case] = (await api.ok("GET", listed, municipality))["cases"]
    assert case["legal_basis"] == "LEERPLICHT"
    assert case["data"] == {"decision": "GRANTED", "name": "Sam de Vries", "school_code": "12AB00"}
    elsewhere = api.as_(tenant, Role.MUNICIPALITY, municipality="GM1904")
    other_list = f"{base}/municipalities/GM1904/disclosures"
    assert (await api.call("GET", listed, elsewhere)).status_code == 404
    assert (await api.ok("GET", other_list, elsewhere))["cases"] == []
    officer = api.as_(tenant, Role.PRIVACY_OFFICER)
    report = await api.ok("GET", f"{base}/pupils/{world['pupil']}/subject-access", officer)
    assert report["recipients"] == [
        {
            "recipient": f"municipality {MUNICIPALITY}",
            "legal_basis": "LEERPLICHT",
            "fields": ["decision", "name", "school_code"],
            "on": "2025-04-02",
            "case_id": world["granted"],
        }
    ]


async def test_a_case_is_disclosed_only_to_the_pupils_own_municipality(api: Api) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    staff = api.as_(tenant, Role.LOKET, subject="staff")
    response = await api.call(
        "POST",
        f"/v1/tenants/{tenant}/support-requests/{world['granted']}/disclosures",
        staff,
        {"municipality_code": "GM1904", "legal_basis": "JEUGDWET", "fields": ["name"]},
    )
    assert response.status_code == 422
    assert "GM0632" in response.json()["detail"]
