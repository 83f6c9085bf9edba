"""``/metrics`` in Prometheus text format: values move as commands run; strangers see nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.auth import Role
from tests.api.conftest import SCHOOL, Api, open_tenant

TOKEN = "scrape-secret"  # noqa: S105 - a test value
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
async def scraped_api(api: Api) -> AsyncIterator[Api]:
    """The API with a metrics token, on the same database as ``api``."""
    settings = msgspec.structs.replace(api.settings, metrics_token=TOKEN)
    async with AsyncTestClient(app=create_app(settings)) as client:
        for _ in range(200):
            if (await client.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        yield Api(client, settings)


async def samples(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await api.client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_move_as_commands_run(scraped_api: Api) -> None:
    api = scraped_api
    tenant = await open_tenant(api)
    before = await samples(api)
    loket = api.as_(tenant, Role.LOKET)
    for _ in range(3):
        await api.ok(
            "POST",
            f"/v1/tenants/{tenant}/pupils",
            loket,
            {
                "name": "Kim",
                "date_of_birth": "2016-01-02",
                "municipality_code": "GM0632",
                "school_code": SCHOOL,
            },
        )
    after = await samples(api)

    assert (
        value(after, "passend_appends_total", tenant=tenant)
        - value(before, "passend_appends_total", tenant=tenant)
        == 3
    )
    assert (
        value(after, "passend_events_appended_total", tenant=tenant)
        >= value(before, "passend_events_appended_total", tenant=tenant) + 3
    )
    route = {"route": "/v1/tenants/{swv_code}/pupils", "method": "POST", "status": "201"}
    count = "passend_http_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 3
    assert value(after, "passend_pool_connections", state="max") == api.settings.pool_max_size


async def test_projection_lag_is_measured_per_read_model_and_tenant(scraped_api: Api) -> None:
    tenant = await open_tenant(scraped_api)
    measured: set[str] = set()
    for _ in range(100):
        found = await samples(scraped_api)
        measured = {
            dict(labels)["projection"]
            for name, labels in found
            if name == "passend_projection_lag_events" and ("tenant", tenant) in labels
        }
        if measured:
            break
        await asyncio.sleep(0.05)
    assert "school_caseload" in measured


async def test_metrics_are_not_for_strangers(scraped_api: Api) -> None:
    assert (await scraped_api.client.get("/metrics")).status_code == 404
    wrong = {"Authorization": "Bearer guess"}
    assert (await scraped_api.client.get("/metrics", headers=wrong)).status_code == 404
    tenant_token = scraped_api.as_("PO0001", Role.AUDITOR)
    assert (await scraped_api.client.get("/metrics", headers=tenant_token)).status_code == 404
