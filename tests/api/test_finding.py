"""Finding pupils through blind indexes, and listing cases, with no name in a URL, index or log."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest

from api.auth import Role
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.api.world import build_world

pytestmark = pytest.mark.integration


async def _eventually(check: Any, *, seconds: float = 20) -> Any:
    """The runner applies events after commit: poll until ``check()`` answers truthy."""
    for _ in range(int(seconds / 0.1)):
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    return await check()


async def test_staff_find_a_pupil_by_name_and_birth_date_through_blind_indexes_only(
    api: Api, database_dsns: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await open_tenant(api)
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE)
    body = {"name": "Sam de Vriës", "date_of_birth": "2017-05-12", "municipality_code": "GM0632"}
    sam = (await api.ok("POST", f"{base}/pupils", staff, {**body, "school_code": SCHOOL}))["id"]
    twin = {**body, "name": "Kim de Vries"}
    await api.ok("POST", f"{base}/pupils", staff, {**twin, "school_code": SCHOOL})
    search = f"{base}/pupil-searches"

    async def found(query: dict[str, str]) -> list[str]:
        result: list[str] = (await api.ok("POST", search, staff, query))["pupil_ids"]
        return result

    async def both_indexed() -> list[str]:
        return found_both if len(found_both := await found(born)) == 2 else []

    born = {"date_of_birth": "2017-05-12"}
    assert len(await _eventually(both_indexed)) == 2  # each registration is applied in turn
    assert await found({"name": "  SAM de vries ", "date_of_birth": "2017-05-12"}) == [sam]
    assert await found({"name": "sam de vriës"}) == [sam]
    assert await found({"name": "Sam de Vries", "date_of_birth": "2017-05-13"}) == []
    empty = await api.call("POST", search, staff, {})
    assert empty.status_code == 422
    assert (await api.call("POST", search, api.as_(tenant, Role.SCHOOL), body)).status_code == 403

    admin = await asyncpg.connect(database_dsns[0])
    try:
        rows = await admin.fetch(
            "SELECT to_jsonb(t)::text FROM read_models.pupil_index t WHERE tenant_id = $1", tenant
        )
    finally:
        await admin.close()
    # Value by value: a bare "2017" may well occur inside some hex digest or id by chance.
    stored = [str(value).casefold() for row in rows for value in json.loads(row[0]).values()]
    assert rows
    assert not [v for v in stored if "vries" in v or "vriës" in v or "2017-05-12" in v]
    assert "2017" not in stored, "no column holds the birth year in the clear"
    logged = "\n".join(r.getMessage() for r in caplog.records).casefold()
    assert "vries" not in logged
    assert "vriës" not in logged

    await api.ok("POST", f"{base}/pupils/{sam}/shredding", staff)

    async def gone() -> bool:
        return (
            await found({"date_of_birth": "2017-05-12"}) != [sam]
            and len(await found({"date_of_birth": "2017-05-12"})) == 1
        )

    assert await _eventually(gone)
    assert await found({"name": "Sam de Vries"}) == []


async def test_staff_list_cases_by_status_school_kind_and_deadline_page_by_page(api: Api) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    staff = api.as_(tenant, Role.LOKET)
    cases = f"/v1/tenants/{tenant}/cases"

    async def caught_up() -> bool:
        # every case of the world is listed only once the runner has applied all its events
        status = await api.ok("GET", f"/v1/tenants/{tenant}/projections/status", api.admin(tenant))
        return all(p["lag_events"] == 0 for p in status["projections"] if p["build"] is not None)

    assert await _eventually(caught_up)
    everything: dict[str, Any] = await api.ok("GET", f"{cases}?page_size=200", staff)
    ids = {c["case_id"] for c in everything["cases"]}
    assert {world["request"], world["granted"], world["tlv"], world["objection"]} <= ids
    first = await api.ok("GET", f"{cases}?page_size=2&page=1", staff)
    second = await api.ok("GET", f"{cases}?page_size=2&page=2", staff)
    assert first["total"] == second["total"] == everything["total"]
    assert not {c["case_id"] for c in first["cases"]} & {c["case_id"] for c in second["cases"]}
    granted = await api.ok("GET", f"{cases}?status=GRANTED&school={SCHOOL}", staff)
    assert granted["cases"]
    assert {c["status"] for c in granted["cases"]} == {"GRANTED"}
    tlvs = await api.ok("GET", f"{cases}?kind=TLV", staff)
    assert [c["case_id"] for c in tlvs["cases"]] == [world["tlv"]]
    due = await api.ok("GET", f"{cases}?due_by=2000-01-01", staff)
    assert due["cases"] == []
    assert "name" not in str(everything).casefold()
