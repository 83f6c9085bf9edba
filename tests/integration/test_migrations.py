"""Migrations apply once, in order, and an applied file that changed is refused."""

from __future__ import annotations

import secrets
from pathlib import Path

import asyncpg
import pytest

from infrastructure.migrate import MigrationChangedError, apply_migrations

pytestmark = pytest.mark.integration


async def _scratch_database(admin_dsn: str) -> str:
    name = "migrations_" + secrets.token_hex(4)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return f"{admin_dsn.rpartition('/')[0]}/{name}"


async def test_migrations_apply_once_and_refuse_an_applied_file_that_changed(
    admin_dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first (id int);")
    (tmp_path / "0002_second.sql").write_text("CREATE TABLE second (id int);")
    conn = await asyncpg.connect(await _scratch_database(admin_dsn))
    try:
        assert await apply_migrations(conn, tmp_path) == ["0001_first.sql", "0002_second.sql"]
        assert await apply_migrations(conn, tmp_path) == []
        (tmp_path / "0003_third.sql").write_text("CREATE TABLE third (id int);")
        assert await apply_migrations(conn, tmp_path) == ["0003_third.sql"]
        (tmp_path / "0002_second.sql").write_text("CREATE TABLE second (id bigint);")
        with pytest.raises(MigrationChangedError, match=r"0002_second\.sql"):
            await apply_migrations(conn, tmp_path)
    finally:
        await conn.close()


async def test_a_number_used_twice_is_refused(admin_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0002_one.sql").write_text("SELECT 1;")
    (tmp_path / "0002_other.sql").write_text("SELECT 1;")
    conn = await asyncpg.connect(await _scratch_database(admin_dsn))
    try:
        with pytest.raises(RuntimeError, match="each number once"):
            await apply_migrations(conn, tmp_path)
    finally:
        await conn.close()


async def test_a_lower_number_landing_after_a_higher_one_is_still_applied(
    admin_dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first (id int);")
    (tmp_path / "0007_seventh.sql").write_text("CREATE TABLE seventh (id int);")
    conn = await asyncpg.connect(await _scratch_database(admin_dsn))
    try:
        assert await apply_migrations(conn, tmp_path) == ["0001_first.sql", "0007_seventh.sql"]
        (tmp_path / "0004_fourth.sql").write_text("CREATE TABLE fourth (id int);")
        assert await apply_migrations(conn, tmp_path) == ["0004_fourth.sql"]
    finally:
        await conn.close()
