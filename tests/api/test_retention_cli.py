"""``passend retention``: a dry run lists, a run shreds; the nightly run's timing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.retention_cli import seconds_until_next_run
from application.commands import RegisterPupil
from application.handlers import pupils
from domain.pupil import Pupil
from infrastructure.event_store import PostgresEventStore
from tests.unit.application.conftest import configured_desk


def test_the_nightly_run_is_at_two_in_the_morning_amsterdam_time() -> None:
    # 23:00 UTC in winter is midnight in Amsterdam: two hours to go
    assert seconds_until_next_run(datetime(2026, 12, 1, 23, 0, tzinfo=UTC)) == 2 * 3600
    # just after 02:00 in summer (00:00 UTC): nearly a day
    assert seconds_until_next_run(datetime(2026, 7, 1, 0, 1, tzinfo=UTC)) == 24 * 3600 - 60


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
