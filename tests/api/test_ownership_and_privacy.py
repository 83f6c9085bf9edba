"""Within a tenant: schools see their own pupils, experts their own cases, and who sees what.

Personal fields only reach those who work on the case.
"""

import pytest

from api.auth import Role
from tests.api.conftest import OTHER_SCHOOL, Api, open_tenant
from tests.api.world import FIRST_EXPERT, SECOND_EXPERT, advice_body, build_world


@pytest.fixture(scope="module")
async def world(api: Api) -> dict[str, str]:
    return await build_world(api, await open_tenant(api))


def base(world: dict[str, str]) -> str:
    return f"/v1/tenants/{world['tenant']}"


@pytest.mark.parametrize(
    "path",
    [
        "pupils/{pupil}",
        "support-requests/{request}",
        "tlvs/{tlv}",
        "objections/{objection}",
        "arrangements/{arrangement}",
    ],
)
async def test_another_schools_pupil_and_cases_do_not_exist_for_a_school(
    api: Api, world: dict[str, str], path: str
) -> None:
    other_school = api.as_(world["tenant"], Role.SCHOOL, school=OTHER_SCHOOL)
    response = await api.call("GET", f"{base(world)}/{path.format(**world)}", other_school)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_school_cannot_act_on_another_schools_pupil(
    api: Api, world: dict[str, str]
) -> None:
    other_school = api.as_(world["tenant"], Role.SCHOOL, school=OTHER_SCHOOL)
    response = await api.call(
        "POST",
        f"{base(world)}/support-requests",
        other_school,
        {"pupil_id": world["pupil"], "tlv_type": "SBO", "question": "?", "parent_view": "AGREE"},
    )
    assert response.status_code == 404


async def test_a_school_submits_for_itself_only(api: Api, world: dict[str, str]) -> None:
    school = api.as_(world["tenant"], Role.SCHOOL)
    response = await api.call(
        "POST",
        f"{base(world)}/pupils",
        school,
        {
            "name": "Noor",
            "date_of_birth": "2018-01-02",
            "municipality_code": "GM0632",
            "school_code": OTHER_SCHOOL,
        },
    )
    assert response.status_code == 403


async def test_an_expert_sees_only_the_cases_assigned_to_them(
    api: Api, world: dict[str, str]
) -> None:
    assigned = api.as_(world["tenant"], Role.EXPERT, subject=FIRST_EXPERT)
    stranger = api.as_(world["tenant"], Role.EXPERT, subject="expert-9")
    case = f"{base(world)}/support-requests/{world['request']}"
    assert (await api.call("GET", case, assigned)).status_code == 200
    assert (await api.call("GET", case, stranger)).status_code == 404
    assert (
        await api.call("GET", f"{base(world)}/pupils/{world['pupil']}", assigned)
    ).status_code == 403
    refused = await api.call(
        "POST", f"{case}/expert-advices", stranger, advice_body("FIRST", "ORTHOPEDAGOOG")
    )
    assert refused.status_code == 404


async def test_an_expert_records_only_the_advice_of_their_own_role(
    api: Api, world: dict[str, str]
) -> None:
    second = api.as_(world["tenant"], Role.EXPERT, subject=SECOND_EXPERT)
    case = f"{base(world)}/support-requests/{world['request']}"
    wrong_role = await api.call(
        "POST", f"{case}/expert-advices", second, advice_body("FIRST", "ORTHOPEDAGOOG")
    )
    assert wrong_role.status_code == 403
    naming_another = await api.call(
        "POST",
        f"{case}/expert-advices",
        second,
        advice_body("SECOND", "ARTS", "5f0c8e52-6d1e-4a8a-9d43-2f1b3c4d5e6f"),
    )
    assert naming_another.status_code == 403
    own = await api.call("POST", f"{case}/expert-advices", second, advice_body("SECOND", "ARTS"))
    assert own.status_code == 200
    recorded = await api.ok("GET", case, second)
    [advice] = recorded["state"]["expert_advices"]
    assert advice["advice"] == "Toelaatbaar tot het SO."


async def test_an_auditor_reads_without_personal_fields(api: Api, world: dict[str, str]) -> None:
    auditor = api.as_(world["tenant"], Role.AUDITOR)
    pupil = await api.ok("GET", f"{base(world)}/pupils/{world['pupil']}", auditor)
    assert (pupil["state"]["name"], pupil["state"]["date_of_birth"]) == (None, None)
    registered = pupil["events"][0]
    assert registered["redacted"] == ["date_of_birth", "name"]
    assert registered["data"]["name"] is None
    assert registered["data"]["municipality_code"] == "GM0632"
    case = await api.ok("GET", f"{base(world)}/support-requests/{world['granted']}", auditor)
    assert all(a["advice"] is None for a in case["state"]["expert_advices"])
    assert case["events"][0]["data"]["question"] is None


async def test_the_own_school_reads_the_personal_fields(api: Api, world: dict[str, str]) -> None:
    school = api.as_(world["tenant"], Role.SCHOOL)
    pupil = await api.ok("GET", f"{base(world)}/pupils/{world['pupil']}", school)
    assert pupil["state"]["name"] == "Sam de Vries"
    assert pupil["events"][0]["redacted"] == []


async def test_a_municipality_sees_no_individual_pupils(api: Api, world: dict[str, str]) -> None:
    municipality = api.as_(world["tenant"], Role.MUNICIPALITY)
    for path in ("pupils/{pupil}", "support-requests/{request}", "tlvs/{tlv}"):
        response = await api.call("GET", f"{base(world)}/{path.format(**world)}", municipality)
        assert response.status_code == 403
