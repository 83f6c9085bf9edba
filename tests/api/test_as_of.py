"""As-of reads: any aggregate or read model as it stood at a position or a time of the log."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from domain.ids import TenantId
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from projections.absence_cases import AbsenceCasesProjection
from tests.api.conftest import ARRANGEMENT_TYPE, MUNICIPALITY, SCHOOL, Api
from tests.api.world import projected_world
from tests.projections.conftest import eventually
from tests.projections.read_models import READ_MODELS, caught_up

pytestmark = pytest.mark.integration

WHY = {"Purpose": "Toezicht, art. 11 WOT"}


@pytest.fixture(scope="module")
async def world(api: Api, app_pool: Pool, codec: EventCodec) -> AsyncIterator[dict[str, str]]:
    async with projected_world(api, app_pool, codec) as world:
        yield world


def auditor(api: Api, tenant: str) -> dict[str, str]:
    return {**api.as_(tenant, Role.AUDITOR), **WHY}


def officer(api: Api, tenant: str) -> dict[str, str]:
    return {**api.as_(tenant, Role.PRIVACY_OFFICER, subject="fg-1"), **WHY}


async def accesses_of(api: Api, tenant: str) -> list[dict[str, Any]]:
    page = await api.ok(
        "GET", f"/v1/tenants/{tenant}/log/accesses?limit=1000", auditor(api, tenant)
    )
    found: list[dict[str, Any]] = page["accesses"]
    return found


async def head_of(api: Api, tenant: str) -> int:
    """The log's head, as the auditor's inclusion route knows it after a fresh checkpoint."""
    note = (
        await api.call(
            "GET", f"/v1/tenants/{tenant}/log/checkpoint?fresh=true", auditor(api, tenant)
        )
    ).text
    return int(note.splitlines()[1])


async def test_a_decision_changed_later_still_shows_its_earlier_state_as_of_before(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    tlv = f"/v1/tenants/{tenant}/tlvs/{world['tlv']}"
    before = await head_of(api, tenant)
    committee = api.as_(tenant, Role.COMMITTEE)
    extended = await api.ok("POST", f"{tlv}/extensions", committee, {"valid_until": "2029-07-31"})

    now = await api.ok("GET", tlv, auditor(api, tenant))
    then = await api.ok("GET", f"{tlv}?as_of_position={before}", auditor(api, tenant))

    assert now["state"]["valid_until"] == "2029-07-31"
    assert now["replayed_to"] is None
    assert then["state"]["valid_until"] == "2027-07-31"
    assert then["version"] == now["version"] - 1
    assert [e["position"] for e in then["events"]] == [e["position"] for e in now["events"][:-1]]
    assert then["replayed_to"]["position"] == before < extended["position"]
    assert then["replayed_to"]["policy_version"] == "OP-2024.1"
    assert int(then["replayed_to"]["checkpoint"].splitlines()[1]) >= before


async def test_as_of_a_time_and_as_of_its_position_agree(api: Api, world: dict[str, str]) -> None:
    tenant = world["tenant"]
    pupil = f"/v1/tenants/{tenant}/pupils/{world['pupil']}"
    staff = api.as_(tenant, Role.LOKET)
    first = await api.ok(
        "POST", f"{pupil}/residence-changes", staff, {"municipality_code": "GM1904"}
    )
    await api.ok("POST", f"{pupil}/residence-changes", staff, {"municipality_code": "GM0632"})

    by_position = await api.ok(
        "GET", f"{pupil}?as_of_position={first['position']}", auditor(api, tenant)
    )
    moment = by_position["replayed_to"]["committed_at"]
    by_time = await api.ok("GET", f"{pupil}?as_of={moment}", auditor(api, tenant))

    for read in (by_time, by_position):  # a checkpoint may be signed between the two reads
        read["replayed_to"]["checkpoint"] = None
    assert by_time == by_position
    assert by_time["state"]["municipality_code"] == "GM1904"
    assert by_time["version"] == first["version"]


async def test_as_of_replay_equals_what_was_served_at_each_position(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE)
    pupil, request = (
        f"{base}/pupils/{world['pupil']}",
        f"{base}/support-requests/{world['request']}",
    )
    rng = random.Random(20251202)
    commands: list[Callable[[], Awaitable[dict[str, Any]]]] = [
        lambda: api.ok(
            "POST",
            f"{pupil}/residence-changes",
            staff,
            {"municipality_code": rng.choice(["GM0632", "GM1904"])},
        ),
        lambda: api.ok(
            "POST",
            f"{request}/parent-views",
            staff,
            {"parent_view": rng.choice(["AGREE", "DISAGREE", "NOT_GIVEN"])},
        ),
        lambda: api.ok(
            "POST",
            f"{pupil}/guardians",
            staff,
            {"guardian_id": str(uuid4()), "has_authority": rng.random() < 0.5},
        ),
    ]
    served: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for _ in range(12):
        done = await rng.choice(commands)()
        served.append(
            (
                done["position"],
                await api.ok("GET", pupil, auditor(api, tenant)),
                await api.ok("GET", request, auditor(api, tenant)),
            )
        )

    for position, pupil_then, request_then in served:
        as_of = f"as_of_position={position}"
        assert {
            **await api.ok("GET", f"{pupil}?{as_of}", auditor(api, tenant)),
            "replayed_to": None,
        } == pupil_then
        assert {
            **await api.ok("GET", f"{request}?{as_of}", auditor(api, tenant)),
            "replayed_to": None,
        } == request_then


async def test_read_models_as_of_each_position_equal_what_their_tables_served_then(
    api: Api, world: dict[str, str], app_pool: Pool
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE)
    reads = [
        f"{base}/schools/{SCHOOL}/caseload?as_of=2025-03-25",
        f"{base}/deadlines?as_of=2025-03-25",
        f"{base}/municipalities/{MUNICIPALITY}/figures?granularity=month",
        f"{base}/municipalities/{MUNICIPALITY}/figures?granularity=school_year",
    ]
    noor = {"name": "Noor", "date_of_birth": "2016-01-02", "municipality_code": MUNICIPALITY}
    pupil = await api.ok("POST", f"{base}/pupils", staff, {**noor, "school_code": SCHOOL})
    application = {
        "pupil_id": pupil["id"],
        "school_code": SCHOOL,
        "arrangement_type": ARRANGEMENT_TYPE,
        "question": "Welke begeleiding past?",
        "parent_view": "AGREE",
        "received_on": "2025-03-05",
    }
    suspension = {"reason": "OPP.", "suspended_on": "2025-03-07", "complete_by": "2025-03-21"}
    grant = {"outcome": "GRANTED", "reasons": "Nodig.", "decided_on": "2025-03-20"}
    at = f"{base}/support-requests"
    steps: list[Callable[[str], tuple[str, dict[str, Any]]]] = [  # on the request's id
        lambda _: (at, application),
        lambda request: (f"{at}/{request}/completeness-checks", {"checked_on": "2025-03-06"}),
        lambda request: (f"{at}/{request}/suspensions", suspension),
        lambda request: (f"{at}/{request}/resumptions", {"resumed_on": "2025-03-10"}),
        lambda request: (f"{at}/{request}/decision", grant),
        lambda request: (
            f"{base}/arrangements",
            {
                "support_request_id": request,
                "provider": "De Brug",
                "amount": 12,
                "start_on": "2025-04-01",
            },
        ),
    ]
    served: list[tuple[int, list[dict[str, Any]]]] = []
    request = ""
    for step in steps:
        path, body = step(request)
        done = await api.ok("POST", path, staff, body)
        request = request or done["id"]
        await eventually(lambda: caught_up(app_pool, TenantId(tenant)), timeout_s=30)
        served.append(
            (done["position"], [await api.ok("GET", r, auditor(api, tenant)) for r in reads])
        )

    for position, tables in served:
        for read, table in zip(reads, tables, strict=True):
            replayed = await api.ok(
                "GET", f"{read}&as_of_position={position}", auditor(api, tenant)
            )
            assert replayed["replayed_to"]["position"] == position
            assert {**replayed, "replayed_to": None} == table, (position, read)


async def test_the_caseload_as_of_before_the_first_case_is_empty(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    before_pupil = await api.ok(
        "GET", f"/v1/tenants/{tenant}/pupils/{world['pupil']}", auditor(api, tenant)
    )
    first = before_pupil["events"][0]["position"]
    caseload = f"/v1/tenants/{tenant}/schools/{SCHOOL}/caseload?as_of_position={first}"

    assert (await api.ok("GET", caseload, auditor(api, tenant)))["pupils"] == []


async def test_a_moment_past_the_log_is_refused_naming_its_parameter(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    pupil = f"/v1/tenants/{tenant}/pupils/{world['pupil']}"
    head = await head_of(api, tenant)
    asked = {
        f"as_of_position={head + 1000}": "as_of_position",
        "as_of=2999-01-01T00:00:00Z": "as_of",
        "as_of=2025-01-01T00:00:00": "as_of",
        "as_of_position=1&as_of=2025-01-01T00:00:00Z": "as_of_position",
    }
    for query, field in asked.items():
        response = await api.call("GET", f"{pupil}?{query}", auditor(api, tenant))
        assert response.status_code == 422, (query, response.text)
        assert response.json()["errors"][0]["field"] == field, query


async def test_only_the_auditor_and_privacy_officer_read_as_of_each_read_recorded_with_purpose(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    pupil = f"{base}/pupils/{world['pupil']}"
    loket = {**api.as_(tenant, Role.LOKET), **WHY}
    municipality = {**api.as_(tenant, Role.MUNICIPALITY, municipality=MUNICIPALITY), **WHY}

    staff_as_of = await api.call("GET", f"{pupil}?as_of_position=1", loket)
    figures_as_of = await api.call(
        "GET", f"{base}/municipalities/{MUNICIPALITY}/figures?as_of_position=1", municipality
    )
    figures_now = await api.call(
        "GET", f"{base}/municipalities/{MUNICIPALITY}/figures", municipality
    )
    without_purpose = await api.call(
        "GET", f"{pupil}?as_of_position=1", api.as_(tenant, Role.PRIVACY_OFFICER)
    )
    head = await head_of(api, tenant)
    read = await api.ok("GET", f"{pupil}?as_of_position={head}", auditor(api, tenant))
    by_officer = await api.ok("GET", f"{pupil}?as_of_position={head}", officer(api, tenant))
    accesses = (
        await api.ok(
            "GET", f"{base}/log/accesses?subject_id={world['pupil']}", auditor(api, tenant)
        )
    )["accesses"]

    assert staff_as_of.status_code == 403
    assert figures_as_of.status_code == 403
    assert figures_now.status_code == 200
    assert without_purpose.status_code == 422
    assert without_purpose.json()["errors"][0]["field"] == "Purpose"
    assert read["replayed_to"] is not None
    assert by_officer["replayed_to"]["position"] == head
    *_, by_the_auditor, by_the_officer = [a for a in accesses if a["action"] == "as-of"]
    assert by_the_auditor["actor"] == "auditor:tester"
    assert by_the_officer["actor"] == "privacy-officer:fg-1"
    for entry in (by_the_auditor, by_the_officer):
        assert entry["purpose"] == WHY["Purpose"]
        assert entry["resource"] == f"{pupil}?as_of_position={head}"


AS_OF_READS = (
    "configuration",
    "pupils/{pupil}",
    "support-requests/{request}",
    "tlvs/{tlv}",
    "objections/{objection}",
    "arrangements/{arrangement}",
    f"schools/{SCHOOL}/caseload",
    "deadlines",
    f"municipalities/{MUNICIPALITY}/figures",
    "pupils/{pupil}/timeline",
    "cases",
    "handovers",
    "services",
    "absence-settings",
)


async def test_the_privacy_officer_reads_as_of_a_moment_exactly_what_the_auditor_reads(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    head = await head_of(api, tenant)
    before = await accesses_of(api, tenant)
    wrong = []
    for read in AS_OF_READS:
        path = f"{base}/{read.format(**world)}?as_of_position={head}"
        answers = [
            await api.call("GET", path, caller(api, tenant)) for caller in (auditor, officer)
        ]
        if [a.status_code for a in answers] != [200, 200]:
            wrong.append(f"{read}: {[a.status_code for a in answers]}")
            continue
        by_auditor, by_officer = (
            {**a.json(), "replayed_to": {**a.json()["replayed_to"], "checkpoint": None}}
            for a in answers
        )
        if by_officer != by_auditor or by_officer["replayed_to"]["position"] != head:
            wrong.append(f"{read}: the privacy officer saw {by_officer}, not {by_auditor}")
        if "Sam de Vries" in answers[1].text or "2017-05-12" in answers[1].text:
            wrong.append(f"{read}: the privacy officer saw the pupil's name or birth date")
    new = (await accesses_of(api, tenant))[len(before) :]

    assert not wrong, "\n".join(wrong)
    officers = [a for a in new if a["actor"] == "privacy-officer:fg-1"]
    assert [a["action"] for a in officers] == ["as-of"] * len(AS_OF_READS)
    assert [a["resource"].split("?")[0].removeprefix(f"{base}/") for a in officers] == [
        read.format(**world) for read in AS_OF_READS
    ]
    assert all(a["purpose"] == WHY["Purpose"] for a in officers)
    assert not {f for a in officers for f in a["fields"]} & {"name", "date_of_birth"}
    about_the_pupil = officers[AS_OF_READS.index("pupils/{pupil}")]
    assert about_the_pupil["subject_id"] == world["pupil"]


async def test_subject_access_as_of_a_moment_shows_the_data_as_held_then_and_shredded_since(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE)
    lotte = {"date_of_birth": "2016-04-04", "municipality_code": MUNICIPALITY}
    registered = await api.ok(
        "POST", f"{base}/pupils", staff, {"name": "Lotte Jansen", "school_code": SCHOOL, **lotte}
    )
    pupil = f"{base}/pupils/{registered['id']}"
    corrected = await api.ok(
        "POST",
        f"{pupil}/corrections",
        staff,
        {"name": "Lotte Janssen", "date_of_birth": lotte["date_of_birth"]},
    )
    then = f"{pupil}/subject-access?as_of_position={registered['position']}"
    access = f"{base}/log/accesses?subject_id={registered['id']}"

    as_held_then = await api.ok("GET", then, officer(api, tenant))
    as_held_now = await api.ok("GET", f"{pupil}/subject-access", officer(api, tenant))
    auditors = await api.call("GET", then, auditor(api, tenant))
    [entry] = [
        a
        for a in (await api.ok("GET", access, auditor(api, tenant)))["accesses"]
        if a["action"] == "as-of"
    ]
    await api.ok("POST", f"{pupil}/shredding", staff)
    shredded_since = await api.ok("GET", then, officer(api, tenant))
    page = await api.call("GET", f"{then.replace('?', '/page?')}", officer(api, tenant))

    def names(report: dict[str, Any]) -> list[str | None]:
        return [r["data"]["name"] for r in report["records"] if "name" in r["data"]]

    assert names(as_held_then) == ["Lotte Jansen"]
    assert names(as_held_now) == ["Lotte Jansen", "Lotte Janssen"]
    assert max(r["position"] for r in as_held_then["records"]) == registered["position"]
    assert as_held_then["replayed_to"]["position"] == registered["position"] < corrected["position"]
    assert as_held_now["replayed_to"] is None
    assert auditors.status_code == 403
    assert (entry["actor"], entry["subject_id"], entry["purpose"]) == (
        "privacy-officer:fg-1",
        registered["id"],
        WHY["Purpose"],
    )
    assert entry["fields"] == ["date_of_birth", "name"]
    assert [s["shredded"] for s in as_held_then["data_held"]] == [False]
    assert [s["shredded"] for s in shredded_since["data_held"]] == [True]
    assert names(shredded_since) == [None]
    assert page.status_code == 200
    assert "vernietigd" in page.text
    assert "Lotte" not in page.text


async def test_subject_access_as_of_a_moment_names_only_the_recipients_of_then(
    api: Api, world: dict[str, str]
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    pupil = f"{base}/pupils/{world['pupil']}"
    loket = api.as_(tenant, Role.LOKET)
    lives_in = (await api.ok("GET", pupil, loket))["state"]["municipality_code"]
    before = await head_of(api, tenant)
    await api.ok(
        "POST",
        f"{base}/support-requests/{world['granted']}/disclosures",
        loket,
        {"municipality_code": lives_in, "legal_basis": "LEERPLICHT", "fields": ["name"]},
    )

    then = await api.ok(
        "GET", f"{pupil}/subject-access?as_of_position={before}", officer(api, tenant)
    )
    now = await api.ok("GET", f"{pupil}/subject-access", officer(api, tenant))

    municipality = f"municipality {lives_in}"
    assert municipality not in [r["recipient"] for r in then["recipients"]]
    assert municipality in [r["recipient"] for r in now["recipients"]]
    assert max(r["position"] for r in then["records"]) <= before


async def test_deadlines_as_of_each_position_hold_the_absence_signals_of_then(
    api: Api, world: dict[str, str], app_pool: Pool
) -> None:
    tenant = world["tenant"]
    base = f"/v1/tenants/{tenant}"
    school = api.as_(tenant, Role.SCHOOL, subject="ib")
    deadlines, cases = f"{base}/deadlines?as_of=2025-10-28", f"{base}/absence-cases"
    absent = {
        "pupil_id": world["pupil"],
        "absent_since": "2025-09-29",
        "completely_absent": True,
        "reporter": "SCHOOL",
        "reported_on": "2025-10-01",
    }
    case = ""
    steps: list[Callable[[str], tuple[str, dict[str, Any]]]] = [  # on the case's id
        lambda _: (cases, absent),
        lambda c: (f"{cases}/{c}/hours", {"week": "2025-09-29", "unauthorised_hours": 8}),
        lambda c: (f"{cases}/{c}/hours", {"week": "2025-10-06", "unauthorised_hours": 8}),
        lambda c: (f"{cases}/{c}/duo-reports", {"reported_on": "2025-10-14"}),
        lambda c: (f"{cases}/{c}/closure", {"end": "RETURNED_TO_SCHOOL", "ended_on": "2025-10-20"}),
    ]
    served: list[tuple[int, dict[str, Any]]] = []
    models = (*READ_MODELS, AbsenceCasesProjection())
    for step in steps:
        path, body = step(case)
        done = await api.ok("POST", path, school, body)
        case = case or done["id"]
        await eventually(lambda: caught_up(app_pool, TenantId(tenant), models), timeout_s=30)
        served.append((done["position"], await api.ok("GET", deadlines, auditor(api, tenant))))

    kinds = [
        sorted(i["kind"] for i in table["items"] if i["case_id"] == case) for _, table in served
    ]
    assert kinds == [
        ["LONG_TERM_ABSENCE", "THUISZITTERSPACT"],
        ["LONG_TERM_ABSENCE", "THUISZITTERSPACT"],
        ["LEERPLICHT_REPORT", "LONG_TERM_ABSENCE", "THUISZITTERSPACT"],
        ["LONG_TERM_ABSENCE", "THUISZITTERSPACT"],
        [],
    ]
    for position, table in served:
        replayed = await api.ok(
            "GET", f"{deadlines}&as_of_position={position}", auditor(api, tenant)
        )
        assert {**replayed, "replayed_to": None} == table, position
