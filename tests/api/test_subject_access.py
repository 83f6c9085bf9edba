"""A pupil's subject access report (AVG art. 15): all of its personal data, none of another's."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from api.auth import Role
from application.ports import EventStore
from domain.personal import personal_fields
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.api.world import build_world

pytestmark = pytest.mark.integration


def _personal_values(value: Any) -> list[str]:
    return [str(v) for v in msgspec.to_builtins([value]) if v is not None]


async def test_the_export_holds_every_personal_field_of_the_pupil_and_none_of_another(
    api: Api, pg_store: EventStore
) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, subject="staff")
    other = await api.ok(
        "POST",
        f"{base}/pupils",
        staff,
        {
            "name": "Bente Bakker",
            "date_of_birth": "2016-02-29",
            "municipality_code": "GM0632",
            "school_code": SCHOOL,
        },
    )
    other_request = await api.ok(
        "POST",
        f"{base}/support-requests",
        staff,
        {
            "pupil_id": other["id"],
            "school_code": SCHOOL,
            "tlv_type": "SO",
            "question": "Bente rekent niet mee: dyscalculie?",
            "parent_view": "AGREE",
            "received_on": "2025-03-03",
        },
    )
    store = pg_store  # the same database as the app's
    others = {other["id"], other_request["id"]}
    held: dict[bool, list[str]] = {True: [], False: []}
    for recorded in await store.read_log(tenant, limit=10_000):
        for name in personal_fields(type(recorded.event)):
            mine = str(recorded.stream_id) not in others
            held[mine] += _personal_values(vars(recorded.event)[name])
    assert held[True]
    assert held[False]
    officer = api.as_(tenant, Role.PRIVACY_OFFICER, subject="fg")

    response = await api.call("GET", f"{base}/pupils/{world['pupil']}/subject-access", officer)
    page = await api.call("GET", f"{base}/pupils/{world['pupil']}/subject-access/page", officer)

    assert response.status_code == 200, response.text
    report = response.json()
    shown = [
        str(record["data"][name])
        for record in report["records"]
        for name in record["personal_fields"]
        if record["data"][name] is not None
    ]
    assert sorted(shown) == sorted(held[True])
    assert not [v for v in held[False] if v in response.text]
    assert {s["kind"] for s in report["data_held"]} == {"subject", "dossier", "decision"}
    assert all(s["purpose"] and s["legal_basis"] and s["retention"] for s in report["data_held"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Sam de Vries" in page.text
    assert "Toelaatbaar tot het SO." in page.text
    assert not [v for v in held[False] if v in page.text]


async def test_only_the_privacy_officer_may_ask_for_a_pupils_subject_access_report(
    api: Api,
) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    path = f"/v1/tenants/{tenant}/pupils/{world['pupil']}/subject-access"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE, Role.AUDITOR)
    assert (await api.call("GET", path, staff)).status_code == 403
    unknown = path.replace(world["pupil"], "00000000-0000-4000-8000-000000000000")
    officer = api.as_(tenant, Role.PRIVACY_OFFICER)
    assert (await api.call("GET", unknown, officer)).status_code == 404
