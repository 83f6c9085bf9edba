"""With ``PROMETHEUS_MULTIPROC_DIR`` set, ``/metrics`` in any worker counts every worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

WORKER = "from infrastructure import metrics; metrics.record_append('PO0001', 2)"
SCRAPE = "from infrastructure import metrics; print(metrics.exposition()[0].decode())"


def run(code: str, multiproc_dir: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout


def test_two_workers_appends_add_up_in_a_third_process(tmp_path: Path) -> None:
    run(WORKER, tmp_path)
    run(WORKER, tmp_path)
    values = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(run(SCRAPE, tmp_path))
        for sample in family.samples
    }
    assert values[("passend_appends_total", (("tenant", "PO0001"),))] == 2
    assert values[("passend_events_appended_total", (("tenant", "PO0001"),))] == 4
