"""The docs page renders in a real browser from the project's own files, fetching nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.browser import Browser
from tests.serving import served


@pytest.mark.xfail(
    reason="since the handover routes (17729f6) Swagger UI renders only the first tag; open defect",
    strict=False,
)
async def test_the_docs_page_lists_the_operations_without_asking_another_site(
    browser: Browser, tmp_path: Path
) -> None:
    async with served(create_app(Settings(data_dir=tmp_path))) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            document = (await client.get("/schema/openapi.json")).json()
        page = await asyncio.to_thread(browser.render, f"{base_url}/schema")

    assert page.hosts_other_than("127.0.0.1") == set()
    assert any(url.endswith("/schema/assets/swagger-ui-bundle.js") for url in page.requested)
    for path in document["paths"]:
        assert f'data-path="{path}"' in page.dom, path
