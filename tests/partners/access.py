"""The partner routes in the access matrix (tests/api/test_access_matrix.py), and their world."""

from __future__ import annotations

import asyncio
from typing import Any

from api.auth import Role
from tests.api.conftest import Api
from tests.partners.support import subscribe

S, L, C, P = Role.SCHOOL, Role.LOKET, Role.COMMITTEE, Role.PARTNER
ADMIN = Role.SWV_ADMIN
MANAGES = {ADMIN, P}
TENANT = "/v1/tenants/{tenant}"
SUBSCRIPTION = f"{TENANT}/subscriptions/{{subscription}}"
FEED = f"{TENANT}/feeds/{{subscription}}"
# The matrix calls as subject "someone"; the world's subscription is that partner's.
PARTNER = "someone"

PARTNER_ROUTES: list[tuple[str, str, set[Role], dict[str, Any] | None]] = [
    (
        "POST",
        f"{TENANT}/subscriptions",
        {ADMIN},
        {
            "partner": PARTNER,
            "legal_basis": "LEERPLICHTWET",
            "event_types": ["nl.passend.pupil.enrolled.v1"],
            "transport": "PULL",
        },
    ),
    ("GET", f"{TENANT}/subscriptions", MANAGES, None),
    ("GET", SUBSCRIPTION, MANAGES, None),
    ("GET", f"{SUBSCRIPTION}/attempts", MANAGES, None),
    ("GET", f"{SUBSCRIPTION}/webhook-secrets", MANAGES, None),
    ("POST", f"{SUBSCRIPTION}/secret-rotations", MANAGES, {"overlap_seconds": 60}),
    ("POST", f"{SUBSCRIPTION}/replays", MANAGES, {"after_position": 0}),
    ("POST", f"{SUBSCRIPTION}/pause", MANAGES, None),
    ("POST", f"{SUBSCRIPTION}/resume", MANAGES, None),
    ("DELETE", SUBSCRIPTION, MANAGES, None),
    ("GET", f"{FEED}/events", {P}, None),
    ("GET", f"{FEED}/stream?idle_timeout=0", {P}, None),
    ("POST", f"{TENANT}/pupils/{{pupil}}/consents", {S, L, C}, {"partner": PARTNER}),
    ("DELETE", f"{TENANT}/pupils/{{pupil}}/consents/someone", {S, L, C}, None),
]


async def partner_world(api: Api, tenant: str, path: str) -> dict[str, str]:
    """A subscription of ``someone``, readable as a feed, when ``path`` needs one."""
    if "{subscription}" not in path and "/consents/someone" not in path:
        return {}
    subscription = await subscribe(
        api,
        tenant,
        partner=PARTNER,
        legal_basis="PARENTAL_CONSENT",
        event_types=["nl.passend.pupil.enrolled.v1"],
        transport="PULL",
    )
    feed = f"/v1/tenants/{tenant}/feeds/{subscription}/events"
    headers = api.as_(tenant, Role.PARTNER, subject=PARTNER)
    for _ in range(100):
        if (await api.call("GET", feed, headers)).status_code == 200:
            break
        await asyncio.sleep(0.05)
    return {"subscription": subscription}
