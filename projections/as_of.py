"""Read models as of a position of the log: rebuilt in memory from their pure folds, no writes.

The same folds the runner applies to the tables (``projections.cases``, the absence cases'
``AbsenceBook``, the figures' ``_figures``), over the tenant's events up to the position, and
the same query shapes, so an answer as of the head equals what the table serves once the
runner has caught up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from datetime import date

from application.ports import EventStore, RecordedEvent
from domain.ids import TenantId
from projections.absence_cases import (
    AbsenceBook,
    AbsenceSettingsState,
    signals_due,
    with_absence_signals,
)
from projections.cases import Case, CaseBook, DeadlineKind
from projections.deadlines_due import DeadlinesDue, Order, deadlines_of
from projections.municipality_figures import Granularity, MunicipalityFigures, figures_of
from projections.school_caseload import SchoolCaseload, caseload_of

PAGE_SIZE = 1000


async def pages_up_to(
    store: EventStore, tenant_id: TenantId, position: int
) -> AsyncIterator[list[RecordedEvent]]:
    """The tenant's events at positions 1 to ``position``, in order, page by page."""
    if position <= 0:
        return
    async with aclosing(store.read_log_pages(tenant_id, page_size=PAGE_SIZE)) as pages:
        async for page in pages:
            yield [e for e in page if e.position <= position]
            if page[-1].position >= position:
                return


async def cases_as_of(store: EventStore, tenant_id: TenantId, position: int) -> list[Case]:
    """Every case as the log up to ``position`` tells it."""
    book = CaseBook({})
    async for page in pages_up_to(store, tenant_id, position):
        book.fold(page)
    return list(book.changed.values())


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
    async for page in pages_up_to(store, tenant_id, position):
        book.fold(page)
        absence.fold(page)
    cases = list(book.changed.values())
    due = deadlines_of(cases, as_of=day, until=until, kinds=kinds, order=order, limit=limit)
    signals = signals_due(absence, until=until, limit=limit)
    return with_absence_signals(due, signals, kinds=kinds, order=order, limit=limit)


async def figures_as_of(
    store: EventStore,
    tenant_id: TenantId,
    municipality_code: str,
    *,
    position: int,
    granularity: Granularity,
) -> MunicipalityFigures:
    events = [e async for page in pages_up_to(store, tenant_id, position) for e in page]
    return figures_of(events, municipality_code, granularity=granularity)
