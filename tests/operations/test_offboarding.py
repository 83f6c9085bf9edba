"""A tenant leaves: its log is handed back whole, then every row of it is gone, others intact."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from api.cli import cli
from domain.ids import TenantId
from domain.tenancy import PLATFORM_TENANT, tenancy_stream_id
from infrastructure.offboarding import row_eraser, tenant_row_counts
from tests.operations.databases import demo_database
from tests.operations.test_backup_restore import heads_and_chains

LEAVING = TenantId("PO2603")
STORE_TABLES = {"events", "subject_keys", "tenant_heads"}
CLI_OPERATOR = "platform-operator:cli"


async def platform_log_of(admin: asyncpg.Connection, tenant: TenantId) -> list[dict[str, object]]:
    """The tenant's record in the platform log: each event's type and actor with its data."""
    rows = await admin.fetch(
        "SELECT event_type, actor, payload FROM events WHERE tenant_id = $1 AND stream_id = $2"
        " ORDER BY position",
        PLATFORM_TENANT,
        tenancy_stream_id(tenant),
    )
    return [
        {"type": r["event_type"], "actor": r["actor"], **json.loads(r["payload"])} for r in rows
    ]


async def offboard(args: list[str], env: dict[str, str]) -> Result:
    """The command as an operator runs it (in a thread: it runs its own event loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(lambda: runner.invoke(cli, args, env=env))


async def test_offboarding_exports_the_log_then_deletes_only_that_tenant(
    admin_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # KEKs of its own: the demo's tenant codes are every demo database's, in the shared directory
    key_encryption_keys = tmp_path / "keks"
    monkeypatch.setenv("PASSEND_KEK_DIR", str(key_encryption_keys))
    admin_url, app_url, summary = await demo_database(admin_dsn, "passend_offboarding")
    staying = [t.tenant_id for t in summary.tenants if t.tenant_id != LEAVING]
    admin = await asyncpg.connect(admin_url)
    try:
        before = {t: await tenant_row_counts(admin, t) for t in [*staying, LEAVING]}
        heads_before = await heads_and_chains(app_url, staying)
        leaving_head = (await heads_and_chains(app_url, [LEAVING]))[LEAVING]
        assert before[LEAVING]["subject_keys"] > 0
        read_models = {t: n for t, n in before[LEAVING].items() if t not in STORE_TABLES}
        assert sum(read_models.values()) > 0, "its read models and tracking have rows"
        export = tmp_path / f"{LEAVING}.ndjson"
        env = {"DATABASE_URL": admin_url, "PASSEND_DATABASE_APP_URL": app_url}

        recorded_before = await platform_log_of(admin, LEAVING)
        leaving_keks = sorted(key.stem for key in (key_encryption_keys / LEAVING).glob("*.key"))
        assert leaving_keks

        dry = await offboard(["tenant", "offboard", LEAVING, "--export", str(export)], env)
        assert dry.exit_code == 0, dry.output
        assert await tenant_row_counts(admin, LEAVING) == before[LEAVING], "nothing deleted yet"
        first_export = hashlib.sha256(export.read_bytes()).hexdigest()
        suspended, exported = (await platform_log_of(admin, LEAVING))[len(recorded_before) :]
        assert (suspended["type"], suspended["actor"]) == ("TenancySuspended", CLI_OPERATOR)
        assert (exported["type"], exported["actor"]) == ("TenancyExported", CLI_OPERATOR)
        assert exported["export_sha256"] == first_export

        done = await offboard(
            ["tenant", "offboard", LEAVING, "--export", str(export), "--confirm", LEAVING], env
        )
        assert done.exit_code == 0, done.output
        assert f"not written again: {export}, sha256 {first_export}" in done.output

        lines = [json.loads(line) for line in export.read_text().splitlines()]
        manifest, events = lines[0], lines[1:]
        assert manifest["tenant_id"] == LEAVING
        assert (manifest["last_position"], bytes.fromhex(manifest["chain_hash"])) == leaving_head
        assert [e["position"] for e in events] == list(range(1, leaving_head[0] + 1))
        pupils = [e for e in events if "date_of_birth" in e["data"]]
        assert pupils, "personal fields are handed back decrypted"

        assert set((await tenant_row_counts(admin, LEAVING)).values()) == {0}
        assert {t: await tenant_row_counts(admin, t) for t in staying} == {
            t: before[t] for t in staying
        }
        *_, exported, erased = await platform_log_of(admin, LEAVING)
        sha256 = hashlib.sha256(export.read_bytes()).hexdigest()
        assert [(e["type"], e["actor"]) for e in (exported, erased)] == [
            ("TenancyExported", CLI_OPERATOR),
            ("TenancyErased", CLI_OPERATOR),
        ]
        assert exported["export_sha256"] == erased["export_sha256"] == sha256
        assert erased["last_position"] == leaving_head[0]
        assert erased["rows_deleted"] == sum(before[LEAVING].values())
        assert erased["keks_destroyed"] == leaving_keks
        assert not (key_encryption_keys / LEAVING).exists()
        assert all((key_encryption_keys / t).is_dir() for t in staying)
    finally:
        await admin.close()
    assert await heads_and_chains(app_url, staying) == heads_before


async def test_a_rerun_after_the_rows_were_deleted_records_the_erasure_without_exporting_again(
    admin_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PASSEND_KEK_DIR", str(tmp_path / "keks"))
    admin_url, app_url, _ = await demo_database(admin_dsn, "passend_offboarding_rerun")
    env = {"DATABASE_URL": admin_url, "PASSEND_DATABASE_APP_URL": app_url}
    export, elsewhere = tmp_path / "export.ndjson", tmp_path / "again.ndjson"
    admin = await asyncpg.connect(admin_url)
    try:
        dry = await offboard(["tenant", "offboard", LEAVING, "--export", str(export)], env)
        assert dry.exit_code == 0, dry.output
        sha256 = hashlib.sha256(export.read_bytes()).hexdigest()
        # a run with --confirm that deleted the rows and stopped before recording the erasure
        await row_eraser(admin_url)(LEAVING)

        confirm = ["--confirm", LEAVING]
        args = ["tenant", "offboard", LEAVING, "--export", str(elsewhere), *confirm]
        resumed = await offboard(args, env)
        assert resumed.exit_code == 0, resumed.output
        assert "exported before, not written again" in resumed.output
        assert f"recorded sha256 {sha256}" in resumed.output
        assert str(elsewhere) not in resumed.output  # nothing is at that path
        assert not elsewhere.exists()
        recorded = await platform_log_of(admin, LEAVING)
        assert [e["type"] for e in recorded].count("TenancyExported") == 1
        erased = recorded[-1]
        assert (erased["type"], erased["actor"]) == ("TenancyErased", CLI_OPERATOR)
        assert (erased["export_sha256"], erased["rows_deleted"]) == (sha256, None)

        again = await offboard(args, env)
        assert again.exit_code == 0, again.output
        assert "erased already" in again.output
        assert await platform_log_of(admin, LEAVING) == recorded
    finally:
        await admin.close()


def test_offboarding_deletes_only_when_the_code_is_confirmed(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["tenant", "offboard", "PO2603", "--export", str(tmp_path / "x"), "--confirm", "PO2604"],
        env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"},
    )
    assert result.exit_code != 0
    assert "--confirm must repeat" in result.output
