"""The platform operator opens, suspends, reinstates tenants and rotates keys; auditors read it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.auth import Role
from api.background import start_background, stop_background
from api.key_rotations import stop_key_rotations
from api.partners import stop_partner_services
from api.settings import Settings
from application.access import Caller
from application.commands import CommandContext, RotateTenantKeys
from application.handlers import platform
from domain.ids import TenantId
from domain.registry import AGGREGATE_CLASSES
from domain.tenancy import PLATFORM_TENANT
from infrastructure.data_keys import PooledDataKeys, rewrap_lock_key
from infrastructure.database import Pool
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from infrastructure.key_provider import LocalKeyProvider
from infrastructure.system import SystemClock
from tests.api.conftest import Api, open_tenant
from tests.api.test_problems import head_position

PUPIL = {"name": "Noor", "date_of_birth": "2018-01-02", "municipality_code": "GM0632"}


async def test_a_suspended_tenant_is_read_but_not_changed_and_its_auditor_sees_why(
    api: Api, database_dsns: tuple[str, str]
) -> None:
    tenant = await open_tenant(api)
    operator, loket = api.operator(), api.as_(tenant, Role.LOKET)
    platform = f"/v1/platform/tenants/{tenant}"
    await api.ok("POST", f"{platform}/suspension", operator, {"reason": "Contract beëindigd."})
    before = await head_position(database_dsns[0], tenant)
    refused = await api.call("POST", f"/v1/tenants/{tenant}/pupils", loket, PUPIL)
    assert refused.status_code == 423, refused.text
    assert await head_position(database_dsns[0], tenant) == before
    assert (await api.call("GET", f"/v1/tenants/{tenant}/configuration", loket)).status_code == 200
    assert (await api.ok("GET", platform, operator))["suspended"] is True
    await api.ok("POST", f"{platform}/reinstatement", operator, {"reason": "Contract verlengd."})
    await api.ok("POST", f"/v1/tenants/{tenant}/pupils", loket, PUPIL)
    log = await api.ok("GET", f"/v1/tenants/{tenant}/platform-log", api.as_(tenant, Role.AUDITOR))
    assert [(e["type"], e["actor"]) for e in log["events"]] == [
        ("TenancyOpened", "platform-operator:platform-operator"),
        ("TenancySuspended", "platform-operator:platform-operator"),
        ("TenancyReinstated", "platform-operator:platform-operator"),
    ]
    assert log["events"][1]["data"]["reason"] == "Contract beëindigd."


async def test_the_operator_reads_no_tenant_and_changes_no_configuration(api: Api) -> None:
    tenant = await open_tenant(api)
    operator = api.operator()
    for method, path, body in (
        ("GET", f"/v1/tenants/{tenant}/me", None),
        ("GET", f"/v1/tenants/{tenant}/configuration", None),
        ("PUT", f"/v1/tenants/{tenant}/configuration/committee", {"committee_name": "X"}),
        ("GET", f"/v1/tenants/{tenant}/platform-log", None),
    ):
        assert (await api.call(method, path, operator, body)).status_code == 404


async def test_an_swv_admin_configures_only_its_own_tenant(api: Api) -> None:
    mine, theirs = await open_tenant(api), await open_tenant(api)
    response = await api.call(
        "PUT",
        f"/v1/tenants/{theirs}/configuration/committee",
        api.admin(mine),
        {"committee_name": "Overgenomen"},
    )
    assert response.status_code == 404
    await api.ok(
        "PUT",
        f"/v1/tenants/{mine}/configuration/committee",
        api.admin(mine),
        {"committee_name": "TLC"},
    )


ROTATION = {"reason": "Jaarlijkse sleutelrotatie."}
NAMES = ("Noor Jansen", "Sam de Vries")


async def rotations_once_completed(api: Api, location: str) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for _ in range(600):
        status = await api.ok("GET", location, api.operator())
        if status["rotations"][-1]["completed_at"] is not None:
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"the key rotation did not complete: {status}")


async def registered_pupils(api: Api, tenant: TenantId) -> list[str]:
    loket = api.as_(tenant, Role.LOKET)
    return [
        (await api.ok("POST", f"/v1/tenants/{tenant}/pupils", loket, {**PUPIL, "name": name}))["id"]
        for name in NAMES
    ]


async def test_the_operator_rotates_a_tenants_key_and_the_old_key_is_no_longer_needed(
    api: Api, database_dsns: tuple[str, str], key_encryption_keys: Path
) -> None:
    tenant = await open_tenant(api)
    pupils = await registered_pupils(api, tenant)
    keks = LocalKeyProvider(key_encryption_keys)
    old_kek = await keks.current_kek(tenant)
    tenant_head = await head_position(database_dsns[0], tenant)

    started = await api.call(
        "POST", f"/v1/platform/tenants/{tenant}/key-rotations", api.operator(), ROTATION
    )
    assert started.status_code == 202, started.text
    status = await rotations_once_completed(api, started.headers["location"])

    new_kek = await keks.current_kek(tenant)
    (rotation,) = status["rotations"]
    assert new_kek != old_kek
    assert rotation["kek_id"] == new_kek
    assert rotation["rewrapped"] >= len(pupils)
    assert rotation["unreadable"] == 0
    assert list(status["data_keys"]) == [new_kek]
    assert status["data_keys"][new_kek] >= rotation["rewrapped"]
    keks.revoke(tenant, old_kek)
    loket = api.as_(tenant, Role.LOKET)
    read = [await api.ok("GET", f"/v1/tenants/{tenant}/pupils/{p}", loket) for p in pupils]
    assert [r["state"]["name"] for r in read] == list(NAMES)
    assert await head_position(database_dsns[0], tenant) == tenant_head
    for answer in (started.text, str(status)):
        assert not [name for name in NAMES if name in answer]


async def test_the_tenants_auditor_and_swv_admin_read_the_rotation_in_the_platform_log(
    api: Api,
) -> None:
    tenant = await open_tenant(api)
    await registered_pupils(api, tenant)
    started = await api.call(
        "POST", f"/v1/platform/tenants/{tenant}/key-rotations", api.operator(), ROTATION
    )
    status = await rotations_once_completed(api, started.headers["location"])
    for reader in (api.as_(tenant, Role.AUDITOR), api.admin(tenant)):
        log = await api.ok("GET", f"/v1/tenants/{tenant}/platform-log", reader)
        started_event, completed_event = log["events"][-2:]
        assert started_event["type"] == "TenancyKeyRotationStarted"
        assert started_event["actor"] == "platform-operator:platform-operator"
        assert started_event["data"]["reason"] == ROTATION["reason"]
        assert completed_event["type"] == "TenancyKeyRotationCompleted"
        assert completed_event["data"]["kek_id"] == status["rotations"][0]["kek_id"]
        assert completed_event["data"]["rewrapped"] == status["rotations"][0]["rewrapped"]


async def test_a_rotation_the_api_stopped_in_completes_when_an_api_starts_again(
    api: Api, app_pool: Pool, key_encryption_keys: Path
) -> None:
    tenant = await open_tenant(api)
    await registered_pupils(api, tenant)
    keks = LocalKeyProvider(key_encryption_keys)
    old_kek = await keks.current_kek(tenant)
    # The rotation as an API that stopped right after starting it left it: recorded, its KEK
    # current, no data key re-wrapped.
    store = PostgresEventStore(app_pool, EventCodec(AGGREGATE_CLASSES), key_provider=keks)
    keys = PooledDataKeys(store.data_keys, app_pool)
    started = await platform.start_key_rotation(
        RotateTenantKeys(code=tenant, reason=ROTATION["reason"]),
        CommandContext(PLATFORM_TENANT, Caller.operator("platform-operator"), uuid4()),
        store=store,
        clock=SystemClock(),
        keys=keys,
    )
    assert list(await keys.census(tenant)) == [old_kek]

    location = f"/v1/platform/tenants/{tenant}/key-rotations"
    async with AsyncTestClient(app=create_app(api.settings)):
        status = await rotations_once_completed(api, location)

    (rotation,) = status["rotations"]
    assert rotation["kek_id"] == started.kek_id == await keks.current_kek(tenant) != old_kek
    assert list(status["data_keys"]) == [started.kek_id]
    assert rotation["rewrapped"] == status["data_keys"][started.kek_id]
    assert rotation["completed_by"] == platform.KEY_ROTATION_RESUMER.actor
    log = await api.ok("GET", f"/v1/tenants/{tenant}/platform-log", api.as_(tenant, Role.AUDITOR))
    assert [(e["type"], e["actor"]) for e in log["events"][-2:]] == [
        ("TenancyKeyRotationStarted", "platform-operator:platform-operator"),
        ("TenancyKeyRotationCompleted", "system:key-rotation-resumer"),
    ]


async def _started_rotation(
    api: Api, app_pool: Pool, keks: LocalKeyProvider
) -> tuple[TenantId, PooledDataKeys]:
    """A tenant whose rotation is recorded and not re-wrapped, as a worker that died left it."""
    tenant = await open_tenant(api)
    await registered_pupils(api, tenant)
    store = PostgresEventStore(app_pool, EventCodec(AGGREGATE_CLASSES), key_provider=keks)
    keys = PooledDataKeys(store.data_keys, app_pool)
    await platform.start_key_rotation(
        RotateTenantKeys(code=tenant, reason=ROTATION["reason"]),
        CommandContext(PLATFORM_TENANT, Caller.operator("platform-operator"), uuid4()),
        store=store,
        clock=SystemClock(),
        keys=keys,
    )
    return tenant, keys


@pytest.mark.parametrize("elected", [True, False], ids=["serve --workers", "serve"])
async def test_the_background_process_completes_a_rotation_a_worker_left_while_it_ran(
    api: Api, app_pool: Pool, key_encryption_keys: Path, elected: bool
) -> None:
    # Under serve --workers no HTTP worker resumes rotations: the elected background process
    # looks again every key_rotation_rescan_s, not only when it is elected; the single process
    # of serve does the same, not only when it starts.
    background = Settings(
        database_url=api.settings.database_url,
        database_app_url=api.settings.database_app_url,
        data_dir=api.settings.data_dir,
        elect_background=elected,
        run_projections=False,
        run_deliveries=False,
        run_retention=False,
        run_absence_signals=False,
        key_rotation_rescan_s=0.2,
    )
    keks = LocalKeyProvider(key_encryption_keys)
    store = PostgresEventStore(app_pool, EventCodec(AGGREGATE_CLASSES), key_provider=keks)
    state = State()
    try:
        await start_background(state, background, app_pool, store)
        await asyncio.sleep(0.5)  # elected, and its first look found nothing
        tenant, keys = await _started_rotation(api, app_pool, keks)
        status = await rotations_once_completed(api, f"/v1/platform/tenants/{tenant}/key-rotations")
    finally:
        await stop_background(state)
        await stop_key_rotations(state)
        await stop_partner_services(state)
    (rotation,) = status["rotations"]
    assert rotation["completed_by"] == platform.KEY_ROTATION_RESUMER.actor
    assert list(await keys.census(tenant)) == [rotation["kek_id"]]


async def test_a_rotation_a_live_process_re_wraps_is_left_to_it_and_completes_once(
    api: Api, app_pool: Pool, database_dsns: tuple[str, str], key_encryption_keys: Path
) -> None:
    keks = LocalKeyProvider(key_encryption_keys)
    tenant, keys = await _started_rotation(api, app_pool, keks)
    store = PostgresEventStore(app_pool, EventCodec(AGGREGATE_CLASSES), key_provider=keks)
    before = await keys.census(tenant)
    head = await head_position(database_dsns[0], PLATFORM_TENANT)

    def resume() -> Any:
        return platform.complete_key_rotation(
            tenant, platform.KEY_ROTATION_RESUMER, store=store, clock=SystemClock(), keys=keys
        )

    live = await asyncpg.connect(database_dsns[1])  # a worker re-wrapping it holds the lock
    try:
        await live.execute("SELECT pg_advisory_lock($1)", rewrap_lock_key(tenant))
        await resume()
        assert await keys.census(tenant) == before
        assert await head_position(database_dsns[0], PLATFORM_TENANT) == head
    finally:
        await live.close()  # the worker died

    await asyncio.gather(resume(), resume())  # two resumers at once
    await resume()  # and one that comes after
    log = await api.ok("GET", f"/v1/tenants/{tenant}/platform-log", api.as_(tenant, Role.AUDITOR))
    assert [e["type"] for e in log["events"]].count("TenancyKeyRotationCompleted") == 1
    assert await head_position(database_dsns[0], PLATFORM_TENANT) == head + 1


async def test_no_tenant_role_rotates_keys_and_a_refusal_writes_nothing(
    api: Api, database_dsns: tuple[str, str], key_encryption_keys: Path
) -> None:
    tenant = await open_tenant(api)
    await registered_pupils(api, tenant)
    kek = await LocalKeyProvider(key_encryption_keys).current_kek(tenant)
    heads = [await head_position(database_dsns[0], t) for t in (tenant, PLATFORM_TENANT)]
    path = f"/v1/platform/tenants/{tenant}/key-rotations"
    for role in Role:
        refused = await api.call("POST", path, api.as_(tenant, role), ROTATION)
        assert refused.status_code == 403, f"{role}: {refused.status_code}"
        assert (await api.call("GET", path, api.as_(tenant, role))).status_code == 403
    assert (await api.call("POST", path, {}, ROTATION)).status_code == 401
    empty_reason = await api.call("POST", path, api.operator(), {"reason": " "})
    assert empty_reason.status_code == 422
    assert [e["pointer"] for e in empty_reason.json()["errors"]] == ["/reason"]
    assert [await head_position(database_dsns[0], t) for t in (tenant, PLATFORM_TENANT)] == heads
    assert await LocalKeyProvider(key_encryption_keys).current_kek(tenant) == kek
    assert (await api.ok("GET", path, api.operator()))["rotations"] == []


async def test_an_unknown_tenant_has_no_keys_to_rotate(api: Api) -> None:
    path = "/v1/platform/tenants/PO0000/key-rotations"
    assert (await api.call("POST", path, api.operator(), ROTATION)).status_code == 404
