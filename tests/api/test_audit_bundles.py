"""Audit bundles: whatever stored byte is changed, ``passend verify`` names where.

Each test builds a tenant through the API, has a checkpoint signed, tampers with the stored
rows as someone with direct database access would, exports, and verifies offline.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.auth import Role
from api.cli import cli
from api.transparency import checkpoint_signer
from domain.ids import TenantId
from infrastructure import merkle
from infrastructure.audit_bundle import verify_bundle
from infrastructure.audit_export import export_bundle
from infrastructure.database import Pool, create_pool
from infrastructure.event_batches import recompute_hash
from infrastructure.signed_note import Signer, parse_note
from infrastructure.transparency_log import TransparencyLog
from tests.api.conftest import Api, open_tenant
from tests.api.world import build_world

pytestmark = pytest.mark.integration

Tamper = Callable[[asyncpg.Connection, str, int], Awaitable[None]]


@pytest.fixture
async def admin(database_dsns: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    """A connection that bypasses row-level security, as a database administrator's would."""
    conn = await asyncpg.connect(database_dsns[0])
    yield conn
    await conn.close()


@pytest.fixture
def transparency_log(api: Api, app_pool: Pool) -> TransparencyLog:
    return TransparencyLog(app_pool, checkpoint_signer(api.settings))


async def signed_world(api: Api) -> dict[str, str]:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    response = await api.call(
        "GET", f"/v1/tenants/{tenant}/log/checkpoint?fresh=true", api.as_(tenant, Role.AUDITOR)
    )
    assert response.status_code == 200, response.text
    return world


async def export(
    app_pool: Pool,
    transparency_log: TransparencyLog,
    tenant: str,
    path: Path,
    pupil: str | None = None,
) -> Path:
    await export_bundle(
        app_pool,
        transparency_log,
        TenantId(tenant),
        path,
        exported_at=datetime.now(UTC),
        pupil_id=UUID(pupil) if pupil else None,
    )
    return path


async def single_event_commit(admin: asyncpg.Connection, tenant: str) -> int:
    """A position in the middle of the log whose event is a commit of its own, as is the next."""
    return int(
        await admin.fetchval(
            "SELECT e.position FROM events e"
            " JOIN events b ON b.tenant_id = e.tenant_id AND b.position = e.position - 1"
            " JOIN events n ON n.tenant_id = e.tenant_id AND n.position = e.position + 1"
            " WHERE e.tenant_id = $1 AND b.commit_hash IS NOT NULL"
            " AND e.commit_hash IS NOT NULL AND n.commit_hash IS NOT NULL"
            " AND e.position > 10 ORDER BY e.position LIMIT 1",
            tenant,
        )
    )


async def change_payload(admin: asyncpg.Connection, tenant: str, position: int) -> None:
    await admin.execute(
        'UPDATE events SET payload = payload || \'{"reasons": "Anders besloten."}\''
        " WHERE tenant_id = $1 AND position = $2",
        tenant,
        position,
    )


async def change_actor(admin: asyncpg.Connection, tenant: str, position: int) -> None:
    await admin.execute(
        "UPDATE events SET actor = 'committee:someone-else' WHERE tenant_id = $1 AND position = $2",
        tenant,
        position,
    )


async def swap_with_next(admin: asyncpg.Connection, tenant: str, position: int) -> None:
    async with admin.transaction():
        await admin.execute(
            "UPDATE events SET position = -position"
            " WHERE tenant_id = $1 AND position IN ($2::bigint, $2::bigint + 1)",
            tenant,
            position,
        )
        await admin.execute(
            "UPDATE events SET position ="
            " CASE WHEN position = -$2::bigint THEN $2::bigint + 1 ELSE $2::bigint END"
            " WHERE tenant_id = $1 AND position IN (-$2::bigint, -$2::bigint - 1)",
            tenant,
            position,
        )


async def delete_row(admin: asyncpg.Connection, tenant: str, position: int) -> None:
    await admin.execute(
        "DELETE FROM events WHERE tenant_id = $1 AND position = $2", tenant, position
    )


