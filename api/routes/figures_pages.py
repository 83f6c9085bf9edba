"""Figures people can look at: HTML pages with bar charts, per municipality and per tenant.

Server-rendered (Jinja2, inline SVG and CSS, no script, nothing fetched from elsewhere) from
the read models, with the API's own disclosure rules: a municipality's page shows exactly the
cells ``GET …/municipalities/{code}/figures`` publishes (counts from 1 to 4 as "<5", without a
bar), the mean time to decision, where pupils went after VO/VSO, and the thuiszitters living
there per month, and a municipality sees only its own. The tenant's page, for its staff and
auditors, shows the same of each of its municipalities, the tenant's thuiszitters per month and
the services. No pupil data on either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from api import authorisation
from api.auth import Principal, Role
from api.dependencies import ClockDependency, Store
from api.page_templates import page_template
from api.routes.read_models import ERRORS, PoolDependency, provide_pool, read_model
from application.handling import load_swv
from application.local_dates import local_date
from domain.ids import TenantId
from domain.swv import is_municipality_code
from infrastructure.database import Connection
from projections.absence_cases import (
    MonthlyAbsenceOverview,
    MunicipalityThuiszitters,
    fetch_monthly_overview,
    thuiszitters_in,
)
from projections.municipality_figures import (
    DecisionTime,
    FigureCell,
    Granularity,
    Metric,
    fetch_municipality_figures,
)
from projections.service_requests import ServicesOverview, fetch_services_overview

_LABEL_WIDTH, _BAR_WIDTH = 420, 360

_METRIC_TITLES = {
    Metric.REQUESTS_SUBMITTED: "Aanvragen, naar soort",
    Metric.REQUESTS_DECIDED: "Besluiten: uitkomst, binnen of na de termijn, TLV-categorie",
    Metric.ARRANGEMENTS_GRANTED: "Toegekende arrangementen, naar soort",
    Metric.ARRANGEMENTS_EXTENDED: "Verlengde arrangementen, naar soort",
    Metric.OBJECTIONS_LODGED: "Bezwaren, naar soort en tijdigheid",
    Metric.OBJECTIONS_DECIDED: "Beslissingen op bezwaar",
    Metric.OUTFLOW: "Uitstroom na VO/VSO, naar bestemming, door de jaren",
}
reads_tenant_figures = authorisation.requires(*authorisation.SWV_STAFF, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int | None  # None: a suppressed count, shown without a bar
    shown: str


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    bars: list[Bar]

    @property
    def scale(self) -> int:
        return max([b.value for b in self.bars if b.value is not None] + [1])


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    subtitle: str
    charts: list[Chart]


def _bar(label: str, count: int | str) -> Bar:
    return Bar(label, count if isinstance(count, int) else None, str(count))


def municipality_charts(code: str, cells: Iterable[FigureCell]) -> list[Chart]:
    """One chart per metric of the published cells, each cell a bar (never a sum of cells)."""
    by_metric: dict[Metric, list[Bar]] = {}
    for cell in cells:
        parts = [cell.period, cell.subject, cell.detail, cell.term, cell.category]
        label = " · ".join(p for p in parts if p and p != "-")
        by_metric.setdefault(cell.metric, []).append(_bar(label, cell.count))
    return [
        Chart(f"{code}-{metric.value.lower()}", f"{code}: {title}", by_metric.get(metric, []))
        for metric, title in _METRIC_TITLES.items()
    ]


def decision_time_chart(code: str, times: Iterable[DecisionTime]) -> Chart:
    """The mean days from receipt to decision per period; "<5" where fewer decisions."""
    bars = [
        _bar(t.period, t.mean_days)
        if isinstance(t.mean_days, str)
        else Bar(t.period, t.mean_days, f"{t.mean_days} dagen")
        for t in times
    ]
    return Chart(f"{code}-time_to_decision", f"{code}: Doorlooptijd tot besluit", bars)


def municipality_absence_chart(
    code: str, year: int, months: Iterable[MunicipalityThuiszitters]
) -> Chart:
    """The thuiszitters living in the municipality per month, small counts as "<5"."""
    bars = [
        _bar(f"{m.month} {what}", count)
        for m in months
        for what, count in (("thuis", m.open_at_end), ("na pact-termijn", m.past_thuiszitterspact))
    ]
    return Chart(f"{code}-thuiszitters", f"{code}: Thuiszitters per maand, {year}/{year + 1}", bars)


async def municipality_figure_charts(
    conn: Connection, tenant: TenantId, code: str, year: int
) -> list[Chart]:
    """Everything a municipality's figures show, published as the API publishes it."""
    figures = await fetch_municipality_figures(
        conn, tenant, code, granularity=Granularity.SCHOOL_YEAR
    )
    overview = await fetch_monthly_overview(conn, tenant, year, municipality_code=code)
    return [
        *municipality_charts(code, figures.cells),
        decision_time_chart(code, figures.time_to_decision),
        municipality_absence_chart(code, year, thuiszitters_in(overview)),
    ]


