"""Auditors fetch signed checkpoints and check proofs with nothing but the log's public key."""

from __future__ import annotations

import base64

import pytest

from api.auth import Role
from infrastructure.merkle import leaf_hash, verify_consistency, verify_inclusion
from infrastructure.signed_note import Checkpoint, Verifier, parse_note
from tests.api.conftest import Api, open_tenant

pytestmark = pytest.mark.integration


def _hashes(encoded: list[str]) -> list[bytes]:
    return [base64.b64decode(h) for h in encoded]


async def _checkpoint(api: Api, tenant: str, auditor: dict[str, str]) -> Checkpoint:
    response = await api.call("GET", f"/v1/tenants/{tenant}/log/checkpoint?fresh=true", auditor)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    keys = await api.ok("GET", f"/v1/tenants/{tenant}/log/keys", auditor)
    note = parse_note(response.text)
    note.verified_by(Verifier.from_vkey(keys["log"]))
    return Checkpoint.from_body(note.body)


async def test_an_auditor_checks_inclusion_and_consistency_against_signed_checkpoints(
    api: Api,
) -> None:
    tenant = await open_tenant(api)
    auditor = api.as_(tenant, Role.AUDITOR)
    base = f"/v1/tenants/{tenant}/log"
    first = await _checkpoint(api, tenant, auditor)
    await api.ok(
        "POST",
        f"/v1/tenants/{tenant}/pupils",
        api.as_(tenant, Role.LOKET),
        {"name": "Sam de Vries", "date_of_birth": "2017-05-12", "municipality_code": "GM0632"},
    )
    second = await _checkpoint(api, tenant, auditor)

    proof = await api.ok("GET", f"{base}/proofs/inclusion?position={second.size}", auditor)
    consistency = await api.ok(
        "GET",
        f"{base}/proofs/consistency?old_size={first.size}&new_size={second.size}",
        auditor,
    )
    latest = await api.call("GET", f"{base}/checkpoint", auditor)

    assert second.size == first.size + 1
    assert first.origin == second.origin == f"passend.localhost/{tenant}"
    verify_inclusion(
        second.size - 1,
        second.size,
        leaf_hash(base64.b64decode(proof["event_hash"])),
        _hashes(proof["hashes"]),
        second.root,
    )
    verify_consistency(
        first.size, second.size, first.root, second.root, _hashes(consistency["hashes"])
    )
    assert Checkpoint.from_body(parse_note(latest.text).body) == second


async def test_proof_requests_name_the_field_at_fault(api: Api) -> None:
    tenant = await open_tenant(api)
    auditor = api.as_(tenant, Role.AUDITOR)
    base = f"/v1/tenants/{tenant}/log"
    size = (await _checkpoint(api, tenant, auditor)).size

    neither = await api.call("GET", f"{base}/proofs/inclusion", auditor)
    beyond = await api.call("GET", f"{base}/proofs/inclusion?position={size + 1}", auditor)
    backwards = await api.call(
        "GET", f"{base}/proofs/consistency?old_size={size}&new_size=0", auditor
    )
    no_such_checkpoint = await api.call("GET", f"{base}/checkpoint?size={size + 50}", auditor)

    for response, field in ((neither, "position"), (beyond, "position"), (backwards, "old_size")):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert no_such_checkpoint.status_code == 404
