"""DUO's export and OSO's import, in Passend's documented formats.

The export of TLV registrations validates against its JSON Schema; an OSO request from a
school's administration becomes a pupil and a support request.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import jsonschema
import pytest

from api.auth import Role
from domain.beschikkingsnummer import tlv_id_of
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.api.world import build_world

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).parents[2] / "docs" / "duo-tlv-registrations.schema.json"


async def test_the_duo_export_of_a_period_validates_against_its_documented_format(
    api: Api,
) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    staff = api.as_(tenant, Role.LOKET)
    path = f"/v1/tenants/{tenant}/duo/tlv-registrations"

    export = await api.ok("GET", f"{path}?period_from=2025-01-01&period_until=2025-12-31", staff)
    later = await api.ok("GET", f"{path}?period_from=2026-01-01&period_until=2026-12-31", staff)
    backwards = await api.call(
        "GET", f"{path}?period_from=2025-12-31&period_until=2025-01-01", staff
    )

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(export)
    validator.validate(later)
    [registration] = export["registrations"]
    assert registration["beschikkingsnummer"] == world["beschikkingsnummer"]
    assert tlv_id_of(registration["beschikkingsnummer"], tenant) == UUID(world["tlv"])
    assert (registration["tlv_type"], registration["funding_category"]) == ("SO", "LOW")
    assert registration["valid_until"] == "2027-07-31"
    assert later["registrations"] == []
    assert world["pupil"] not in json.dumps(export)
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.json()["errors"]] == ["period_until"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**export, "registrations": [{**registration, "tlv_type": "PRO"}]})


async def test_an_oso_request_becomes_a_pupil_at_the_school_and_its_request(api: Api) -> None:
    tenant = await open_tenant(api)
    school = api.as_(tenant, Role.SCHOOL, subject="ib")
    path = f"/v1/tenants/{tenant}/oso/swv-dossier-requests"
    dossier = {
        "school_code": SCHOOL,
        "pupil": {
            "name": "Noor Bakker",
            "date_of_birth": "2016-11-02",
            "municipality_code": "GM0632",
        },
        "request_kind": "TLV_SBO",
        "question": "Past het SBO bij wat Noor nodig heeft?",
        "parent_view": "AGREE",
        "received_on": "2025-10-06",
    }

    imported = await api.ok("POST", path, school, dossier)
    arrangement = await api.call("POST", path, school, {**dossier, "request_kind": "ARRANGEMENT"})

    request = await api.ok("GET", f"/v1/tenants/{tenant}/support-requests/{imported['id']}", school)
    [pupil_id] = imported["also_changed"]
    pupil = await api.ok("GET", f"/v1/tenants/{tenant}/pupils/{pupil_id}", school)
    assert (request["state"]["tlv_type"], request["state"]["school_code"]) == ("SBO", SCHOOL)
    assert request["state"]["pupil_id"] == pupil_id
    assert pupil["state"]["school_code"] == SCHOOL
    assert arrangement.status_code == 422
    assert [e["field"] for e in arrangement.json()["errors"]] == ["arrangement_type"]
