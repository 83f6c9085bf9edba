"""The figures pages in a real browser, and who may see which.

The expected figures, nothing of any pupil, nothing fetched from elsewhere, and a municipality
sees only its own aggregated figures.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from html.parser import HTMLParser
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


class _Charts(HTMLParser):
    """Each chart of a rendered page: its bars' labels and the counts shown beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, str]] = {}
        self._chart: str | None = None
        self._label: str | None = None
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("class") == "chart":
            self._chart = found["id"] or ""
            self.charts[self._chart] = {}
        elif tag == "text" and "data-count" in found and self._chart and self._label:
            self.charts[self._chart][self._label] = found["data-count"] or ""
        elif tag == "text" and found.get("x") == "0":
            self._in_label = True

    def handle_data(self, data: str) -> None:
        if self._in_label:
            self._label = data
            self._in_label = False


def charts_in(dom: str) -> dict[str, dict[str, str]]:
    parser = _Charts()
    parser.feed(dom)
    return parser.charts


async def pupil_in(api: Api, tenant: str, name: str, municipality: str) -> str:
    body = {
        "name": name,
        "date_of_birth": "2008-02-03",
        "municipality_code": municipality,
        "school_code": SCHOOL,
    }
    pupil = await api.ok("POST", f"/v1/tenants/{tenant}/pupils", api.as_(tenant, Role.LOKET), body)
    return str(pupil["id"])


async def decided_after(api: Api, tenant: str, pupil: str, days: int) -> None:
    """An arrangement request received on 3 March 2025, decided ``days`` later."""
    staff, base = api.as_(tenant, Role.LOKET, Role.COMMITTEE), f"/v1/tenants/{tenant}"
    request = {
        "pupil_id": pupil,
        "school_code": SCHOOL,
        "arrangement_type": "ambulante-begeleiding",
        "question": "Wat past?",
        "parent_view": "AGREE",
        "received_on": "2025-03-03",
    }
    created = await api.ok("POST", f"{base}/support-requests", staff, request)
    path = f"{base}/support-requests/{created['id']}"
    await api.ok("POST", f"{path}/completeness-checks", staff, {"checked_on": "2025-03-03"})
    decided_on = (date(2025, 3, 3) + timedelta(days=days)).isoformat()
    decision = {"outcome": "GRANTED", "reasons": "Nodig.", "decided_on": decided_on}
    await api.ok("POST", f"{path}/decision", staff, decision)


async def test_a_municipality_sees_time_to_decision_outflow_and_its_own_thuiszitters(
    api: Api, app_pool: Pool, browser: Browser, tmp_path: Path
) -> None:
    tenant = await open_tenant(api)
    base, staff = f"/v1/tenants/{tenant}", api.as_(tenant, Role.LOKET)
    woerden = [await pupil_in(api, tenant, name, "GM0632") for name in NAMES[:6]]
    elsewhere = await pupil_in(api, tenant, NAMES[-1], "GM1904")
    for pupil, days in zip(woerden, (10, 12, 14, 16, 18), strict=False):
        await decided_after(api, tenant, pupil, days)
    for pupil, destination in zip(woerden, ["VERVOLGONDERWIJS"] * 5 + ["ARBEID"], strict=True):
        outflow = {"pupil_id": pupil, "destination": destination, "left_on": "2025-07-04"}
        await api.ok("POST", f"{base}/outflows", staff, outflow)
    for pupil in [*woerden, elsewhere]:
        report = {"pupil_id": pupil, "absent_since": "2025-09-01", "reporter": "LEERPLICHT"}
        await api.ok(
            "POST", f"{base}/absence-cases", staff, {**report, "reported_on": "2025-09-02"}
        )
    moved = {"municipality_code": "GM1904", "moved_on": "2025-10-15"}
    await api.ok("POST", f"{base}/pupils/{woerden[0]}/residence-changes", staff, moved)
    projections = (MunicipalityFiguresProjection(), AbsenceCasesProjection())
    await eventually(lambda: caught_up(app_pool, tenant, projections), timeout_s=60)
    as_woerden = api.as_(tenant, Role.MUNICIPALITY, municipality="GM0632")

    page = await rendered(
        api,
        browser,
        f"{base}/municipalities/GM0632/figures/page?school_year=2025",
        as_woerden,
        tmp_path,
    )
    figures = await api.ok("GET", f"{base}/municipalities/GM0632/figures", as_woerden)

    charts = charts_in(page.dom)
    assert page.requested == []
    assert charts["GM0632-time_to_decision"] == {"2024-2025": "14 dagen"}
    assert figures["time_to_decision"] == [{"period": "2024-2025", "mean_days": 14}]
    assert charts["GM0632-outflow"] == {
        "2024-2025 · ARBEID": "<5",
        "2024-2025 · VERVOLGONDERWIJS": "5",
    }
    thuis = charts["GM0632-thuiszitters"]
    # the one who moved to GM1904 counts there, where the pupil lives as far as Passend knows
    assert [thuis[f"2025-{m} thuis"] for m in ("08", "09", "10")] == ["0", "5", "5"]
    assert thuis["2025-12 na pact-termijn"] == "5"  # three months without an offer by December
    assert "GM1904" not in page.dom
    for secret in [*NAMES, *woerden, elsewhere]:
        assert secret not in page.dom

    tenant_page = await rendered(
        api, browser, f"{base}/figures/page?school_year=2025", staff, tmp_path
    )
    tenant_charts = charts_in(tenant_page.dom)
    assert tenant_charts["GM1904-thuiszitters"]["2025-10 thuis"] == "<5"
    assert tenant_charts["GM1904-time_to_decision"] == {}
    assert tenant_charts["GM0632-thuiszitters"] == thuis
