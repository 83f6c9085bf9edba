"""A thuiszitter's case through the API: its signals fall on the right school days.

They move with the region's holidays and the tenant's pact months, and show in the deadlines
and the monthly overview.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from domain.ids import TenantId
from infrastructure.database import Pool
from projections.absence_cases import AbsenceCasesProjection
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.projections.conftest import eventually
from tests.projections.read_models import caught_up

pytestmark = pytest.mark.integration

AUTUMN_2025 = {"first_day": "2025-10-18", "last_day": "2025-10-26"}  # herfstvakantie midden


async def absence_signals(api: Api, pool: Pool, tenant: TenantId, as_of: str) -> dict[str, Any]:
    """The deadlines of absence cases on ``as_of``, by kind, once the read model caught up."""
    await eventually(lambda: caught_up(pool, tenant, (AbsenceCasesProjection(),)), timeout_s=30)
    staff = api.as_(tenant, Role.LOKET)
    due = await api.ok("GET", f"/v1/tenants/{tenant}/deadlines?as_of={as_of}", staff)
    return {i["kind"]: i for i in due["items"] if i["case_kind"] == "ABSENCE"}


@pytest.fixture(scope="module")
async def tenant(api: Api) -> TenantId:
    return await open_tenant(api)


async def new_pupil(api: Api, tenant: TenantId) -> str:
    staff = api.as_(tenant, Role.LOKET)
    body = {
        "name": "Noor Jansen",
        "date_of_birth": "2013-02-01",
        "municipality_code": "GM0632",
        "school_code": SCHOOL,
    }
    pupil: str = (await api.ok("POST", f"/v1/tenants/{tenant}/pupils", staff, body))["id"]
    return pupil


async def test_a_thuiszitter_escalates_on_the_right_school_days(
    api: Api, app_pool: Pool, tenant: TenantId
) -> None:
    base = f"/v1/tenants/{tenant}"
    school = api.as_(tenant, Role.SCHOOL, subject="ib")
    case = await api.ok(
        "POST",
        f"{base}/absence-cases",
        school,
        {
            "pupil_id": await new_pupil(api, tenant),
            "absent_since": "2025-09-29",
            "completely_absent": True,
            "reporter": "SCHOOL",
            "reported_on": "2025-10-01",
        },
    )
    cases = f"{base}/absence-cases/{case['id']}"
    for week, hours in (("2025-09-29", 6), ("2025-10-06", 6), ("2025-10-13", 4)):
        await api.ok("POST", f"{cases}/hours", school, {"week": week, "unauthorised_hours": hours})

    signals = await absence_signals(api, app_pool, tenant, "2025-10-20")
    # 16 hours in the week of 13 October: report on the first working day after that week
    assert signals["LEERPLICHT_REPORT"]["due_on"] == "2025-10-20"
    assert signals["LEERPLICHT_REPORT"]["overdue"] is False
    # no holidays configured yet: four school weeks completely absent on 27 October
    assert signals["LONG_TERM_ABSENCE"]["due_on"] == "2025-10-27"
    assert signals["THUISZITTERSPACT"]["due_on"] == "2025-12-29"
    assert signals["LEERPLICHT_REPORT"]["school_code"] == SCHOOL

    admin = api.admin(tenant)
    settings = f"{base}/absence-settings"
    holidays = {"school_year": 2025, "holidays": [AUTUMN_2025]}
    await api.ok("PUT", f"{settings}/school-holidays", admin, holidays)
    await api.ok("PUT", f"{settings}/thuiszitterspact", admin, {"months": 2})

    signals = await absence_signals(api, app_pool, tenant, "2025-10-28")
    # the autumn holiday is no school week: four school weeks are complete on 3 November
    assert signals["LONG_TERM_ABSENCE"]["due_on"] == "2025-11-03"
    assert signals["LONG_TERM_ABSENCE"]["overdue"] is False
    assert signals["LEERPLICHT_REPORT"]["overdue"] is True
    assert signals["THUISZITTERSPACT"]["due_on"] == "2025-11-29"

    await api.ok("POST", f"{cases}/duo-reports", school, {"reported_on": "2025-10-21"})
    plan = {
        "plan": "Twee ochtenden per week op de observatieplek.",
        "agreed_on": "2025-11-03",
        "review_on": "2025-12-01",
        "offer_made": True,
    }
    await api.ok("POST", f"{cases}/plans", school, plan)
    signals = await absence_signals(api, app_pool, tenant, "2025-11-04")
    assert set(signals) == {"LONG_TERM_ABSENCE"}

    read = await api.ok("GET", cases, school)
    assert read["state"]["signals"] == {"LONG_TERM_ABSENCE": "2025-11-03"}
    assert read["state"]["unauthorised_hours_by_week"]["2025-10-13"] == 4

    back = {"end": "RETURNED_TO_SCHOOL", "ended_on": "2025-12-15"}
    await api.ok("POST", f"{cases}/closure", school, back)
    assert await absence_signals(api, app_pool, tenant, "2025-11-04") == {}


async def test_the_monthly_overview_counts_thuiszitters_per_month(
    api: Api, app_pool: Pool, tenant: TenantId
) -> None:
    """After the first test: its case was completely absent from 29 September to 15 December."""
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET)
    enrolled_nowhere = {
        "pupil_id": await new_pupil(api, tenant),
        "absent_since": "2025-09-01",
        "reporter": "LEERPLICHT",
        "reported_on": "2025-09-03",
    }
    case = await api.ok("POST", f"{base}/absence-cases", staff, enrolled_nowhere)
    await api.ok(
        "POST",
        f"{base}/absence-cases/{case['id']}/closure",
        staff,
        {"end": "ENROLLED_ELSEWHERE", "ended_on": "2026-01-12"},
    )
    await eventually(lambda: caught_up(app_pool, tenant, (AbsenceCasesProjection(),)), timeout_s=30)

    overview = await api.ok("GET", f"{base}/absence-cases/monthly-overview?school_year=2025", staff)

    months = {m["month"]: m for m in overview["months"]}
    assert months["2025-08"]["open_at_end"] == 0
    assert months["2025-09"]["absoluut"] == 1
    assert months["2025-09"]["reported"] == 1
    assert months["2025-11"]["past_thuiszitterspact"] == 1  # two months, as the tenant set
    assert months["2026-01"]["closed"] == 1
    assert months["2026-01"]["absoluut"] == 0
    # the first test's case: enrolled, four school weeks completely absent from 3 November
    assert [months[m]["langdurig_relatief"] for m in ("2025-10", "2025-11", "2025-12")] == [0, 1, 0]
    assert months["2025-11"]["relatief"] == 1
    assert months["2025-12"]["closed"] == 1


async def test_a_school_reports_only_as_itself_and_only_its_own_pupils(
    api: Api, tenant: TenantId
) -> None:
    base = f"/v1/tenants/{tenant}"
    pupil = await new_pupil(api, tenant)
    school = api.as_(tenant, Role.SCHOOL, subject="ib")
    other_school = api.as_(tenant, Role.SCHOOL, school="34CD00", subject="ib-2")
    report = {"pupil_id": pupil, "absent_since": "2025-09-01", "reporter": "SCHOOL"}

    as_office = await api.call(
        "POST", f"{base}/absence-cases", school, {**report, "reporter": "LEERPLICHT"}
    )
    elsewhere = await api.call("POST", f"{base}/absence-cases", other_school, report)
    future = await api.call(
        "POST", f"{base}/absence-cases", school, {**report, "reported_on": "2099-01-01"}
    )

    assert as_office.status_code == 422
    assert [e["field"] for e in as_office.json()["errors"]] == ["reporter"]
    assert elsewhere.status_code == 404
    assert future.status_code == 422
    assert [e["field"] for e in future.json()["errors"]] == ["reported_on"]


async def test_the_deadlines_list_filters_orders_and_limits_signals_as_every_other_deadline(
    api: Api, app_pool: Pool
) -> None:
    tenant = await open_tenant(api)
    base = f"/v1/tenants/{tenant}"
    school = api.as_(tenant, Role.SCHOOL, subject="ib")
    for absent_since in ("2025-09-22", "2025-09-29"):
        case = await api.ok(
            "POST",
            f"{base}/absence-cases",
            school,
            {
                "pupil_id": await new_pupil(api, tenant),
                "absent_since": absent_since,
                "completely_absent": True,
                "reporter": "SCHOOL",
                "reported_on": "2025-10-01",
            },
        )
        for week, hours in (("2025-09-29", 6), ("2025-10-06", 6), ("2025-10-13", 4)):
            await api.ok(
                "POST",
                f"{base}/absence-cases/{case['id']}/hours",
                school,
                {"week": week, "unauthorised_hours": hours},
            )
    everything = await absence_signals(api, app_pool, tenant, "2025-10-20")  # caught up
    staff = api.as_(tenant, Role.LOKET)
    auditor = {**api.as_(tenant, Role.AUDITOR), "Purpose": "Toezicht, art. 11 WOT"}
    position = (await api.ok("GET", f"{base}/projections/status", staff))["projections"][0]["head"]
    deadlines = f"{base}/deadlines?as_of=2025-10-20"
    listed = (await api.ok("GET", f"{deadlines}&limit=5000", staff))["items"]
    assert {i["kind"] for i in listed} == set(everything)
    assert len(listed) == 6, "three signals of each of the two cases"
    pacts = [i for i in listed if i["kind"] == "THUISZITTERSPACT"]
    # the SQL's order: by date as asked, ties by kind and case either way
    descending = sorted(listed, key=lambda i: (i["kind"], i["case_id"]))
    descending.sort(key=lambda i: i["due_on"], reverse=True)

    for query, items, truncated in (
        ("kind=THUISZITTERSPACT&limit=1", pacts[:1], True),  # the last signals to fall due
        ("kind=THUISZITTERSPACT&limit=2", pacts, False),
        (
            "kind=THUISZITTERSPACT&kind=LONG_TERM_ABSENCE&order=desc&limit=3",
            [i for i in descending if i["kind"] != "LEERPLICHT_REPORT"][:3],
            True,
        ),
        ("order=desc&limit=1", descending[:1], True),
        ("order=desc&limit=5", descending[:5], True),
        ("order=desc&limit=6", descending, False),
        ("limit=5", listed[:5], True),
    ):
        answer = await api.ok("GET", f"{deadlines}&{query}", staff)
        replayed = await api.ok("GET", f"{deadlines}&{query}&as_of_position={position}", auditor)
        for read in (answer, replayed):
            assert (read["items"], read["truncated"]) == (items, truncated), query
