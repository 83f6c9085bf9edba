"""Applies the numbered SQL files in ``migrations/`` in order, each once, and records them.

Each applied file's SHA-256 is recorded too: a file changed after it was applied is refused
loudly, since the database would otherwise silently differ from what the code expects.

Numbers are handed out ahead to work done in parallel, so they may land out of order: gaps are
allowed and a migration whose number is below one already applied is still applied (each
number's work must therefore not depend on a higher number's). Two files with one number are
refused.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import asyncpg

from infrastructure.citus import distribute

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# One lock id for "migrations are being applied", so that two starting processes take turns.
_MIGRATION_LOCK_ID = 0x70617373656E64


class MigrationChangedError(RuntimeError):
    """A migration file differs from the one applied to this database."""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if _NAME.match(p.name))
    numbers = [int(p.name[:4]) for p in files]
    # Numbers are handed out ahead of time to work landing in parallel, so one may land
    # before a lower one; each number is used once, and they apply in ascending order.
    if len(set(numbers)) != len(numbers) or (numbers and numbers[0] != 1):
        raise RuntimeError(f"migrations must start at 0001 and use each number once: {numbers}")
    return files


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def apply_migrations(
    connection: asyncpg.Connection, directory: Path = MIGRATIONS_DIR
) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now."""
    applied_now: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());"
            " ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text"
        )
        done = {
            r["name"]: r["checksum"]
            for r in await connection.fetch("SELECT name, checksum FROM schema_migrations")
        }
        for path in migration_files(directory):
            checksum = _checksum(path)
            if path.name in done:
                recorded = done[path.name]
                if recorded is None:
                    await connection.execute(
                        "UPDATE schema_migrations SET checksum = $2 WHERE name = $1",
                        path.name,
                        checksum,
                    )
                elif recorded != checksum:
                    raise MigrationChangedError(
                        f"{path.name} changed after it was applied to this database; "
                        "write a new migration instead of editing an applied one"
                    )
                continue
            async with connection.transaction():
                await connection.execute(path.read_text())
                await connection.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    path.name,
                    checksum,
                )
            applied_now.append(path.name)
        await distribute(connection)  # only on a Citus coordinator; nothing elsewhere
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_ID)
    return applied_now
