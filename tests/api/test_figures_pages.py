"""The figures pages in a real browser, and who may see which.

The expected figures, nothing of any pupil, nothing fetched from elsewhere, and a municipality
sees only its own aggregated figures.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from api.auth import Role
from infrastructure.database import Pool
from projections.absence_cases import AbsenceCasesProjection
from projections.municipality_figures import MunicipalityFiguresProjection
from tests.api.conftest import SCHOOL, Api, open_tenant
from tests.api.world import build_world
from tests.browser import Browser, Rendered
from tests.projections.conftest import eventually
from tests.projections.read_models import caught_up

pytestmark = pytest.mark.integration
NAMES = ["Sam de Vries", *(f"Leerling {n}" for n in range(6)), "Lotte Elders"]


async def submit(api: Api, tenant: str, name: str, municipality: str) -> str:
    staff = api.as_(tenant, Role.LOKET)
    base = f"/v1/tenants/{tenant}"
    pupil = await api.ok(
        "POST",
        f"{base}/pupils",
        staff,
        {"name": name, "date_of_birth": "2016-02-03", "municipality_code": municipality},
    )
    request = {
        "pupil_id": pupil["id"],
        "school_code": SCHOOL,
        "tlv_type": "SO",
        "question": "Past het SO?",
        "parent_view": "AGREE",
        "received_on": "2025-03-03",
    }
    await api.ok("POST", f"{base}/support-requests", staff, request)
    return str(pupil["id"])


async def rendered(
    api: Api, browser: Browser, path: str, headers: dict[str, str], tmp: Path
) -> Rendered:
    """The page as the API serves it to this caller, rendered by Chromium from a file."""
    response = await api.call("GET", path, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = tmp / f"page-{abs(hash(path))}.html"
    page.write_text(response.text)
    return await asyncio.to_thread(browser.render, page.as_uri())


async def test_a_municipality_sees_its_own_figures_drawn_and_no_pupil(
    api: Api, app_pool: Pool, browser: Browser, tmp_path: Path
) -> None:
    tenant = await open_tenant(api)
    world = await build_world(api, tenant)  # two SO requests and one arrangement in GM0632
    pupils = [world["pupil"]]
    for name in NAMES[1:7]:
        pupils.append(await submit(api, tenant, name, "GM0632"))  # noqa: PERF401 - one by one
    pupils.append(await submit(api, tenant, NAMES[-1], "GM1904"))
    projections = (MunicipalityFiguresProjection(), AbsenceCasesProjection())
    await eventually(lambda: caught_up(app_pool, tenant, projections), timeout_s=60)
    base = f"/v1/tenants/{tenant}"
    woerden = api.as_(tenant, Role.MUNICIPALITY, municipality="GM0632")

    page = await rendered(
        api, browser, f"{base}/municipalities/GM0632/figures/page", woerden, tmp_path
    )
    elsewhere = await api.call("GET", f"{base}/municipalities/GM1904/figures/page", woerden)

    assert page.requested == []  # inline SVG and CSS: the browser fetched nothing
    assert "Passend onderwijs in GM0632" in page.dom
    assert "2024-2025 · SO" in page.dom
    assert 'data-count="8"' in page.dom  # eight SO applications from Woerden that school year
    assert "<rect" in page.dom
    assert "2024-2025 · ambulante-begeleiding" in page.dom  # one: published as <5, no bar
    assert "GM1904" not in page.dom
    for secret in [*NAMES, *pupils, world["request"], world["tlv"]]:
        assert secret not in page.dom
    assert elsewhere.status_code == 404


async def test_the_tenant_page_shows_every_municipality_and_the_thuiszitters(
    api: Api, app_pool: Pool, browser: Browser, tmp_path: Path
) -> None:
    tenant = await open_tenant(api)
    await submit(api, tenant, "Sam de Vries", "GM1904")
    projections = (MunicipalityFiguresProjection(), AbsenceCasesProjection())
    await eventually(lambda: caught_up(app_pool, tenant, projections), timeout_s=60)
    base = f"/v1/tenants/{tenant}"

    page = await rendered(
        api, browser, f"{base}/figures/page?school_year=2025", api.as_(tenant, Role.LOKET), tmp_path
    )
    municipality = await api.call(
        "GET", f"{base}/figures/page", api.as_(tenant, Role.MUNICIPALITY, municipality="GM0632")
    )

    assert page.requested == []
    for chart in ("GM0632-requests_submitted", "GM1904-requests_submitted", "thuiszitters"):
        assert f'id="{chart}"' in page.dom
    assert "Thuiszitters per maand, 2025/2026" in page.dom
    assert "Sam de Vries" not in page.dom
    assert municipality.status_code == 403
