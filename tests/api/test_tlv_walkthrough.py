"""A TLV application from submission to decision and objection, as the README's curl walk does."""

from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import SCHOOL, Api, new_key, open_tenant
from tests.api.world import (
    SAM,
    lbt_advises_rejection,
    parents_object,
    rejected_following_the_lbt,
    so_application,
    so_granted,
)

GRANTED_REASONS = "Beide deskundigen adviseren het SO."


@pytest.fixture(scope="module")
async def tenant(api: Api) -> TenantId:
    return await open_tenant(api)


def advice(role: str, qualification: str) -> dict[str, Any]:
    return {
        "role": role,
        "qualification": qualification,
        "independence_declared": True,
        "written_on": "2025-03-10",
        "advice": "Toelaatbaar tot het SO.",
        "admissible": True,
        "advised_tlv_type": "SO",
    }


async def test_a_tlv_application_walks_from_submission_to_decision_and_objection(
    api: Api, tenant: TenantId
) -> None:
    base = f"/v1/tenants/{tenant}"
    school = api.as_(tenant, Role.SCHOOL, subject="ib-1")
    loket = api.as_(tenant, Role.LOKET, subject="loket-1")
    committee = api.as_(tenant, Role.COMMITTEE, subject="director")
    first = api.as_(tenant, Role.EXPERT, subject="orthopedagoog-1")
    second = api.as_(tenant, Role.EXPERT, subject="arts-1")

    pupil = await api.ok("POST", f"{base}/pupils", school, SAM)
    submitted = await api.call(
        "POST", f"{base}/support-requests", school, so_application(pupil["id"])
    )
    assert submitted.status_code == 201
    request_id = submitted.json()["id"]
    assert submitted.headers["location"] == f"{base}/support-requests/{request_id}"
    assert submitted.headers["etag"] == '"1"'
    cases = f"{base}/support-requests/{request_id}"

    await api.ok("POST", f"{cases}/completeness-checks", loket, {"checked_on": "2025-03-04"})
    for role, subject in (("FIRST", "orthopedagoog-1"), ("SECOND", "arts-1")):
        await api.ok(
            "POST", f"{cases}/expert-assignments", loket, {"role": role, "expert_subject": subject}
        )
    await api.ok("POST", f"{cases}/expert-advices", first, advice("FIRST", "ORTHOPEDAGOOG"))
    await api.ok("POST", f"{cases}/expert-advices", second, advice("SECOND", "ARTS"))
    decided = await api.ok("POST", f"{cases}/decision", committee, so_granted(GRANTED_REASONS))
    [tlv_id] = decided["also_changed"]
    notified = await api.ok("POST", f"{cases}/notification", loket, {"notified_on": "2025-03-21"})
    objected = parents_object(request_id, "2025-04-01")
    objection = await api.call("POST", f"{base}/objections", loket, objected)
    assert objection.status_code == 201
    objection_id = objection.json()["id"]
    objections = f"{base}/objections/{objection_id}"
    await api.ok("POST", f"{objections}/lbt-advice-requests", loket, {"requested_on": "2025-04-02"})
    await api.ok("POST", f"{objections}/lbt-advices", loket, lbt_advises_rejection("2025-05-01"))
    decision = rejected_following_the_lbt("2025-05-09")
    await api.ok("POST", f"{objections}/decision", committee, decision)

    case = await api.ok("GET", cases, school)
    assert case["version"] == notified["version"] == 8
    assert [e["type"] for e in case["events"]] == [
        "SupportRequestSubmitted",
        "ApplicationCompletenessChecked",
        "ExpertAssigned",
        "ExpertAssigned",
        "ExpertAdviceRecorded",
        "ExpertAdviceRecorded",
        "SupportRequestGranted",
        "DecisionNotified",
    ]
    state = case["state"]
    assert (state["outcome"], state["school_code"], state["tlv_id"]) == ("GRANTED", SCHOOL, tlv_id)
    assert [a["expert_subject"] for a in state["assigned_experts"]] == ["orthopedagoog-1", "arts-1"]
    assert case["events"][0]["actor"] == "school:ib-1"
    tlv = await api.ok("GET", f"{base}/tlvs/{tlv_id}", school)
    assert (tlv["state"]["status"], tlv["state"]["funding_category"]) == ("ISSUED", "LOW")
    decided_objection = await api.ok("GET", objections, loket)
    assert decided_objection["state"]["outcome"] == "REJECTED"
    assert decided_objection["events"][-1]["data"]["reasons"] == "Wij volgen de LBT."


async def test_the_correlation_id_of_a_request_is_stored_on_its_events(
    api: Api, tenant: TenantId
) -> None:
    correlation_id = str(uuid4())
    loket = api.as_(tenant, Role.LOKET)
    response = await api.call(
        "POST",
        f"/v1/tenants/{tenant}/pupils",
        {**loket, "X-Correlation-ID": correlation_id},
        {"name": "Noor", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"},
    )
    assert response.headers["x-correlation-id"] == correlation_id
    pupil = await api.ok("GET", response.headers["location"], loket)
    assert {e["correlation_id"] for e in pupil["events"]} == {correlation_id}


async def test_a_retry_with_the_same_idempotency_key_is_recorded_once(
    api: Api, tenant: TenantId
) -> None:
    loket = {**api.as_(tenant, Role.LOKET), **new_key()}
    body = {"name": "Noor", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"}
    first = await api.ok("POST", f"/v1/tenants/{tenant}/pupils", loket, body)
    again = await api.ok("POST", f"/v1/tenants/{tenant}/pupils", loket, body)
    assert again == first
    assert (await api.ok("GET", f"/v1/tenants/{tenant}/pupils/{first['id']}", loket))[
        "version"
    ] == 1
