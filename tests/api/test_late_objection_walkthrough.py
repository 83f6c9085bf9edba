"""A late objection through the API: asked why, excused by the committee, then heard and decided.

The decision was sent by post on Friday 21 March 2025, so the objection term ended on Friday
2 May; an objection by e-mail on 20 May is late, and nothing happens to it until the committee
has ruled on the objector's explanation (Awb 6:11).
"""

from uuid import uuid4

import pytest

from api.auth import Role
from domain.ids import TenantId
from tests.api.conftest import OTHER_SCHOOL, Api, open_tenant
from tests.api.test_tlv_walkthrough import GRANTED_REASONS, advice
from tests.api.world import (
    SAM,
    lbt_advises_rejection,
    parents_object,
    rejected_following_the_lbt,
    so_application,
    so_granted,
)


@pytest.fixture(scope="module")
async def tenant(api: Api) -> TenantId:
    return await open_tenant(api)


async def granted_and_sent(api: Api, tenant: TenantId) -> str:
    """A granted SO TLV application whose beschikking went out by post on 21 March 2025."""
    base = f"/v1/tenants/{tenant}"
    school = api.as_(tenant, Role.SCHOOL, subject="ib-1")
    loket = api.as_(tenant, Role.LOKET, subject="loket-1")
    committee = api.as_(tenant, Role.COMMITTEE, subject="director")
    pupil = await api.ok("POST", f"{base}/pupils", school, SAM)
    submitted = await api.ok(
        "POST", f"{base}/support-requests", school, so_application(pupil["id"])
    )
    cases = f"{base}/support-requests/{submitted['id']}"
    await api.ok("POST", f"{cases}/completeness-checks", loket, {"checked_on": "2025-03-04"})
    for role, qualification in (("FIRST", "ORTHOPEDAGOOG"), ("SECOND", "ARTS")):
        body = {**advice(role, qualification), "expert_id": str(uuid4())}
        await api.ok("POST", f"{cases}/expert-advices", loket, body)
    await api.ok("POST", f"{cases}/decision", committee, so_granted(GRANTED_REASONS))
    await api.ok(
        "POST", f"{cases}/notification", loket, {"notified_on": "2025-03-21", "channel": "POST"}
    )
    return str(submitted["id"])


async def test_a_late_objection_with_an_excuse_the_committee_accepts_is_heard_and_decided(
    api: Api, tenant: TenantId
) -> None:
    base = f"/v1/tenants/{tenant}"
    loket = api.as_(tenant, Role.LOKET, subject="loket-1")
    committee = api.as_(tenant, Role.COMMITTEE, subject="director")
    request_id = await granted_and_sent(api, tenant)

    by_email = parents_object(request_id, "2025-05-20", channel="EMAIL")
    lodged = await api.ok("POST", f"{base}/objections", loket, by_email)
    objection = f"{base}/objections/{lodged['id']}"
    state = (await api.ok("GET", objection, loket))["state"]
    assert (state["timeliness"], state["term_ends_on"], state["inadmissible"]) == (
        "LATE",
        "2025-05-02",
        False,
    )
    assert state["awaits_lateness_ruling"] is True

    too_soon = await api.call(
        "POST", f"{objection}/lbt-advice-requests", loket, {"requested_on": "2025-05-21"}
    )
    assert too_soon.status_code == 422
    assert "rule whether the lateness is excusable" in too_soon.json()["detail"]
    unasked = await api.call(
        "POST",
        f"{objection}/lateness-rulings",
        committee,
        {"excusable": True, "reasons": "r", "decided_on": "2025-05-22"},
    )
    assert unasked.status_code == 422
    assert "Ask the objector why" in unasked.json()["detail"]

    await api.ok(
        "POST",
        f"{objection}/lateness-explanations",
        loket,
        {"explanation": "Wij lagen in het ziekenhuis.", "received_on": "2025-05-22"},
    )
    by_the_loket = await api.call(
        "POST",
        f"{objection}/lateness-rulings",
        loket,
        {"excusable": True, "reasons": "r", "decided_on": "2025-05-23"},
    )
    assert by_the_loket.status_code == 403
    await api.ok(
        "POST",
        f"{objection}/lateness-rulings",
        committee,
        {
            "excusable": True,
            "reasons": "Ziekenhuisopname: de overschrijding is niet te verwijten (Awb 6:11).",
            "decided_on": "2025-05-23",
        },
    )
    await api.ok("POST", f"{objection}/lbt-advice-requests", loket, {"requested_on": "2025-05-26"})
    await api.ok(
        "POST",
        f"{objection}/decision-postponements",
        loket,
        {"reason": "De hoorzitting van de LBT is verplaatst.", "notified_on": "2025-06-02"},
    )
    await api.ok("POST", f"{objection}/lbt-advices", loket, lbt_advises_rejection("2025-07-01"))
    decision = rejected_following_the_lbt("2025-07-10")
    await api.ok("POST", f"{objection}/decision", committee, decision)

    read = await api.ok("GET", objection, loket)
    assert [e["type"] for e in read["events"]] == [
        "ObjectionLodged",
        "ObjectionLatenessExplained",
        "ObjectionLatenessRuled",
        "LbtAdviceRequested",
        "ObjectionDecisionPostponed",
        "LbtAdviceReceived",
        "ObjectionDecided",
    ]
    ruled = read["events"][2]
    assert (ruled["actor"], ruled["data"]["excusable"], ruled["data"]["policy_version"]) == (
        "committee:director",
        True,
        "OP-2024.1",
    )
    assert read["state"]["outcome"] == "REJECTED"


async def test_the_beschikking_states_its_reasons_and_the_objection_rights(
    api: Api, tenant: TenantId
) -> None:
    request_id = await granted_and_sent(api, tenant)
    letter = f"/v1/tenants/{tenant}/support-requests/{request_id}/beschikking"
    school = api.as_(tenant, Role.SCHOOL, subject="ib-1")

    html = await api.call("GET", letter, school)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    text = html.text
    assert "Beide deskundigen adviseren het SO." in text
    assert "Bezwaar maken" in text
    assert "eindigt op 2 mei 2025" in text
    assert "Landelijke Bezwaaradviescommissie Toelaatbaarheidsverklaring" in text
    assert "Sam de Vries" in text

    pdf = await api.call("GET", f"{letter}.pdf", api.as_(tenant, Role.LOKET))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    other_school = api.as_(tenant, Role.SCHOOL, subject="ib-2", school=OTHER_SCHOOL)
    assert (await api.call("GET", letter, other_school)).status_code == 404
