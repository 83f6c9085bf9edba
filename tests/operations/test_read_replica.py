"""Reads on a streaming replica of the suite's PostgreSQL, stale by design.

Never stale for the caller who names the position its command answered; access-log entries of
reads the replica served are written on the primary.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from api.app import create_app
from api.auth import Role
from api.settings import Settings
from infrastructure import embedded_postgres_server
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.serving import free_port

pytestmark = pytest.mark.integration

WHY = {"Purpose": "Toezicht, art. 11 WOT"}


@pytest.fixture(scope="module")
async def replica_server(
    admin_dsn: str, database_dsns: tuple[str, str]
) -> AsyncIterator[embedded_postgres_server.EmbeddedServer]:
    """A hot standby of the suite's server, from a base backup, streaming its WAL."""
    port = urlsplit(admin_dsn).port
    assert port is not None
    # not under pytest's base temp, which concurrent pytest runs of the same user prune
    data_dir = Path(tempfile.mkdtemp(prefix="passend-test-replica-"))
    server = await asyncio.to_thread(embedded_postgres_server.start_standby, port, data_dir)
    try:
        yield server
    finally:
        await asyncio.to_thread(embedded_postgres_server.destroy, data_dir)


async def api_with_replica(
    database_dsns: tuple[str, str], replica_dsn: str, data_dir: Path
) -> AsyncTestClient[Any]:
    admin_dsn, app_dsn = database_dsns
    settings = Settings(
        database_url=admin_dsn,
        database_app_url=app_dsn,
        read_database_url=replica_dsn,
        replica_wait_seconds=3,
        database_retry_seconds=0.1,
        data_dir=data_dir,
    )
    return AsyncTestClient(app=create_app(settings))


@pytest.fixture(scope="module")
async def api(
    database_dsns: tuple[str, str],
    replica_server: embedded_postgres_server.EmbeddedServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Api]:
    database = urlsplit(database_dsns[1]).path.lstrip("/")
    data_dir = Path(tmp_path_factory.mktemp("replicated-api"))
    client = await api_with_replica(database_dsns, replica_server.app_dsn(database), data_dir)
    async with client:
        for _ in range(200):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        yield Api(client, client.app.state.settings)


def reads_served_by(source: str) -> float:
    return REGISTRY.get_sample_value("passend_replica_reads_total", {"source": source}) or 0.0


def positions(timeline: dict[str, Any]) -> list[int]:
    return [entry["position"] for entry in timeline["entries"]]


