"""``bench partners`` stops, naming the log, when its projections process never catches up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest

from bench.partners import _projected
from infrastructure.database import Pool
from tests.tenant_codes import fresh_swv_code


@pytest.mark.parametrize(
    ("code", "within_s", "refusal"),
    [
        ("raise SystemExit(3)", 60, "exited with 3"),
        ("import time; time.sleep(60)", 1, "within 1 s"),
    ],
)
async def test_a_subscription_the_projections_process_never_projects_stops_the_run(
    app_pool: Pool, tmp_path: Path, code: str, within_s: float, refusal: str
) -> None:
    log = tmp_path / "projections.log"
    # started once, as the bench starts its processes
    process = subprocess.Popen([sys.executable, "-c", code])  # noqa: S603, ASYNC220
    try:
        with pytest.raises(RuntimeError, match=rf"{refusal}.*; see {log}"):
            await _projected(app_pool, fresh_swv_code(), uuid4(), process, log, within_s=within_s)
    finally:
        process.kill()
        process.wait()
