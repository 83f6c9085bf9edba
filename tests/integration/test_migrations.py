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


async def test_two_files_with_one_number_are_refused(admin_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_also_first.sql").write_text("SELECT 1;")
    conn = await asyncpg.connect(await _scratch_database(admin_dsn))
    try:
        with pytest.raises(RuntimeError, match="distinct numbers"):
            await apply_migrations(conn, tmp_path)
    finally:
        await conn.close()


async def test_numbers_handed_out_ahead_may_land_out_of_order(
    admin_dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first (id int);")
    (tmp_path / "0003_third.sql").write_text("CREATE TABLE third (id int);")
    conn = await asyncpg.connect(await _scratch_database(admin_dsn))
    try:
        assert await apply_migrations(conn, tmp_path) == ["0001_first.sql", "0003_third.sql"]
        (tmp_path / "0002_second.sql").write_text("CREATE TABLE second (id int);")
        assert await apply_migrations(conn, tmp_path) == ["0002_second.sql"]
        assert await apply_migrations(conn, tmp_path) == []
    finally:
        await conn.close()
