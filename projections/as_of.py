"""Read models as of a position of the log: rebuilt in memory from their pure folds, no writes.

The same folds the runner applies to the tables (``projections.cases``, the absence cases'
``AbsenceBook``, the figures' ``_figures``, the handovers' and service requests' ``fold``),
over the tenant's events up to the position, and the same query shapes, so an answer as of the
head equals what the table serves once the runner has caught up. These lists are tenant-wide:
each replays the tenant's log up to the position. A read of one aggregate or one pupil reads
only its own streams (``application.queries.aggregate_history``, the pupil's timeline).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from datetime import date
from functools import partial
from uuid import UUID

from application.ports import EventStore, RecordedEvent
from domain.ids import TenantId
from projections import handovers, service_requests
from projections.absence_cases import (
    AbsenceBook,
    AbsenceSettingsState,
    MonthlyAbsenceOverview,
    overview_of,
    signals_due,
    with_absence_signals,
)
from projections.case_list import CaseFilter, CaseList, case_list_of
from projections.cases import Case, CaseBook, DeadlineKind
from projections.deadlines_due import DeadlinesDue, Order, deadlines_of
from projections.handovers import Direction, HandoverList, HandoverRow, handover_list
from projections.municipality_figures import Granularity, MunicipalityFigures, figures_of
from projections.school_caseload import SchoolCaseload, caseload_of
from projections.service_requests import ServiceRequestState, ServicesOverview

PAGE_SIZE = 1000


async def pages_up_to(
    store: EventStore, tenant_id: TenantId, position: int
) -> AsyncGenerator[list[RecordedEvent], None]:
    """The tenant's events at positions 1 to ``position``, in order, page by page."""
    if position <= 0:
        return
    async with aclosing(store.read_log_pages(tenant_id, page_size=PAGE_SIZE)) as pages:
        async for page in pages:
            yield [e for e in page if e.position <= position]
            if page[-1].position >= position:
                return


async def replayed(
    store: EventStore,
    tenant_id: TenantId,
    position: int,
    fold: Callable[[list[RecordedEvent]], object],
) -> None:
    """Apply ``fold`` to the tenant's log up to ``position``, page by page."""
    async with aclosing(pages_up_to(store, tenant_id, position)) as pages:
        async for page in pages:
            fold(page)


async def cases_as_of(store: EventStore, tenant_id: TenantId, position: int) -> list[Case]:
    """Every case as the log up to ``position`` tells it."""
    book = CaseBook({})
    await replayed(store, tenant_id, position, book.fold)
    return list(book.changed.values())


async def case_list_as_of(  # noqa: PLR0913 - the list's filter, page and where to replay to
    store: EventStore,
    tenant_id: TenantId,
    where: CaseFilter,
    *,
    position: int,
    page: int,
    page_size: int,
) -> CaseList:
    cases = await cases_as_of(store, tenant_id, position)
    return case_list_of(cases, where, page=page, page_size=page_size)


async def absence_overview_as_of(
    store: EventStore, tenant_id: TenantId, school_year: int, *, position: int
) -> MonthlyAbsenceOverview:
    book = AbsenceBook(AbsenceSettingsState(), {})
    await replayed(store, tenant_id, position, book.fold)
    return overview_of(school_year, book.settings, book.cases.values())


async def services_overview_as_of(
    store: EventStore,
    tenant_id: TenantId,
    school_year: int,
    *,
    position: int,
    school_code: str | None,
) -> ServicesOverview:
    states: dict[UUID, ServiceRequestState] = {}
    await replayed(store, tenant_id, position, partial(service_requests.fold, states))
    return service_requests.overview_of(school_year, states.values(), school_code)


async def handovers_as_of(
    store: EventStore,
    tenant_id: TenantId,
    *,
    position: int,
    direction: Direction | None,
    limit: int,
) -> HandoverList:
    rows: dict[UUID, HandoverRow] = {}
    await replayed(store, tenant_id, position, partial(handovers.fold, rows))
    return handover_list(rows.values(), direction=direction, limit=limit)


async def caseload_as_of(
    store: EventStore, tenant_id: TenantId, school_code: str, *, position: int, day: date
) -> SchoolCaseload:
    return caseload_of(await cases_as_of(store, tenant_id, position), school_code, as_of=day)


async def deadlines_as_of(  # noqa: PLR0913 - the list's filters and where to replay to
    store: EventStore,
    tenant_id: TenantId,
    *,
    position: int,
    day: date,
    until: date | None,
    kinds: Sequence[DeadlineKind] | None,
    order: Order,
    limit: int,
) -> DeadlinesDue:
    """The deadlines list as of ``position``, the absence cases' signals among them."""
    book, absence = CaseBook({}), AbsenceBook(AbsenceSettingsState(), {})

    def fold_both(page: list[RecordedEvent]) -> None:
        book.fold(page)
        absence.fold(page)

    await replayed(store, tenant_id, position, fold_both)
    cases = list(book.changed.values())
    due = deadlines_of(cases, as_of=day, until=until, kinds=kinds, order=order, limit=limit)
    # one more: truncated?
    signals = signals_due(absence, until=until, kinds=kinds, order=order, limit=limit + 1)
    return with_absence_signals(due, signals, order=order, limit=limit)


async def figures_as_of(
    store: EventStore,
    tenant_id: TenantId,
    municipality_code: str,
    *,
    position: int,
    granularity: Granularity,
) -> MunicipalityFigures:
    async with aclosing(pages_up_to(store, tenant_id, position)) as pages:
        events = [e async for page in pages for e in page]
    return figures_of(events, municipality_code, granularity=granularity)
