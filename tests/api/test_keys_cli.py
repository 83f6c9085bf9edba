"""``passend keys``: rotation and re-wrapping from the command line, against the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from api.cli import cli
from application.ports import NewEvent
from domain.tenancy import PLATFORM_TENANT, Tenancy
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import default_key_provider
from tests.conftest import new_tenant_id
from tests.integration.events import META, note_events
from tests.tenant_codes import fresh_swv_code

pytestmark = pytest.mark.integration


async def test_keys_rotate_re_wraps_every_data_key_of_the_tenant_under_a_new_kek(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    tenant = new_tenant_id()
    await pg_store.register_tenant(tenant)
    for author in ("Anna", "Bram", "Chris"):
        await pg_store.append(
            tenant, note_events(1, author=author), expected_version=0, metadata=META
        )
    old_kek = await default_key_provider().current_kek(tenant)
    env = {"DATABASE_URL": database_dsns[0]}

    rotated = await asyncio.to_thread(
        CliRunner().invoke, cli, ["keys", "rotate", "--tenant", tenant], env=env
    )
    status = await asyncio.to_thread(
        CliRunner().invoke, cli, ["keys", "status", "--tenant", tenant], env=env
    )

    new_kek = await default_key_provider().current_kek(tenant)
    assert rotated.exit_code == 0, rotated.output
    assert f"every data key is under KEK {new_kek} (3 re-wrapped" in rotated.output
    assert new_kek != old_kek
    assert status.output.strip() == f"{new_kek}\t3"
    authors = [vars(e.event).get("author_name") for e in await pg_store.read_log(tenant)]
    assert authors == ["Anna", "Bram", "Chris"]


async def test_keys_rotate_and_rewrap_make_no_kek_for_an_erased_tenant(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str], key_encryption_keys: Path
) -> None:
    # its record in the platform log as an erasure leaves it (the rows and KEKs gone)
    tenant, at, by = fresh_swv_code(), datetime(2026, 12, 1, 9, tzinfo=UTC), "platform-operator:x"
    tenancy = Tenancy.open(code=tenant, name="Vertrokken", by=by, at=at)
    tenancy.suspend(reason="Contract beëindigd.", by=by, at=at)
    tenancy.record_export(
        last_position=0, chain_hash="cd" * 32, export_sha256="ab" * 32, by=by, at=at
    )
    tenancy.erase(
        last_position=0,
        chain_hash="cd" * 32,
        export_sha256="ab" * 32,
        rows_deleted=1,
        keks_destroyed=["kek-1"],
        reason="Overeenkomst beëindigd.",
        by=by,
        at=at,
    )
    await pg_store.register_tenant(PLATFORM_TENANT)
    await pg_store.append(
        PLATFORM_TENANT,
        [NewEvent(uuid4(), event) for event in tenancy.collect_events()],
        expected_version=0,
        metadata=META,
    )
    env = {"DATABASE_URL": database_dsns[0]}

    for command in ("rotate", "rewrap"):
        refused = await asyncio.to_thread(
            CliRunner().invoke, cli, ["keys", command, "--tenant", tenant], env=env
        )
        assert refused.exit_code == 1, refused.output
        assert "has left the platform" in refused.output
    assert not (key_encryption_keys / tenant).exists(), "no KEK made again"
