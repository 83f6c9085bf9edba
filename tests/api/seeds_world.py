"""The thuiszitter, service and handover cases the route tests act on, built through the API."""

from __future__ import annotations

from uuid import UUID, uuid5

from api.auth import Role
from application.aggregate_ids import PUPIL_IDS
from application.handlers.handovers import incoming_id_for
from domain.ids import TenantId
from tests.api.conftest import SCHOOL, Api, open_tenant

SERVICE = "observatie"
OFF_PLATFORM = "VO2606"  # reserved in tests/tenant_codes.py: never on the platform in a test
_senders: dict[str, TenantId] = {}


async def seeds_world(api: Api, tenant: TenantId, pupil: str) -> dict[str, str]:
    """Ids of open cases of ``pupil`` at SCHOOL, by name.

    ``absence`` and ``service_request`` (SERVICE, a provision); ``handover``, exported for an
    SWV off the platform; ``incoming_handover``, from another tenant, unanswered; ``outflow``;
    ``seeded``: the log's position once all of them are there.
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
    handover = await api.ok("POST", f"{base}/handovers", staff, handover_of(pupil, OFF_PLATFORM))
    # exported, so that its package can be read (for an SWV that is not on the platform)
    await api.call("POST", f"{base}/handovers/{handover['id']}/export", staff)
    outflow = await api.ok(
        "POST",
        f"{base}/outflows",
        staff,
        {"pupil_id": pupil, "destination": "VERVOLGONDERWIJS", "left_on": "2025-07-18"},
    )
    incoming = await incoming_from_elsewhere(api, tenant)
    arrived = await api.ok(
        "GET", f"{base}/incoming-handovers/{incoming['incoming_handover']}", staff
    )
    return {
        "absence": case["id"],
        "service_request": request["id"],
        "handover": handover["id"],
        **incoming,
        "outflow": outflow["id"],
        "seeded": str(max(outflow["position"], arrived["events"][-1]["position"])),
    }


def handover_of(pupil: str, receiving: str) -> dict[str, object]:
    return {
        "pupil_id": pupil,
        "receiving_swv": receiving,
        "consent_given_on": "2025-04-20",
        "consent_channel": "DIGITAL",
        "support_question": "Wat heeft zij nodig in de brugklas?",
    }


async def incoming_from_elsewhere(api: Api, tenant: TenantId) -> dict[str, str]:
    """A handover another tenant on the platform made to ``tenant``, as it arrived there.

    ``incoming_handover`` and ``incoming_pupil``, the id the pupil gets here on acceptance.
    """
    sender = _senders.get(tenant) or await open_tenant(api)
    _senders[tenant] = sender
    staff = api.as_(sender, Role.LOKET, subject="staff")
    pupil = await api.ok(
        "POST",
        f"/v1/tenants/{sender}/pupils",
        staff,
        {"name": "Lotte", "date_of_birth": "2013-01-01", "municipality_code": "GM0632"},
    )
    sent = await api.ok(
        "POST", f"/v1/tenants/{sender}/handovers", staff, handover_of(pupil["id"], tenant)
    )
    return {
        "incoming_handover": str(incoming_id_for(tenant, UUID(sent["id"]))),
        "incoming_pupil": str(uuid5(PUPIL_IDS, f"{tenant}/handover/{sent['id']}")),
    }
