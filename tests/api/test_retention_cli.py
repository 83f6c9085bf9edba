"""``passend retention``: a dry run lists, a run shreds; nightly: when, and past a failing night."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.absence_cli import daily_absence_signals
from api.cli import cli
from api.retention_cli import Sleep, daily_retention, every_night, seconds_until_next_run
from application.commands import RegisterPupil
from application.handlers import pupils
from domain.pupil import Pupil
from infrastructure.database import create_pool
from infrastructure.event_store import PostgresEventStore, application_store
from tests.unit.application.conftest import FixedClock, configured_desk


def test_the_nightly_run_is_at_two_in_the_morning_amsterdam_time() -> None:
    # 23:00 UTC in winter is midnight in Amsterdam: two hours to go
    assert seconds_until_next_run(datetime(2026, 12, 1, 23, 0, tzinfo=UTC)) == 2 * 3600
    # just after 02:00 in summer (00:00 UTC): nearly a day
    assert seconds_until_next_run(datetime(2026, 7, 1, 0, 1, tzinfo=UTC)) == 24 * 3600 - 60


def test_the_night_the_clocks_go_back_is_an_hour_longer_until_the_next_run() -> None:
    # Sunday 25 October 2026, just after 02:00 CEST; Monday's 02:00 CET is 25 hours on
    just_after_the_run = datetime(2026, 10, 25, 0, 0, 1, tzinfo=UTC)
    assert seconds_until_next_run(just_after_the_run) == 25 * 3600 - 1


class _NightsOverError(Exception):
    """Ends a nightly loop under test: it runs until cancelled otherwise."""


def _nights(clock: FixedClock, nights: int) -> tuple[Sleep, list[float]]:
    """A sleep that moves ``clock`` on by what it is asked, ending the loop after ``nights``."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        if len(slept) == nights:
            raise _NightsOverError
        slept.append(seconds)
        clock.moment += timedelta(seconds=seconds)

    return sleep, slept


async def test_a_failing_night_is_logged_and_the_next_night_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))  # midnight in Amsterdam
    sleep, slept = _nights(clock, 3)
    ran: list[datetime] = []

    async def work() -> None:
        ran.append(clock.now())
        if len(ran) == 1:
            raise ConnectionRefusedError("the database is away")

    with caplog.at_level(logging.ERROR), pytest.raises(_NightsOverError):
        await every_night("retention", work, clock, sleep=sleep)

    assert ran == [datetime(2026, 12, day, 1, 0, tzinfo=UTC) for day in (2, 3, 4)], "02:00 local"
    assert slept == [2 * 3600, 24 * 3600, 24 * 3600]
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "nightly retention failed" in failure.getMessage()
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], ConnectionRefusedError)


async def test_a_night_woken_just_before_two_runs_once() -> None:
    # asyncio sleeps on the monotonic clock; the wall clock may read a little less by then
    clock = FixedClock(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        if len(slept) == 2:
            raise _NightsOverError
        slept.append(seconds)
        clock.moment += timedelta(seconds=seconds) - timedelta(milliseconds=3)

    ran: list[datetime] = []

    async def work() -> None:
        ran.append(clock.now())

    with pytest.raises(_NightsOverError):
        await every_night("retention", work, clock, sleep=sleep)
    assert slept == [2 * 3600, 24 * 3600]
    assert len(ran) == 2


@pytest.mark.integration
@pytest.mark.parametrize("daily", [daily_retention, daily_absence_signals])
async def test_a_nightly_job_outlives_nights_its_database_was_gone(
    daily: Callable[..., Awaitable[None]],
    database_dsns: tuple[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = await create_pool(database_dsns[1], min_size=1, max_size=1)
    store = application_store(pool, tmp_path)
    await store.close()
    await pool.close()  # every night's first query fails: the pool is closed
    clock = FixedClock(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))
    sleep, slept = _nights(clock, 3)

    with caplog.at_level(logging.ERROR), pytest.raises(_NightsOverError):
        await daily(store, clock, sleep=sleep)

    assert slept == [2 * 3600, 24 * 3600, 24 * 3600], "each night ran, the next was waited for"
    failures = [r for r in caplog.records if "nightly" in r.getMessage()]
    assert len(failures) == 3
    assert all(r.exc_info is not None for r in failures)


@pytest.mark.integration
async def test_a_dry_run_lists_the_pupil_whose_term_passed_and_a_run_shreds_it(
    pg_store: PostgresEventStore, database_dsns: tuple[str, str]
) -> None:
    desk = await configured_desk(pg_store)
    desk.clock.moment = datetime(2019, 1, 7, 9, tzinfo=UTC)
    old = await desk.run(
        pupils.register_pupil,
        RegisterPupil(name="Oud", date_of_birth=date(2010, 1, 1), municipality_code="GM0632"),
    )
    desk.clock.moment = datetime.now(UTC)
    await desk.run(
        pupils.register_pupil,
        RegisterPupil(name="Nieuw", date_of_birth=date(2018, 1, 1), municipality_code="GM0632"),
    )
    env = {"DATABASE_URL": database_dsns[0]}
    command = ["retention", "run", "--tenant", desk.tenant_id]

    dry = await asyncio.to_thread(CliRunner().invoke, cli, [*command, "--dry-run"], env=env)
    real = await asyncio.to_thread(CliRunner().invoke, cli, command, env=env)
    again = await asyncio.to_thread(CliRunner().invoke, cli, command, env=env)

    assert dry.exit_code == 0, dry.output
    assert "would shred 1 subjects, kept 1" in dry.output
    assert f"subject {old.aggregate_id}" in dry.output
    assert "shredded 1 subjects, kept 1" in real.output
    assert "1 x pupil: 3 years after the last activity" in real.output
    assert "shredded 0 subjects, kept 1" in again.output
    names = [
        vars(e.event)["name"]
        for e in await pg_store.read_log(desk.tenant_id)
        if isinstance(e.event, Pupil.Registered)
    ]
    assert names == [None, "Nieuw"]
