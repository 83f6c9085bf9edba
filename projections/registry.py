"""Every read model the runner keeps up to date, and lookup by name for the CLI."""

from __future__ import annotations

from projections.absence_cases import AbsenceCasesProjection
from projections.deadlines_due import DeadlinesDueProjection
from projections.handovers import HandoversProjection
from projections.municipality_figures import MunicipalityFiguresProjection
from projections.partner_events import PartnerEventsProjection
from projections.projection import Projection
from projections.pupil_index import PupilIndexProjection
from projections.school_caseload import SchoolCaseloadProjection
from projections.service_requests import ServiceRequestsProjection

PROJECTIONS: tuple[Projection, ...] = (
    SchoolCaseloadProjection(),
    DeadlinesDueProjection(),
    MunicipalityFiguresProjection(),
    PupilIndexProjection(),
    PartnerEventsProjection(),
    AbsenceCasesProjection(),
    ServiceRequestsProjection(),
    HandoversProjection(),
)


def projection_named(name: str, projections: tuple[Projection, ...] = PROJECTIONS) -> Projection:
    for projection in projections:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in projections) or "none"
    raise LookupError(f"no projection {name!r} (known: {known})")