async def insert_row(admin: asyncpg.Connection, tenant: str, position: int) -> None:
    """A well-formed event (its own hash right) slipped in before ``position``."""
    stored = await admin.fetchrow(
        "SELECT * FROM events WHERE tenant_id = $1 AND position = $2", tenant, position
    )
    assert stored is not None
    row = dict(stored)
    row.update(event_id=uuid4(), stream_version=row["stream_version"] + 1000)
    row["event_hash"] = recompute_hash(row)
    async with admin.transaction():
        await admin.execute(
            "UPDATE events SET position = -position WHERE tenant_id = $1 AND position >= $2",
            tenant,
            position,
        )
        await admin.execute(
            "UPDATE events SET position = 1 - position WHERE tenant_id = $1 AND position < 0",
            tenant,
        )
        columns = [c for c in row if c != "committed_at"]
        await admin.execute(
            f"INSERT INTO events ({', '.join(columns)})"  # noqa: S608 - the table's own columns
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))})",
            *[row[c] for c in columns],
        )


TAMPERINGS = {
    "a payload": change_payload,
    "an envelope field": change_actor,
    "the order of two events": swap_with_next,
    "a deleted row": delete_row,
    "an inserted row": insert_row,
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
async def test_verify_names_the_position_where_the_stored_log_was_changed(  # noqa: PLR0917
    api: Api,
    app_pool: Pool,
    admin: asyncpg.Connection,
    transparency_log: TransparencyLog,
    tmp_path: Path,
    tamper: Tamper,
) -> None:
    world = await signed_world(api)
    tenant = world["tenant"]
    position = await single_event_commit(admin, tenant)
    intact = verify_bundle(await export(app_pool, transparency_log, tenant, tmp_path / "a.zip"))

    await tamper(admin, tenant, position)
    verdict = verify_bundle(await export(app_pool, transparency_log, tenant, tmp_path / "b.zip"))

    assert intact.intact, intact.reason
    assert not verdict.intact
    assert verdict.first_broken_position == position, verdict.reason


async def test_a_rewritten_tile_is_found_at_the_first_event_whose_proof_uses_it(
    api: Api,
    app_pool: Pool,
    admin: asyncpg.Connection,
    transparency_log: TransparencyLog,
    tmp_path: Path,
) -> None:
    world = await signed_world(api)
    tenant, pupil = world["tenant"], world["pupil"]
    bundle = await export(app_pool, transparency_log, tenant, tmp_path / "a.zip", pupil)
    intact = verify_bundle(bundle)
    size = intact.tree_size
    with zipfile.ZipFile(bundle) as opened:
        positions = [
            json.loads(line)["position"] for line in opened.read("events.ndjson").splitlines()
        ]
    rewritten_leaf = (positions[0] - 1) ^ 1
    expected = min(
        p
        for p in positions
        if any(a <= rewritten_leaf < b for a, b in merkle.inclusion_ranges(p - 1, size))
    )

    await admin.execute(
        "UPDATE log_tiles SET hashes = overlay(hashes PLACING $3 FROM $4 FOR 32)"
        " WHERE tenant_id = $1 AND level = 0 AND tile_index = $2",
        tenant,
        rewritten_leaf // merkle.TILE_WIDTH,
        b"\x00" * 32,
        (rewritten_leaf % merkle.TILE_WIDTH) * 32 + 1,
    )
    verdict = verify_bundle(
        await export(app_pool, transparency_log, tenant, tmp_path / "b.zip", pupil)
    )

    assert intact.intact, intact.reason
    assert intact.events == len(positions) > 1
    assert verdict.first_broken_position == expected, verdict.reason


async def test_a_shredded_pupils_bundles_still_verify(
    api: Api, app_pool: Pool, transparency_log: TransparencyLog, tmp_path: Path
) -> None:
    world = await signed_world(api)
    tenant, pupil = world["tenant"], world["pupil"]
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE)
    await api.ok("POST", f"/v1/tenants/{tenant}/pupils/{pupil}/shredding", staff)
    await api.call(
        "GET", f"/v1/tenants/{tenant}/log/checkpoint?fresh=true", api.as_(tenant, Role.AUDITOR)
    )

    whole = verify_bundle(await export(app_pool, transparency_log, tenant, tmp_path / "a.zip"))
    own = verify_bundle(await export(app_pool, transparency_log, tenant, tmp_path / "b.zip", pupil))

    assert whole.intact, whole.reason
    assert own.intact, own.reason


