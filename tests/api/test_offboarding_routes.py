"""The platform operator offboards a tenant over HTTP: suspend, export, erase; all recorded."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.auth import Role
from domain.ids import TenantId
from infrastructure.offboarding import tenant_row_counts
from tests.api.conftest import SCHOOL, Api, open_tenant

pytestmark = pytest.mark.integration


async def register_pupil(api: Api, tenant: str) -> None:
    await api.ok(
        "POST",
        f"/v1/tenants/{tenant}/pupils",
        api.as_(tenant, Role.LOKET),
        {
            "name": "Sam de Vries",
            "date_of_birth": "2017-05-12",
            "municipality_code": "GM0632",
            "school_code": SCHOOL,
        },
    )


async def store_rows(admin: asyncpg.Connection, tenant: str) -> dict[str, int]:
    """The tenant's log and head (other tables are written as projections run meanwhile)."""
    counts = await tenant_row_counts(admin, TenantId(tenant))
    return {t: counts[t] for t in ("events", "tenant_heads")}


async def erase_once_caught_up(api: Api, platform: str, sha256: str) -> httpx.Response:
    """Erase; while read models or the tree catch up, the answer is 409 with Retry-After."""
    body = {"export_sha256": sha256, "reason": "Overeenkomst beëindigd."}
    answer = await api.call("POST", f"{platform}/erasure", api.operator(), body)
    for _ in range(120):
        if answer.status_code != 409:
            break
        assert "caught up" in answer.text, answer.text
        assert answer.headers["retry-after"] == "5"
        await asyncio.sleep(0.5)
        answer = await api.call("POST", f"{platform}/erasure", api.operator(), body)
    return answer


def kek_ids(keks: Path, tenant: str) -> list[str]:
    return sorted(key.stem for key in (keks / tenant).glob("*.key"))


async def test_the_operator_hands_a_tenants_log_back_then_erases_only_that_tenant(
    api: Api, key_encryption_keys: Path
) -> None:
    leaving, staying = await open_tenant(api), await open_tenant(api)
    for tenant in (leaving, staying):
        await register_pupil(api, tenant)
    platform = f"/v1/platform/tenants/{leaving}"
    operator = api.operator()
    admin = await asyncpg.connect(api.settings.database_url)
    try:
        running = await api.call("POST", f"{platform}/export", operator)
        assert running.status_code == 409, "a tenant that still changes is not exported"
        await api.ok("POST", f"{platform}/suspension", operator, {"reason": "Contract over."})
        export = await api.call("POST", f"{platform}/export", operator)
        assert export.status_code == 200, export.text
        sha256 = hashlib.sha256(export.content).hexdigest()
        digest = base64.b64encode(bytes.fromhex(sha256)).decode()
        assert export.headers["content-digest"] == f"sha-256=:{digest}:"
        lines = [json.loads(line) for line in export.text.splitlines()]
        manifest, events = lines[0], lines[1:]
        assert [e["position"] for e in events] == list(range(1, manifest["last_position"] + 1))
        assert any(e["data"].get("name") == "Sam de Vries" for e in events), "decrypted"

        wrong = await api.call(
            "POST", f"{platform}/erasure", operator, {"export_sha256": "0" * 64, "reason": "x"}
        )
        assert wrong.status_code == 409
        assert (await tenant_row_counts(admin, leaving))["events"] == manifest["last_position"]

        staying_rows = await store_rows(admin, staying)
        leaving_keks, staying_keks = (kek_ids(key_encryption_keys, t) for t in (leaving, staying))
        assert leaving_keks
        assert staying_keks
        by_admin = await api.call(
            "POST",
            f"{platform}/erasure",
            api.admin(leaving),
            {"export_sha256": sha256, "reason": "Overeenkomst beëindigd."},
        )
        assert by_admin.status_code in {403, 404}
        erased = await erase_once_caught_up(api, platform, sha256)
        assert erased.status_code == 200, erased.text

        assert set((await tenant_row_counts(admin, leaving)).values()) == {0}
        assert await store_rows(admin, staying) == staying_rows
        assert not (key_encryption_keys / leaving).exists(), "no KEK of it is left"
        assert kek_ids(key_encryption_keys, staying) == staying_keks
    finally:
        await admin.close()
    record = await api.ok("GET", platform, operator)
    assert [e["type"] for e in record["events"]][-2:] == ["TenancyExported", "TenancyErased"]
    erased = record["events"][-1]["data"]
    assert (erased["export_sha256"], erased["last_position"]) == (sha256, manifest["last_position"])
    assert erased["rows_deleted"] > manifest["last_position"]
    assert erased["keks_destroyed"] == leaving_keks
    again = await api.call("POST", f"{platform}/reinstatement", operator, {"reason": "Terug."})
    assert again.status_code == 409
    rotation = await api.call("POST", f"{platform}/key-rotations", operator, {"reason": "Later."})
    assert rotation.status_code == 409
    assert not (key_encryption_keys / leaving).exists(), "an erased tenant gets no new KEK"
