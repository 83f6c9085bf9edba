"""A partner manages its own subscription only; another partner's is 404 and nothing is written.

Ownership is checked by the handler in its one load of the subscription (the access rule
``partner-of-the-subscription``), and by the reads with the same rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, open_tenant
from tests.api.test_problems import head_position
from tests.partners.support import admin, partner, subscribe

COMMANDS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("POST", "/replays", {"after_position": 0}),
    ("POST", "/secret-rotations", {"overlap_seconds": 60}),
    ("DELETE", "", None),
]
READS = ["", "/attempts", "/webhook-secrets"]


async def leerplicht_subscription(api: Api, tenant: str) -> str:
    return await subscribe(
        api,
        tenant,
        partner="leerplicht",
        legal_basis="LEERPLICHTWET",
        event_types=["nl.passend.pupil.enrolled.v1"],
        transport="PULL",
    )


@pytest.mark.parametrize(("method", "below", "body"), COMMANDS, ids=[c[1] or "/" for c in COMMANDS])
async def test_a_partner_cannot_change_another_partners_subscription(
    partner_api: Api,
    database_dsns: tuple[str, str],
    method: str,
    below: str,
    body: dict[str, Any] | None,
) -> None:
    api = partner_api
    tenant = await open_tenant(api)
    path = f"/v1/tenants/{tenant}/subscriptions/{await leerplicht_subscription(api, tenant)}"
    before = await head_position(database_dsns[0], tenant)

    response = await api.call(method, path + below, partner(api, tenant, "wijkteam"), body)

    assert response.status_code == 404, response.text
    assert "leerplicht" not in response.text
    assert await head_position(database_dsns[0], tenant) == before


async def test_a_partner_reads_only_its_own_subscription(partner_api: Api) -> None:
    api = partner_api
    tenant = await open_tenant(api)
    path = f"/v1/tenants/{tenant}/subscriptions/{await leerplicht_subscription(api, tenant)}"
    for below in READS:
        stranger = await api.call("GET", path + below, partner(api, tenant, "wijkteam"))
        assert stranger.status_code == 404, (below, stranger.text)
    owner = await api.call("GET", path, partner(api, tenant, "leerplicht"))
    assert owner.status_code == 200, owner.text


async def test_the_partner_and_the_admin_pause_and_resume_it(partner_api: Api) -> None:
    api = partner_api
    tenant = await open_tenant(api)
    path = f"/v1/tenants/{tenant}/subscriptions/{await leerplicht_subscription(api, tenant)}"
    paused = await api.ok("POST", f"{path}/pause", partner(api, tenant, "leerplicht"))
    resumed = await api.ok("POST", f"{path}/resume", admin(api, tenant))
    assert resumed["version"] == paused["version"] + 1
    again = await api.ok("POST", f"{path}/resume", partner(api, tenant, "leerplicht"))
    assert again["version"] == resumed["version"]  # an active subscription stays as it is
