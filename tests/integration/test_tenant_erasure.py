"""Erasing a tenant: refused before any row goes when its KEKs cannot go, and recorded truly."""

from __future__ import annotations

import base64
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from application.access import Caller
from application.commands import (
    CommandContext,
    EraseTenant,
    ExportTenant,
    OpenTenant,
    SuspendTenant,
)
from application.errors import KeyUnavailableError
from application.handlers import offboarding, platform
from domain.ids import TenantId
from domain.tenancy import PLATFORM_TENANT, Tenancy
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import EnvKeyProvider, LocalKeyProvider
from infrastructure.offboarding import export_writer, row_eraser, tenant_row_counts
from infrastructure.system import SystemClock
from tests.integration.events import META, note_events
from tests.tenant_codes import fresh_swv_code

pytestmark = pytest.mark.integration

OPERATOR = Caller.operator("ops-1")
KEK = base64.b64encode(b"k" * 32).decode()


def as_operator() -> CommandContext:
    return CommandContext(PLATFORM_TENANT, OPERATOR, uuid4())


async def exported_tenant(store: PostgresEventStore, target: Path) -> tuple[TenantId, str]:
    """A suspended tenant with a few events, its log exported to ``target``; and the hash."""
    code = fresh_swv_code()
    clock = SystemClock()
    await platform.open_tenant(
        OpenTenant(code=code, name="Leaving"), as_operator(), store=store, clock=clock
    )
    await store.append(TenantId(code), note_events(3), expected_version=0, metadata=META)
    await platform.suspend_tenant(
        SuspendTenant(code=code, reason="Contract over."), as_operator(), store=store, clock=clock
    )
    _, written = await offboarding.export_tenant(
        ExportTenant(code=code),
        as_operator(),
        store=store,
        clock=clock,
        write_export=export_writer(store, target),
    )
    return TenantId(code), written.sha256


async def erase(
    store: PostgresEventStore,
    admin_dsn: str,
    tenant: TenantId,
    sha256: str,
    keks: offboarding.TenantKeks,
) -> None:
    await offboarding.erase_tenant(
        EraseTenant(code=tenant, export_sha256=sha256, reason="Overeenkomst beëindigd."),
        as_operator(),
        store=store,
        clock=SystemClock(),
        erase_rows=row_eraser(admin_dsn),
        keks=keks,
    )


async def erasure_record(store: PostgresEventStore, tenant: TenantId) -> Tenancy.Erased:
    erased = (await platform.platform_log(store, tenant))[-1].event
    assert isinstance(erased, Tenancy.Erased)
    return erased


async def test_keks_from_the_environment_refuse_the_erasure_before_any_row_is_deleted(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    tenant, sha256 = await exported_tenant(pg_store, tmp_path / "export.ndjson")
    admin = await asyncpg.connect(database_dsns[0])
    try:
        before = await tenant_row_counts(admin, tenant)
        configured = EnvKeyProvider({f"PASSEND_KEK_{tenant}": f"kek-1:{KEK}"})
        with pytest.raises(KeyUnavailableError, match=f"remove PASSEND_KEK_{tenant}"):
            await erase(pg_store, database_dsns[0], tenant, sha256, configured)
        assert await tenant_row_counts(admin, tenant) == before, "nothing deleted"
        assert before["events"] == 3

        await erase(pg_store, database_dsns[0], tenant, sha256, EnvKeyProvider({}))
        erased = await erasure_record(pg_store, tenant)
        assert erased.rows_deleted == sum(before.values())
        assert erased.keks_destroyed == ()
        assert set((await tenant_row_counts(admin, tenant)).values()) == {0}
    finally:
        await admin.close()


class StopsAfterDestroying:
    """A provider whose process stops once the KEKs are destroyed, before the erasure's record."""

    def __init__(self, provider: LocalKeyProvider) -> None:
        self.provider = provider

    async def ensure_destroyable(self, tenant_id: TenantId) -> None:
        await self.provider.ensure_destroyable(tenant_id)

    async def destroy_keks(self, tenant_id: TenantId) -> list[str]:
        await self.provider.destroy_keks(tenant_id)
        raise RuntimeError("stopped before the erasure was recorded")


class StopsBeforeDestroying(StopsAfterDestroying):
    async def destroy_keks(self, tenant_id: TenantId) -> list[str]:
        raise RuntimeError("stopped after the deletion")


@pytest.mark.parametrize(
    ("stopping", "keks_recorded"), [(StopsAfterDestroying, False), (StopsBeforeDestroying, True)]
)
async def test_an_erasure_run_again_records_no_count_it_does_not_know(
    pg_store: PostgresEventStore,
    database_dsns: tuple[str, str],
    tmp_path: Path,
    stopping: type[StopsAfterDestroying],
    keks_recorded: bool,
) -> None:
    tenant, sha256 = await exported_tenant(pg_store, tmp_path / "export.ndjson")
    provider = LocalKeyProvider(tmp_path / "keks")
    kek = await provider.current_kek(tenant)
    with pytest.raises(RuntimeError, match="stopped"):
        await erase(pg_store, database_dsns[0], tenant, sha256, stopping(provider))
    assert (await platform.platform_log(pg_store, tenant))[-1].event_type == "TenancyExported"

    await erase(pg_store, database_dsns[0], tenant, sha256, provider)
    erased = await erasure_record(pg_store, tenant)
    assert erased.rows_deleted is None, "the earlier attempt's count is not known: not 0"
    assert erased.keks_destroyed == ((kek,) if keks_recorded else None)
    assert not (tmp_path / "keks" / tenant).exists()
