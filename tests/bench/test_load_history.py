"""The bench's synthetic history lengthens with its size: what is current keeps its size."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import msgspec
import pytest

from application.ports import RecordedEvent
from bench.load.history import (
    LEAVE_AFTER_YEARS,
    TEMPLATE_TODAY,
    _templates,
    history_file_name,
    history_lines,
)
from bench.load.main import DATABASE, prepare_history
from demo.dates import school_year_end
from domain.ids import TenantId
from infrastructure.bulk_import import ImportLine, import_events
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from projections.cases import Case, CaseBook, CaseKind
from projections.school_caseload import caseload_of
from tests.conftest import database_of_its_own

# the history's tenant codes are the bench's own, not the run's fresh ones
database_dsns, app_pool = database_of_its_own("passend_test_bench_history")

_DATE = re.compile(rb'"(\d{4}-\d\d-\d\d)')


def _cases(lines: list[bytes], codec: EventCodec) -> dict[str, list[Case]]:
    """Each tenant's cases, folded from the lines as the caseload's projection folds them."""
    events: dict[str, list[RecordedEvent]] = defaultdict(list)
    for line in lines:
        parsed = msgspec.json.decode(line, type=ImportLine)
        name, version = parsed.type.rsplit(".v", 1)
        event = codec.from_plain(
            name, int(version), parsed.fields, parsed.stream_id, parsed.stream_version
        )
        tenant = events[parsed.tenant]
        tenant.append(
            RecordedEvent(
                TenantId(parsed.tenant),
                len(tenant) + 1,
                parsed.stream_id,
                parsed.stream_version,
                parsed.event_id,
                name,
                int(version),
                parsed.recorded_at,
                parsed.actor,
                parsed.correlation_id,
                parsed.causation_id,
                event,
            )
        )
    return {t: list(CaseBook({}).fold(e).values()) for t, e in events.items()}


def _current_rows(cases: dict[str, list[Case]], as_of: date) -> int:
    """The rows the caseload read answers, summed over every school of every tenant."""
    rows = 0
    for tenant_cases in cases.values():
        schools = {code for case in tenant_cases for code in case.school_codes if code}
        for school in schools:
            caseload = caseload_of(tenant_cases, school, as_of=as_of)
            rows += sum(len(pupil.cases) for pupil in caseload.pupils)
    return rows


async def test_five_times_the_events_are_five_times_the_years_with_the_same_caseload(
    codec: EventCodec,
) -> None:
    templates = await _templates(codec)
    small = list(history_lines(templates, 10, 20_000, yearly_events=500))
    large = list(history_lines(templates, 10, 100_000, yearly_events=500))
    today = TEMPLATE_TODAY.date()

    small_cases, large_cases = _cases(small, codec), _cases(large, codec)
    small_rows, large_rows = _current_rows(small_cases, today), _current_rows(large_cases, today)

    assert 4.5 < len(large) / len(small) < 5.5
    assert small_rows > 500
    assert abs(large_rows - small_rows) <= 0.03 * small_rows, (small_rows, large_rows)
    undecided = [
        c
        for cases in large_cases.values()
        for c in cases
        if c.is_open and c.kind not in {CaseKind.TLV, CaseKind.ARRANGEMENT}
    ]
    small_undecided = [
        c
        for cases in small_cases.values()
        for c in cases
        if c.is_open and c.kind not in {CaseKind.TLV, CaseKind.ARRANGEMENT}
    ]
    assert len(undecided) == len(small_undecided), "older years' requests were all closed"
    oldest = min(c.opened_on for cases in large_cases.values() for c in cases)
    assert oldest < today - timedelta(days=365 * 15), "the large history is longer"


async def test_every_date_lies_in_the_history_s_years_and_what_happened_before_today(
    codec: EventCodec,
) -> None:
    templates = await _templates(codec)
    today = TEMPLATE_TODAY.date()
    last_planned = school_year_end(today, years=LEAVE_AFTER_YEARS)

    for line in history_lines(templates, 6, 12_000, yearly_events=400):
        parsed = msgspec.json.decode(line, type=ImportLine)
        recorded_on = parsed.recorded_at.date()
        dates = [date.fromisoformat(d.decode()) for d in _DATE.findall(bytes(parsed.fields))]
        assert date(2000, 1, 1) < recorded_on <= today, line
        assert all(d <= last_planned for d in dates), line
        if recorded_on < today.replace(year=today.year - LEAVE_AFTER_YEARS):
            # a cohort whose pupils have left: its planned ends have passed too
            assert all(d < today for d in dates), line


@pytest.mark.integration
async def test_the_history_imports_cleanly_and_its_cases_fold(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore, codec: EventCodec
) -> None:
    templates = await _templates(codec)
    lines = list(history_lines(templates, 6, 9_000, yearly_events=300))

    result = await import_events(database_dsns[0], codec, lines, chunk_size=500)

    assert result.events == len(lines)
    types = {msgspec.json.decode(line, type=ImportLine).type for line in lines}
    assert {"PupilLeftSwv.v1", "SupportRequestWithdrawn.v1", "ObjectionDecided.v1"} <= types
    for tenant in result.tenants:
        stored = [e async for page in pg_store.read_log_pages(TenantId(tenant)) for e in page]
        assert CaseBook({}).fold(stored)
        verification = await pg_store.verify_chain(TenantId(tenant))
        assert verification.first_broken_position is None


@pytest.mark.integration
async def test_a_database_holding_another_file_s_history_is_not_taken_for_this_one(
    admin_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "load"
    data_dir.mkdir()
    monkeypatch.setenv("PASSEND_DATA_DIR", str(data_dir))
    try:
        first = await prepare_history(admin_dsn, data_dir, 2, 600)
        again = await prepare_history(admin_dsn, data_dir, 2, 600)
        # as an earlier generator left it: the database, and its file under another name
        (data_dir / history_file_name(2, 600)).rename(data_dir / "history-2-600.ndjson")

        with pytest.raises(SystemExit, match="--fresh"):
            await prepare_history(admin_dsn, data_dir, 2, 600)
        fresh = await prepare_history(admin_dsn, data_dir, 2, 600, fresh=True)
    finally:
        server = await asyncpg.connect(admin_dsn)
        await server.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await server.close()

    assert (first["reused"], again["reused"], fresh["reused"]) == (False, True, False)
    assert fresh["events"] == first["events"] > 600
