"""``passend bench rebuild`` rebuilds every read model over a real imported history."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from bench.load.main import parse_args as load_args
from bench.load.main import run as load_run
from bench.rebuild import main as rebuild_main
from projections.registry import PROJECTIONS


def test_every_read_model_is_rebuilt_over_every_event_of_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # not under tmp_path: pytest makes its base directory private again at every session's
    # start, and the embedded server runs as a user of its own that must reach its data
    data_dir = Path(tempfile.mkdtemp(prefix="passend-test-rebuild-")) / "load"
    # the import's preparing process reads the data directory from the environment
    monkeypatch.setenv("PASSEND_DATA_DIR", str(data_dir))
    # a port of its own: the load bench refuses one something else listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    prepare = ["--quick", "--prepare-only", "--data-dir", str(data_dir), "--port", port]
    asyncio.run(load_run(load_args(prepare)))
    out = tmp_path / "rebuild.json"

    args = ["--data-dir", str(data_dir), "--runs", "1", "--tenants-at-once", "2"]
    assert rebuild_main([*args, "--json", str(out)]) == 0

    result = json.loads(out.read_text())
    assert result["tenants"] == 6
    assert result["tenants_at_once"] == 2
    assert result["events"] >= 3_000
    assert result["read_models"] == [p.name for p in PROJECTIONS]
    assert 0 < result["rebuild_over_bare"]["median"] < 10
    # rebuilding costs more CPU an event than reading bare, on both sides of the connection
    cpu = result["cpu_us"]
    assert cpu["rebuild"]["python"]["median"] > cpu["bare"]["python"]["median"] > 0
    assert cpu["rebuild"]["server"]["median"] > 0
    shutil.rmtree(data_dir.parent, ignore_errors=True)
