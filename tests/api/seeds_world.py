"""The thuiszitter and service cases the route tests act on, built through the API."""

from __future__ import annotations

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import SCHOOL, Api

SERVICE = "observatie"


async def seeds_world(api: Api, tenant: TenantId, pupil: str) -> dict[str, str]:
    """Ids of an open absence case and an open service request of ``pupil`` at SCHOOL.

    ``absence`` and ``service_request``, by name; the service is SERVICE, a provision.
    """
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    catalogue = await api.call("GET", f"{base}/services", api.admin(tenant))
    if not catalogue.json()["services"]:
        await api.ok(
            "POST",
            f"{base}/services",
            api.admin(tenant),
            {"code": SERVICE, "name": "Observatie", "kind": "VOORZIENING", "for_pupils": True},
        )
    case = await api.ok(
        "POST",
        f"{base}/absence-cases",
        staff,
        {
            "pupil_id": pupil,
            "school_code": SCHOOL,
            "absent_since": "2025-09-01",
            "completely_absent": True,
            "reporter": "SCHOOL",
        },
    )
    request = await api.ok(
        "POST",
        f"{base}/service-requests",
        staff,
        {
            "service_code": SERVICE,
            "school_code": SCHOOL,
            "pupil_id": pupil,
            "question": "Wat heeft zij nodig?",
        },
    )
    return {"absence": case["id"], "service_request": request["id"]}
