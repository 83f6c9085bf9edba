"""Happy paths of the routes the TLV walkthrough does not take."""

from uuid import uuid4

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import SO_SCHOOL, Api, open_tenant
from tests.api.world import build_world


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    return await build_world(api, await open_tenant(api))


async def test_configuration_changes_show_in_the_configuration(api: Api) -> None:
    tenant = await open_tenant(api)
    admin, base = api.admin(tenant), f"/v1/tenants/{tenant}/configuration"
    await api.ok("PUT", f"{base}/committee", admin, {"committee_name": "Commissie Toewijzing"})
    await api.ok(
        "POST",
        f"{base}/policies",
        admin,
        {"policy_version": "OP-2026", "effective_from": "2026-08-01"},
    )
    await api.ok("DELETE", f"{base}/arrangement-types/ambulante-begeleiding", admin)
    configuration = await api.ok("GET", base, api.as_(tenant, Role.MUNICIPALITY))
    state = configuration["state"]
    assert (state["committee_name"], state["policy"]["version"]) == (
        "Commissie Toewijzing",
        "OP-2026",
    )
    assert state["arrangement_types"] == []
    assert [s["code"] for s in state["schools"]] == ["12AB00", "34CD00", "56EF00"]
    assert configuration["events"][-1]["actor"] == "swv-admin:swv-admin"


async def test_a_pupils_school_career_and_guardians_are_recorded(
    api: Api, world: dict[str, str]
) -> None:
    world = await build_world(
        api, TenantId(world["tenant"])
    )  # this pupil's data is shredded at the end
    school = api.as_(world["tenant"], Role.SCHOOL)
    pupil = f"/v1/tenants/{world['tenant']}/pupils/{world['pupil']}"
    guardian = str(uuid4())
    steps = [
        ("POST", "corrections", {"name": "Sam de Vries", "date_of_birth": "2017-05-21"}),
        ("POST", "residence-changes", {"municipality_code": "GM1904"}),
        ("POST", "guardians", {"guardian_id": guardian, "has_authority": True}),
        ("PUT", f"guardians/{guardian}", {"has_authority": False}),
        ("DELETE", f"guardians/{guardian}", None),
        ("POST", "school-registrations", {"school_code": "34CD00", "registered_on": "2025-03-03"}),
        ("POST", "zorgplicht-extensions", None),
    ]
    for method, step, body in steps:
        await api.ok(method, f"{pupil}/{step}", school, body)
    state = (await api.ok("GET", pupil, school))["state"]
    assert state["date_of_birth"] == "2017-05-21"
    assert (state["municipality_code"], state["registered_at_school"]) == ("GM1904", "34CD00")
    assert (state["zorgplicht_deadline"], state["guardians"]) == ("2025-05-12", [])
    loket = api.as_(world["tenant"], Role.LOKET)
    await api.ok("POST", f"{pupil}/enrolments", loket, {"school_code": "34CD00"})
    await api.ok("POST", f"{pupil}/leaving", loket, {"reason": "MOVED_OUT_OF_REGION"})
    await api.ok("POST", f"{pupil}/shredding", loket)
    shredded = await api.ok("GET", pupil, loket)
    assert (shredded["state"]["data_shredded"], shredded["state"]["name"]) == (True, None)


async def test_an_application_is_suspended_resumed_and_gets_the_parents_view(
    api: Api, world: dict[str, str]
) -> None:
    loket = api.as_(world["tenant"], Role.LOKET)
    case = f"/v1/tenants/{world['tenant']}/support-requests/{world['request']}"
    await api.ok(
        "POST",
        f"{case}/suspensions",
        loket,
        {"reason": "OPP.", "suspended_on": "2025-03-05", "complete_by": "2025-03-19"},
    )
    await api.ok("POST", f"{case}/resumptions", loket, {"resumed_on": "2025-03-12"})
    await api.ok(
        "POST",
        f"{case}/parent-views",
        api.as_(world["tenant"], Role.SCHOOL),
        {"parent_view": "DISAGREE"},
    )
    state = (await api.ok("GET", case, loket))["state"]
    # Paused from 6 March; the term runs again on the completion day, the 12th: 6 days.
    assert (state["days_suspended"], state["parent_view"]) == (6, "DISAGREE")
    assert state["decision_deadline"] == "2025-05-06"


async def test_tlvs_are_extended_one_or_many_at_once_and_redeemed(
    api: Api, world: dict[str, str]
) -> None:
    committee = api.as_(world["tenant"], Role.COMMITTEE)
    tlvs = f"/v1/tenants/{world['tenant']}/tlvs"
    await api.ok(
        "POST", f"{tlvs}/{world['tlv']}/extensions", committee, {"valid_until": "2028-07-31"}
    )
    unknown = str(uuid4())
    batch = await api.ok(
        "POST",
        f"{tlvs}/bulk-extensions",
        committee,
        {"tlv_ids": [world["tlv"], unknown], "valid_until": "2029-07-31", "regulation": "Regeling"},
    )
    assert [e["tlv_id"] for e in batch["extended"]] == [world["tlv"]]
    assert [f["tlv_id"] for f in batch["not_extended"]] == [unknown]
    redeemed = await api.call(
        "POST",
        f"{tlvs}/redemptions",
        api.as_(world["tenant"], Role.SCHOOL, school=SO_SCHOOL),
        {"beschikkingsnummer": world["beschikkingsnummer"], "enrolled_on": "2025-04-01"},
    )
    assert redeemed.status_code == 200
    tlv = await api.ok(
        "GET", f"{tlvs}/{world['tlv']}", api.as_(world["tenant"], Role.SCHOOL, school=SO_SCHOOL)
    )
    assert (tlv["state"]["status"], tlv["state"]["valid_until"]) == ("REDEEMED", "2029-07-31")
    assert [e["type"] for e in tlv["events"]][-3:] == [
        "TlvExtended",
        "TlvExtendedAdministratively",
        "TlvRedeemed",
    ]


async def test_an_arrangement_is_extended_evaluated_and_ended_early(
    api: Api, world: dict[str, str]
) -> None:
    school = api.as_(world["tenant"], Role.SCHOOL)
    committee = api.as_(world["tenant"], Role.COMMITTEE)
    arrangement = f"/v1/tenants/{world['tenant']}/arrangements/{world['arrangement']}"
    await api.ok(
        "POST",
        f"{arrangement}/extensions",
        committee,
        {"end_on": "2026-03-31", "reason": "Nodig.", "amount_added": 10},
    )
    await api.ok(
        "POST",
        f"{arrangement}/evaluations",
        school,
        {
            "party": "SCHOOL",
            "goal_attainment": "MET",
            "notes": "Gelukt.",
            "evaluated_on": "2025-06-01",
        },
    )
    await api.ok(
        "POST",
        f"{arrangement}/early-end",
        school,
        {"ended_on": "2025-06-30", "reason": "Doelen bereikt."},
    )
    state = (await api.ok("GET", arrangement, school))["state"]
    assert (state["amount"], state["end_on"], state["ended_early"]) == (50, "2025-06-30", True)
    assert state["evaluations"] == {"SCHOOL": "MET"}
    assert state["provider"] == "De Brug"
    assert (await api.ok("GET", arrangement, committee))["events"][0][
        "actor"
    ] == "committee+loket:staff"