def absence_chart(overview: MonthlyAbsenceOverview) -> Chart:
    bars = [
        _bar(f"{m.month} {what}", count)
        for m in overview.months
        for what, count in (
            ("thuis", m.open_at_end),
            ("langdurig", m.langdurig_relatief),
            (f"> {overview.thuiszitterspact_months} mnd zonder aanbod", m.past_thuiszitterspact),
        )
    ]
    year = overview.school_year
    return Chart("thuiszitters", f"Thuiszitters per maand, {year}/{year + 1}", bars)


def services_chart(overview: ServicesOverview) -> Chart:
    bars = [
        _bar(f"{s.service_code} {what}", count)
        for s in overview.services
        for what, count in (("aangevraagd", s.requested), ("uren toegekend", s.hours_granted))
    ]
    year = overview.school_year
    return Chart("services", f"Dienstverlening en voorzieningen, {year}/{year + 1}", bars)


def render(page: Page) -> Response[str]:
    html = page_template("figures.html.j2").render(
        page=page,
        width=_LABEL_WIDTH + _BAR_WIDTH + 60,
        label_width=_LABEL_WIDTH,
        bar_width=_BAR_WIDTH,
    )
    return Response(html, media_type=MediaType.HTML)


def school_year_of(day: date) -> int:
    return day.year - (day.month < 8)  # noqa: PLR2004 - school years start on 1 August


SchoolYear = Annotated[
    int | None,
    QueryParameter(ge=2000, le=2100, description="The year the school year starts in; now."),
]


class FiguresPageController(Controller):
    path = "/v1/tenants/{swv_code:str}"
    tags = ("figures",)
    dependencies = {"pool": Provide(provide_pool, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/municipalities/{municipality_code:str}/figures/page",
        summary="A municipality's figures as a page with charts; counts below 5 suppressed",
        description=(
            "The cells of `…/figures` per school year, the mean time to decision, and the"
            " thuiszitters living there per month of `school_year`, drawn; a municipality its own."
        ),
        guards=[authorisation.reads_figures],
        responses=ERRORS,
        media_type=MediaType.HTML,
        operation_id="getMunicipalityFiguresPage",
    )
    async def municipality_page(
        self,
        municipality_code: FromPath[str],
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        clock: ClockDependency,
        school_year: SchoolYear = None,
    ) -> Response[str]:
        authorisation.ensure_can_read_figures(principal, municipality_code)
        if not is_municipality_code(municipality_code):
            raise NotFoundException(f"No municipality {municipality_code!r} here.")
        year = school_year or school_year_of(local_date(clock.now()))
        async with read_model(pool) as conn:
            charts = await municipality_figure_charts(
                conn, principal.tenant_id, municipality_code, year
            )
        return render(
            Page(
                f"Passend onderwijs in {municipality_code}",
                f"Samenwerkingsverband {principal.tenant_id}, per schooljaar.",
                charts,
            )
        )

    @get(
        "/figures/page",
        summary="The tenant's figures as a page: municipalities, thuiszitters, services",
        guards=[reads_tenant_figures],
        responses=ERRORS,
        media_type=MediaType.HTML,
        operation_id="getTenantFiguresPage",
    )
    async def tenant_page(
        self,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        event_store: Store,
        clock: ClockDependency,
        school_year: SchoolYear = None,
    ) -> Response[str]:
        tenant = principal.tenant_id
        swv = await load_swv(event_store, tenant)
        year = school_year or school_year_of(local_date(clock.now()))
        charts: list[Chart] = []
        async with read_model(pool) as conn:
            for code in sorted(swv.municipalities):
                charts += await municipality_figure_charts(conn, tenant, code, year)
            charts.append(absence_chart(await fetch_monthly_overview(conn, tenant, year)))
            charts.append(services_chart(await fetch_services_overview(conn, tenant, year)))
        return render(Page(swv.name, f"Samenwerkingsverband {tenant}.", charts))
