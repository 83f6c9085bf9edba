"""The read models' routes: who sees which caseload, deadlines, figures and projection status."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.auth import Role
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from projections.deadlines_due import DEFAULT_LIMIT
from tests.api.conftest import MUNICIPALITY, OTHER_SCHOOL, SCHOOL, Api
from tests.api.world import projected_world
from tests.projections.read_models import READ_MODELS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def world(api: Api, app_pool: Pool, codec: EventCodec) -> AsyncIterator[dict[str, str]]:
    async with projected_world(api, app_pool, codec) as world:
        yield world


async def test_a_school_sees_its_own_caseload_and_no_other_schools(
    api: Api, world: dict[str, str]
) -> None:
    base = f"/v1/tenants/{world['tenant']}/schools"
    school = api.as_(world["tenant"], Role.SCHOOL)

    own = await api.ok("GET", f"{base}/{SCHOOL}/caseload?as_of=2025-03-25", school)
    other = await api.call("GET", f"{base}/{OTHER_SCHOOL}/caseload", school)

    [pupil] = own["pupils"]
    assert pupil["pupil_id"] == world["pupil"]
    assert {c["case_id"] for c in pupil["cases"]} >= {world["request"], world["tlv"]}
    assert other.status_code == 404
    staff = api.as_(world["tenant"], Role.LOKET)
    assert (await api.ok("GET", f"{base}/{OTHER_SCHOOL}/caseload", staff))["pupils"] == []


async def test_a_municipality_cannot_reach_any_caseload_or_deadlines(
    api: Api, world: dict[str, str]
) -> None:
    municipality = api.as_(world["tenant"], Role.MUNICIPALITY)
    base = f"/v1/tenants/{world['tenant']}"

    for path in (f"{base}/schools/{SCHOOL}/caseload", f"{base}/deadlines"):
        assert (await api.call("GET", path, municipality)).status_code == 403


async def test_a_municipality_reads_its_own_figures_only_and_never_a_small_count(
    api: Api, world: dict[str, str]
) -> None:
    base = f"/v1/tenants/{world['tenant']}/municipalities"
    municipality = api.as_(world["tenant"], Role.MUNICIPALITY)

    own = await api.ok("GET", f"{base}/{MUNICIPALITY}/figures", municipality)
    own_months = await api.ok(
        "GET", f"{base}/{MUNICIPALITY}/figures?granularity=month", municipality
    )
    other = await api.call("GET", f"{base}/GM1904/figures", municipality)

    assert own["cells"]
    assert {c["count"] for c in own["cells"]} == {"<5"}, "one pupil's cases are all small"
    assert all(c["amount"] is None for c in own["cells"])
    assert own_months["cells"] == [], "the months of a small school year are withheld"
    assert "pupil" not in str(own)
    assert other.status_code == 404


async def test_the_loket_lists_deadlines_and_the_status_of_each_read_model(
    api: Api, world: dict[str, str]
) -> None:
    base = f"/v1/tenants/{world['tenant']}"
    loket = api.as_(world["tenant"], Role.LOKET)

    listed = await api.ok("GET", f"{base}/deadlines?as_of=2025-03-25&kind=LBT_REQUEST", loket)
    status = await api.ok("GET", f"{base}/projections/status", api.admin(world["tenant"]))

    assert [i["case_id"] for i in listed["items"]] == [world["objection"]]
    assert {p["projection"] for p in status["projections"]} >= {p.name for p in READ_MODELS}
    assert all(p["lag_events"] == 0 for p in status["projections"] if p["build"] is not None)
    school = api.as_(world["tenant"], Role.SCHOOL)
    assert (await api.call("GET", f"{base}/projections/status", school)).status_code == 403


async def test_deadlines_answer_a_page_and_its_access_entry_names_the_pupils_on_it(
    api: Api, world: dict[str, str]
) -> None:
    base = f"/v1/tenants/{world['tenant']}"
    loket = api.as_(world["tenant"], Role.LOKET, subject="pager")
    auditor = api.as_(world["tenant"], Role.AUDITOR)
    documented = api.client.app.openapi_schema.to_schema()["paths"][
        "/v1/tenants/{swv_code}/deadlines"
    ]["get"]["parameters"]

    everything = await api.ok("GET", f"{base}/deadlines?as_of=2025-03-25&limit=5000", loket)
    first = await api.ok("GET", f"{base}/deadlines?as_of=2025-03-25&limit=1", loket)
    log = await api.ok("GET", f"{base}/log/accesses?limit=1000", auditor)

    [limit] = [p for p in documented if p["name"] == "limit"]
    assert limit["schema"]["default"] == DEFAULT_LIMIT
    assert len(everything["items"]) > 1
    assert first["items"] == everything["items"][:1]
    # a list the limit cut short says so; one that holds every match does not
    assert (first["truncated"], everything["truncated"]) == (True, False)
    count = len(everything["items"])
    for limit_asked, truncated in ((count - 1, True), (count, False)):
        listed = await api.ok(
            "GET", f"{base}/deadlines?as_of=2025-03-25&limit={limit_asked}", loket
        )
        assert (len(listed["items"]), listed["truncated"]) == (limit_asked, truncated)
    position = (await api.ok("GET", f"{base}/projections/status", loket))["projections"][0]["head"]
    as_of = f"{base}/deadlines?as_of=2025-03-25&as_of_position={position}"
    why = {**auditor, "Purpose": "Toezicht, art. 11 WOT"}
    replayed = await api.ok("GET", f"{as_of}&limit={count - 1}", why)
    assert (len(replayed["items"]), replayed["truncated"]) == (count - 1, True)
    assert not (await api.ok("GET", f"{as_of}&limit={count}", why))["truncated"]
    schema = api.client.app.openapi_schema.to_schema()["components"]["schemas"]
    assert "limit" in schema["DeadlinesDue"]["properties"]["truncated"]["description"]
    entry = log["accesses"][-1]
    assert (entry["actor"], entry["resource"]) == (
        "loket:pager",
        f"{base}/deadlines?as_of=2025-03-25&limit=1",
    )
    assert {entry["subject_id"], *entry["subjects"]} - {None} == {first["items"][0]["pupil_id"]}
