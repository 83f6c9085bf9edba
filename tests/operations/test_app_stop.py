"""An app stops even when something it started does not: its pool is closed hard after a grace."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import api.app
from api.app import create_app
from api.settings import Settings


async def test_a_connection_never_given_back_does_not_keep_the_app_from_stopping(
    database_dsns: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(api.app, "STOP_GRACE_S", 0.5)
    admin, app_dsn = database_dsns
    app = create_app(Settings(database_url=admin, database_app_url=app_dsn, data_dir=tmp_path))
    with caplog.at_level(logging.ERROR, logger="passend"):
        async with app.lifespan():
            for _ in range(600):
                if app.state.get("pool") is not None:
                    break
                await asyncio.sleep(0.05)
            await app.state.pool.acquire()  # and never given back
        assert app.state.pool is None
    assert "closing the pool hard" in caplog.text
