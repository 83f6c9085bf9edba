"""A pupil handed from a PO to a VO partnership, and a handover to an SWV off the platform.

The handover is in both tenants' logs and timelines; the VO tenant's tokens read nothing else
of the PO tenant; the package for an SWV off the platform verifies with the log's key.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import msgspec
import pytest

from api.auth import Role
from application.handlers.handovers import incoming_id_for
from domain.ids import TenantId
from infrastructure.database import Pool
from infrastructure.signed_note import Verifier, parse_note
from projections.handovers import HandoversProjection
from tests.api.conftest import Api, open_tenant
from tests.api.world import build_world
from tests.projections.conftest import eventually
from tests.projections.read_models import caught_up
from tests.tenant_codes import fresh_swv_code

pytestmark = pytest.mark.integration


async def open_vo_tenant(api: Api) -> TenantId:
    code = fresh_swv_code("VO")
    await api.ok("POST", "/v1/platform/tenants", api.operator(), {"code": code, "name": "VO"})
    base = f"/v1/tenants/{code}/configuration"
    configuration = {
        "name": f"SWV {code}",
        "committee_name": "Commissie van Toewijzing",
        "policy_version": "OP-2024.1",
        "policy_effective_from": "2024-08-01",
    }
    await api.ok("POST", base, api.admin(code), configuration)
    woerden = {"code": "GM0632", "name": "Woerden"}
    await api.ok("POST", f"{base}/municipalities", api.admin(code), woerden)
    return code


def handover_body(world: dict[str, str], receiving: str) -> dict[str, Any]:
    return {
        "pupil_id": world["pupil"],
        "receiving_swv": receiving,
        "consent_given_on": "2026-04-20",
        "consent_channel": "WRITTEN",
        "support_question": "Welke ondersteuning heeft Sam nodig in de brugklas?",
        "tlv_ids": [world["tlv"]],
        "arrangement_ids": [world["arrangement"]],
    }


def types_in(timeline: dict[str, Any]) -> set[str]:
    return {entry["type"] for entry in timeline["entries"]}


async def test_a_pupil_handed_from_po_to_vo_is_in_both_logs_and_nothing_else_crosses(
    api: Api, app_pool: Pool
) -> None:
    po, vo = await open_tenant(api), await open_vo_tenant(api)
    world = await build_world(api, po)
    po_staff, vo_staff = api.as_(po, Role.LOKET), api.as_(vo, Role.LOKET)

    sent = await api.ok("POST", f"/v1/tenants/{po}/handovers", po_staff, handover_body(world, vo))
    handover = await api.ok("GET", f"/v1/tenants/{po}/handovers/{sent['id']}", po_staff)
    assert handover["state"]["status"] == "DELIVERED"

    await eventually(lambda: caught_up(app_pool, vo, (HandoversProjection(),)), timeout_s=30)
    listed = await api.ok("GET", f"/v1/tenants/{vo}/handovers?direction=INCOMING", vo_staff)
    [arrived] = listed["items"]
    assert (arrived["other_swv"], arrived["state"]) == (po, "DELIVERED")
    incoming_path = f"/v1/tenants/{vo}/incoming-handovers/{arrived['handover_id']}"
    incoming = await api.call("GET", incoming_path, vo_staff)
    content = incoming.json()["state"]["content"]
    assert content["pupil"] == {
        "name": "Sam de Vries",
        "date_of_birth": "2017-05-12",
        "municipality_code": "GM0632",
    }
    assert content["tlvs"] == [
        {"tlv_type": "SO", "funding_category": "LOW", "valid_until": "2027-07-31"}
    ]
    assert [a["arrangement_type"] for a in content["arrangements"]] == ["ambulante-begeleiding"]
    po_ids = [world[k] for k in ("pupil", "request", "granted", "tlv", "objection", "arrangement")]
    assert not [i for i in po_ids if i in incoming.text], "a PO id crossed the boundary"

    for kind, name in (
        ("pupils", "pupil"),
        ("support-requests", "request"),
        ("tlvs", "tlv"),
        ("objections", "objection"),
        ("arrangements", "arrangement"),
    ):
        response = await api.call("GET", f"/v1/tenants/{po}/{kind}/{world[name]}", vo_staff)
        assert response.status_code == 404, kind
        elsewhere = await api.call("GET", f"/v1/tenants/{vo}/{kind}/{world[name]}", vo_staff)
        assert elsewhere.status_code == 404, kind
    own_handover = await api.call("GET", f"/v1/tenants/{po}/handovers/{sent['id']}", vo_staff)
    assert own_handover.status_code == 404

    accepted = await api.ok("POST", f"{incoming_path}/acceptance", vo_staff, {})
    [vo_pupil] = accepted["also_changed"]
    registered = await api.ok("GET", f"/v1/tenants/{vo}/pupils/{vo_pupil}", vo_staff)
    assert registered["state"]["municipality_code"] == "GM0632"
    answered = await api.ok("GET", f"/v1/tenants/{po}/handovers/{sent['id']}", po_staff)
    assert answered["state"]["status"] == "ACCEPTED"

    audit = "?purpose=audit"
    po_auditor, vo_auditor = api.as_(po, Role.AUDITOR), api.as_(vo, Role.AUDITOR)
    po_timeline = await api.ok(
        "GET", f"/v1/tenants/{po}/pupils/{world['pupil']}/timeline{audit}", po_auditor
    )
    vo_timeline = await api.ok(
        "GET", f"/v1/tenants/{vo}/pupils/{vo_pupil}/timeline{audit}", vo_auditor
    )
    assert {"HandoverPrepared", "HandoverDelivered", "HandoverAnswered"} <= types_in(po_timeline)
    assert {"HandoverReceived", "HandoverAccepted", "PupilRegistered"} <= types_in(vo_timeline)
    assert world["pupil"] not in str(vo_timeline)
    actors = {e["type"]: e["actor"] for e in vo_timeline["entries"]}
    assert actors["HandoverReceived"] == f"system:handover-relay:{po}"
    answers = {e["type"]: e["actor"] for e in po_timeline["entries"]}
    assert answers["HandoverAnswered"] == f"system:handover-relay:{vo}"


async def test_a_handover_of_a_pupil_living_elsewhere_cannot_be_accepted(api: Api) -> None:
    po, vo = await open_tenant(api), await open_vo_tenant(api)  # the VO SWV has only GM0632
    world = await build_world(api, po)
    po_staff, vo_staff = api.as_(po, Role.LOKET), api.as_(vo, Role.LOKET)
    pupil = f"/v1/tenants/{po}/pupils/{world['pupil']}"
    moved = {"municipality_code": "GM1904", "moved_on": "2026-03-01"}
    await api.ok("POST", f"{pupil}/residence-changes", po_staff, moved)
    sent = await api.ok("POST", f"/v1/tenants/{po}/handovers", po_staff, handover_body(world, vo))
    incoming = incoming_id_for(vo, UUID(sent["id"]))
    incoming_path = f"/v1/tenants/{vo}/incoming-handovers/{incoming}"

    refused = await api.call("POST", f"{incoming_path}/acceptance", vo_staff, {})

    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["municipality_code"]
    assert "GM1904" in refused.json()["detail"]
    still = await api.ok("GET", f"/v1/tenants/{po}/handovers/{sent['id']}", po_staff)
    assert still["state"]["status"] == "DELIVERED"
    declined = {"reason": "De leerling woont buiten onze regio."}
    await api.ok("POST", f"{incoming_path}/decline", vo_staff, declined)


async def test_an_swv_off_the_platform_gets_a_package_signed_with_the_log_key(api: Api) -> None:
    po = await open_tenant(api)
    world = await build_world(api, po)
    staff = api.as_(po, Role.LOKET)
    off_platform = fresh_swv_code("VO")  # never opened

    sent = await api.ok(
        "POST", f"/v1/tenants/{po}/handovers", staff, handover_body(world, off_platform)
    )
    path = f"/v1/tenants/{po}/handovers/{sent['id']}"
    assert (await api.call("GET", f"{path}/package", staff)).status_code == 409
    await api.ok("POST", f"{path}/export", staff, {})
    exported = await api.ok("GET", path, staff)
    package = await api.ok("GET", f"{path}/package", staff)

    assert exported["state"]["status"] == "EXPORTED"
    digest = "sha256:" + hashlib.sha256(package["package"].encode()).hexdigest()
    assert package["digest"] == digest
    assert exported["events"][-1]["data"]["package_digest"] == digest
    note = parse_note(package["signature"])
    note.verified_by(Verifier.from_vkey(package["key"]))
    assert digest in note.body
    content = msgspec.json.decode(package["package"])
    assert (content["sending_swv"], content["receiving_swv"]) == (po, off_platform)
    assert content["pupil"]["name"] == "Sam de Vries"
    again = await api.call("POST", f"{path}/export", staff, {})
    assert again.status_code == 409