async def test_a_checkpoint_signed_by_another_key_is_refused(
    api: Api, app_pool: Pool, transparency_log: TransparencyLog, tmp_path: Path
) -> None:
    world = await signed_world(api)
    genuine = await export(app_pool, transparency_log, world["tenant"], tmp_path / "a.zip")
    origin = transparency_log.origin(world["tenant"])
    impostor = Signer(origin, Ed25519PrivateKey.generate())
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(forged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "checkpoint.txt":
                body = parse_note(data.decode()).body
                data = (body + "\n" + impostor.signature_line(body)).encode()
            if name == "bundle.json":
                manifest = json.loads(data)
                manifest["log_key"] = impostor.verifier.vkey
                data = json.dumps(manifest).encode()
            target.writestr(name, data)

    pinned = verify_bundle(forged, log_key=transparency_log.verifier(world["tenant"]).vkey)

    assert not pinned.intact
    assert "checkpoint is not valid" in (pinned.reason or "")


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


async def test_passend_verify_checks_one_decision_and_says_where_a_bundle_breaks(
    api: Api,
    app_pool: Pool,
    admin: asyncpg.Connection,
    transparency_log: TransparencyLog,
    tmp_path: Path,
) -> None:
    world = await signed_world(api)
    tenant = world["tenant"]
    decision = await admin.fetchrow(
        "SELECT event_id, position FROM events WHERE tenant_id = $1"
        " AND event_type = 'SupportRequestGranted' ORDER BY position LIMIT 1",
        tenant,
    )
    good = await export(app_pool, transparency_log, tenant, tmp_path / "good.zip", world["pupil"])
    position = await single_event_commit(admin, tenant)
    await change_payload(admin, tenant, position)
    bad = await export(app_pool, transparency_log, tenant, tmp_path / "bad.zip")

    assert decision is not None
    ok = _cli("verify", str(good), "--event", str(decision["event_id"]))
    broken = _cli("verify", str(bad))

    assert ok.exit_code == 0, ok.output
    assert decision is not None
    assert f"is at position {decision['position']}" in ok.output
    assert broken.exit_code == 1
    assert f"BROKEN at position {position}" in broken.output


async def test_an_auditor_downloads_a_pupils_bundle_that_verifies(
    api: Api, transparency_log: TransparencyLog, tmp_path: Path
) -> None:
    world = await signed_world(api)
    tenant = world["tenant"]
    auditor = api.as_(tenant, Role.AUDITOR)

    export_path = f"/v1/tenants/{tenant}/log/export?pupil_id={world['pupil']}"
    unexplained = await api.call("GET", export_path, auditor)
    response = await api.call(
        "GET", export_path, {**auditor, "Purpose": "Bezwaarprocedure, art. 7:4 Awb"}
    )
    accesses = (await api.ok("GET", f"/v1/tenants/{tenant}/log/accesses", auditor))["accesses"]
    (tmp_path / "pupil.zip").write_bytes(response.content)
    verdict = verify_bundle(tmp_path / "pupil.zip", log_key=transparency_log.verifier(tenant).vkey)

    assert unexplained.status_code == 422
    assert unexplained.json()["errors"][0]["field"] == "Purpose"
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    [access] = accesses
    assert (access["action"], access["subject_id"], access["purpose"]) == (
        "export",
        world["pupil"],
        "Bezwaarprocedure, art. 7:4 Awb",
    )
    assert access["actor"].startswith("auditor:")
    assert verdict.intact, verdict.reason
    assert verdict.events > 1


async def test_a_full_log_bundle_that_fails_part_way_gives_its_connection_back_at_once(
    api: Api,
    database_dsns: tuple[str, str],
    admin: asyncpg.Connection,
    transparency_log: TransparencyLog,
    tmp_path: Path,
) -> None:
    tenant = (await signed_world(api))["tenant"]
    # jsonb holds a number no float can (PostgreSQL writes it out as 1000…0.5): the bundle
    # cannot read that event's JSON, and stops there
    await admin.execute(
        "UPDATE events SET payload = payload || jsonb_build_object('reasons', 1e400 + 0.5)"
        " WHERE tenant_id = $1 AND position = 3",
        tenant,
    )
    pool = await create_pool(database_dsns[1], min_size=0, max_size=2)
    try:
        with pytest.raises(msgspec.DecodeError, match="out of range"):
            await export(pool, transparency_log, tenant, tmp_path / "a.zip")
        assert pool.get_idle_size() == pool.get_size(), "the log's reader kept its connection"
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)