async def register_pupil(api: Api, tenant: str) -> dict[str, Any]:
    return await api.ok(
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


async def ask_for_support(api: Api, tenant: str, pupil: str) -> dict[str, Any]:
    return await api.ok(
        "POST",
        f"/v1/tenants/{tenant}/support-requests",
        api.as_(tenant, Role.LOKET),
        {
            "pupil_id": pupil,
            "school_code": SCHOOL,
            "question": "Wat past?",
            "parent_view": "AGREE",
            "received_on": "2025-03-03",
            "tlv_type": "SO",
        },
    )


async def test_a_caller_reads_its_own_write_while_others_read_the_lagging_replica(
    api: Api, replica_server: embedded_postgres_server.EmbeddedServer
) -> None:
    tenant = await open_tenant(api)
    pupil = await register_pupil(api, tenant)
    timeline = f"/v1/tenants/{tenant}/pupils/{pupil['id']}/timeline"
    auditor = {**api.as_(tenant, Role.AUDITOR), **WHY}

    def after(answer: dict[str, Any]) -> dict[str, str]:
        return {**auditor, "Min-Position": str(answer["position"])}

    from_replica = reads_served_by("replica")
    caught_up = await api.ok("GET", timeline, after(pupil))
    assert positions(caught_up)[-1] == pupil["position"]
    assert reads_served_by("replica") == from_replica + 1

    standby = await asyncpg.connect(replica_server.admin_dsn())
    try:
        await standby.execute("SELECT pg_wal_replay_pause()")
        asked = await ask_for_support(api, tenant, pupil["id"])

        from_primary = reads_served_by("primary")
        stale = await api.ok("GET", timeline, auditor)
        own_write = await api.ok("GET", timeline, after(asked))
        assert reads_served_by("primary") == from_primary + 1
    finally:
        await standby.execute("SELECT pg_wal_replay_resume()")
        await standby.close()
    replayed = await api.ok("GET", timeline, after(asked))

    assert positions(stale) == positions(caught_up)
    assert positions(own_write)[: len(positions(caught_up))] == positions(caught_up)
    assert positions(own_write)[-1] == asked["position"]
    assert replayed["entries"] == own_write["entries"]
    assert reads_served_by("replica") == from_replica + 3
    accesses = await api.ok("GET", f"/v1/tenants/{tenant}/log/accesses", auditor)
    assert [a["action"] for a in accesses["accesses"]] == ["timeline"] * 4


async def test_read_models_their_replays_and_exports_are_read_on_the_replica(api: Api) -> None:
    tenant = await open_tenant(api)
    pupil = await register_pupil(api, tenant)
    auditor = {**api.as_(tenant, Role.AUDITOR), **WHY, "Min-Position": str(pupil["position"])}
    from_replica = reads_served_by("replica")

    deadlines = await api.call("GET", f"/v1/tenants/{tenant}/deadlines", auditor)
    caseload = await api.call("GET", f"/v1/tenants/{tenant}/schools/{SCHOOL}/caseload", auditor)
    replayed = await api.call(
        "GET", f"/v1/tenants/{tenant}/deadlines?as_of_position={pupil['position']}", auditor
    )
    signed = await api.call("GET", f"/v1/tenants/{tenant}/log/checkpoint?fresh=true", auditor)
    export = await api.call("GET", f"/v1/tenants/{tenant}/log/export", auditor)

    assert (deadlines.status_code, caseload.status_code, signed.status_code) == (200, 200, 200)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replayed_to"]["position"] == pupil["position"]
    assert export.status_code == 200, export.text
    assert export.headers["content-type"] == "application/zip"
    # 5: the replay also reads its log where that holds the position (here the replica)
    assert reads_served_by("replica") == from_replica + 5
    accesses = await api.ok("GET", f"/v1/tenants/{tenant}/log/accesses", auditor)
    assert sorted(a["action"] for a in accesses["accesses"]) == ["as-of", "export"]


async def test_as_of_a_position_the_replica_does_not_hold_yet_the_primary_replays_it(
    api: Api, replica_server: embedded_postgres_server.EmbeddedServer
) -> None:
    tenant = await open_tenant(api)
    pupil = await register_pupil(api, tenant)
    auditor = {**api.as_(tenant, Role.AUDITOR), **WHY}
    timeline = f"/v1/tenants/{tenant}/pupils/{pupil['id']}/timeline"
    await api.ok("GET", timeline, {**auditor, "Min-Position": str(pupil["position"])})

    standby = await asyncpg.connect(replica_server.admin_dsn())
    try:
        await standby.execute("SELECT pg_wal_replay_pause()")
        asked = await ask_for_support(api, tenant, pupil["id"])
        then = f"as_of_position={asked['position']}"
        story = await api.ok("GET", f"{timeline}?{then}", auditor)
        cases = await api.ok("GET", f"/v1/tenants/{tenant}/cases?{then}", auditor)
    finally:
        await standby.execute("SELECT pg_wal_replay_resume()")
        await standby.close()

    assert positions(story)[-1] == asked["position"]
    assert story["replayed_to"]["position"] == asked["position"]
    assert [c["case_id"] for c in cases["cases"]] == [asked["id"]]


async def test_a_replica_that_does_not_answer_leaves_every_read_to_the_primary(
    database_dsns: tuple[str, str], tmp_path: Path
) -> None:
    nowhere = f"postgresql://passend_app@127.0.0.1:{free_port()}/passend_test"
    async with await api_with_replica(database_dsns, nowhere, tmp_path) as client:
        for _ in range(200):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        api = Api(client, client.app.state.settings)
        tenant = await open_tenant(api)
        from_primary = reads_served_by("primary")

        deadlines = await api.call(
            "GET", f"/v1/tenants/{tenant}/deadlines", api.as_(tenant, Role.LOKET)
        )

        assert deadlines.status_code == 200, deadlines.text
        assert reads_served_by("primary") == from_primary + 1
