"""Logs as JSON lines with the request's context, and without a pupil's personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from api.logs import CONTEXT_KEYS, configure_logging
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.api.world import build_world

NAME, BIRTH_DATE = "Sam de Vries", "2017-05-12"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every log line of the test, as the production configuration writes it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    configure_logging(json=True, stream=out)
    try:
        yield out
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


async def test_a_walkthrough_logs_json_lines_with_context_and_no_personal_data(
    api: Api, json_logs: io.StringIO
) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)
    staff = api.as_(tenant, Role.LOKET, Role.COMMITTEE)
    await api.ok("GET", f"/v1/tenants/{tenant}/pupils/{world['pupil']}", staff)
    refused = await api.call(
        "POST",
        f"/v1/tenants/{tenant}/pupils",
        staff,
        {"name": NAME, "date_of_birth": "12-05-2017", "school_code": SCHOOL},
    )
    assert refused.status_code == 422

    logged = lines(json_logs)
    requests = [line for line in logged if "status" in line and "method" in line]
    assert len(requests) >= 20
    assert all(set(CONTEXT_KEYS) <= line.keys() for line in logged)
    tenant_requests = [
        line for line in requests if line["path"].startswith(f"/v1/tenants/{tenant}/")
    ]
    assert tenant_requests
    assert all(line["tenant"] == tenant for line in tenant_requests)
    assert all(line["route"].startswith("/v1/tenants/{swv_code}") for line in tenant_requests)
    assert all(line["correlation_id"] for line in requests)
    assert {line["status"] for line in requests} >= {200, 201, 422}

    text = json_logs.getvalue()
    assert NAME not in text
    assert BIRTH_DATE not in text
    assert "12-05-2017" not in text
