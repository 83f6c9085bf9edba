"""A process whose database does not answer at start says so on every try, then exits 69."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.startup import EXIT_UNAVAILABLE
from tests.serving import free_port

PASSEND = str(Path(sys.executable).parent / "passend")


@pytest.mark.parametrize(
    "command",
    [["serve", "--no-demo", "--workers", "1"], ["deliveries", "run"], ["projections", "run"]],
    ids=["serve", "deliveries", "projections"],
)
def test_a_process_without_its_database_logs_each_try_and_exits_unavailable(
    command: list[str], tmp_path: Path
) -> None:
    nowhere = f"postgresql://postgres:secret@127.0.0.1:{free_port()}/passend"
    env = dict(
        os.environ,
        DATABASE_URL=nowhere,
        PASSEND_DATA_DIR=str(tmp_path),
        PASSEND_DATABASE_START_TIMEOUT_SECONDS="2",
        PASSEND_LOG_FORMAT="console",
    )
    env.pop("PASSEND_DATABASE_APP_URL", None)

    done = subprocess.run(  # noqa: S603 - our own command
        [PASSEND, *command], env=env, capture_output=True, text=True, timeout=120, check=False
    )

    said = done.stdout + done.stderr
    assert done.returncode == EXIT_UNAVAILABLE, said
    assert "waiting for the database at 127.0.0.1" in said
    assert "giving up" in said
    assert "secret" not in said, "no password in any line"
