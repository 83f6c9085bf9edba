"""``passend keys``: rotation and re-wrapping from the command line, against the database."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from api.cli import cli
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import default_key_provider
from tests.conftest import new_tenant_id
from tests.integration.events import META, note_events

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
