"""A pupil's timeline: the whole story in order, blanked for auditors, every read recorded."""

from __future__ import annotations

import pytest

from api.auth import Role
from tests.api.conftest import Api, open_tenant
from tests.api.world import build_world

pytestmark = pytest.mark.integration

WHY = {"Purpose": "Toezicht, art. 11 WOT"}


async def test_an_auditor_reads_a_pupils_story_in_order_without_personal_fields(
    api: Api,
) -> None:
    world = await build_world(api, await open_tenant(api))
    tenant, pupil = world["tenant"], world["pupil"]
    auditor = {**api.as_(tenant, Role.AUDITOR), **WHY}
    path = f"/v1/tenants/{tenant}/pupils/{pupil}/timeline"

    first = await api.ok("GET", f"{path}?limit=5", auditor)
    rest = await api.ok("GET", f"{path}?after={first['next_after']}&limit=1000", auditor)
    staff = await api.ok("GET", f"{path}?limit=1", {**api.as_(tenant, Role.LOKET), **WHY})
    accesses = (await api.ok("GET", f"/v1/tenants/{tenant}/log/accesses", auditor))["accesses"]

    entries = first["entries"] + rest["entries"]
    positions = [e["position"] for e in entries]
    assert positions == sorted(set(positions))
    assert rest["next_after"] is None
    streams = {e["stream_id"] for e in entries}
    assert {pupil, world["request"], world["tlv"], world["objection"]} <= streams
    registered = entries[0]
    assert registered["stream_id"] == pupil
    assert registered["data"]["name"] is None
    assert "name" in registered["redacted"]
    assert staff["entries"][0]["data"]["name"] == "Sam de Vries"
    granted = next(e for e in entries if e["type"] == "SupportRequestGranted")
    assert (granted["business_date"], granted["policy_version"]) == ("2025-03-20", "OP-2024.1")
    assert [(a["action"], a["subject_id"]) for a in accesses] == [("timeline", pupil)] * 3
    assert accesses[0]["fields"] == []
    assert "name" in accesses[2]["fields"]


async def test_a_timeline_read_without_a_purpose_is_refused(api: Api) -> None:
    world = await build_world(api, await open_tenant(api))
    path = f"/v1/tenants/{world['tenant']}/pupils/{world['pupil']}/timeline"

    response = await api.call("GET", path, api.as_(world["tenant"], Role.AUDITOR))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Purpose"
