"""The access log: append-only, hash-chained per tenant, and never behind the event log's lock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from application.ports import AccessRecord
from infrastructure.access_log import PostgresAccessLog
from infrastructure.database import Pool, tenant_transaction
from infrastructure.event_store import PostgresEventStore
from tests.conftest import new_tenant_id

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def a_read(**changes: object) -> AccessRecord:
    fields = {
        "actor": "auditor:inspectie-1",
        "action": "timeline",
        "resource": "/v1/tenants/X/pupils/1/timeline",
        "purpose": "Onderzoek Inspectie, art. 11 WOT",
        "subject_id": uuid4(),
        "fields": ("name", "date_of_birth"),
    }
    fields.update(changes)
    return AccessRecord(**fields)  # type: ignore[arg-type]


async def test_accesses_are_numbered_chained_and_read_back_per_subject(app_pool: Pool) -> None:
    log = PostgresAccessLog(app_pool)
    tenant = new_tenant_id()
    first, second = a_read(), a_read(action="export", subject_id=None, fields=())

    numbers = [await log.record(tenant, first, at=AT), await log.record(tenant, second, at=AT)]
    everything = await log.read(tenant)
    about_first = await log.read(tenant, subject_id=first.subject_id)

    assert numbers == [1, 2]
    assert [a.record for a in everything] == [first, second]
    assert [a.sequence for a in about_first] == [1]
    assert (await log.verify(tenant)).intact


async def test_a_read_of_many_pupils_is_found_by_each_and_its_subjects_are_hashed(
    app_pool: Pool, database_dsns: tuple[str, str]
) -> None:
    log = PostgresAccessLog(app_pool)
    tenant = new_tenant_id()
    pupils = (uuid4(), uuid4())
    listed = a_read(action="list", subject_id=None, fields=(), subjects=pupils)
    await log.record(tenant, a_read(), at=AT)
    await log.record(tenant, listed, at=AT)

    found = [await log.read(tenant, subject_id=pupil) for pupil in pupils]
    intact = await log.verify(tenant)
    admin = await asyncpg.connect(database_dsns[0])
    try:
        await admin.execute(
            "UPDATE access_log SET subjects = $2 WHERE tenant_id = $1 AND sequence = 2",
            tenant,
            [pupils[0]],
        )
    finally:
        await admin.close()
    tampered = await log.verify(tenant)

    assert [[a.record for a in f] for f in found] == [[listed], [listed]]
    assert intact.intact
    assert tampered.first_broken_position == 2


async def test_the_application_may_not_change_or_delete_an_access(app_pool: Pool) -> None:
    log = PostgresAccessLog(app_pool)
    tenant = new_tenant_id()
    await log.record(tenant, a_read(), at=AT)

    async with app_pool.acquire() as conn:
        for statement in (
            "UPDATE access_log SET purpose = 'nieuwsgierigheid' WHERE tenant_id = $1",
            "DELETE FROM access_log WHERE tenant_id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with tenant_transaction(conn, tenant):
                    await conn.execute(statement, tenant)


async def test_a_changed_access_is_found_at_its_sequence_number(
    app_pool: Pool, database_dsns: tuple[str, str]
) -> None:
    log = PostgresAccessLog(app_pool)
    tenant = new_tenant_id()
    for _ in range(3):
        await log.record(tenant, a_read(), at=AT)
    admin = await asyncpg.connect(database_dsns[0])
    try:
        await admin.execute(
            "UPDATE access_log SET purpose = 'iets anders' WHERE tenant_id = $1 AND sequence = 2",
            tenant,
        )
    finally:
        await admin.close()

    verdict = await log.verify(tenant)

    assert verdict.first_broken_position == 2


async def test_recording_a_read_does_not_wait_for_the_event_logs_head(
    app_pool: Pool, pg_store: PostgresEventStore
) -> None:
    log = PostgresAccessLog(app_pool)
    tenant = new_tenant_id()
    await pg_store.register_tenant(tenant)
    async with app_pool.acquire() as writer, tenant_transaction(writer, tenant):
        await writer.execute(
            "SELECT 1 FROM tenant_heads WHERE tenant_id = $1 FOR UPDATE", tenant
        )  # an append in progress holds this lock until it commits
        sequence = await asyncio.wait_for(log.record(tenant, a_read(), at=AT), timeout=5)

    assert sequence == 1
