"""What the processes of ``serve --workers`` import: each pays its modules' memory once more.

Each check runs in a fresh interpreter, as the process starts.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _imported(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules named by ``prefixes`` that a fresh interpreter holds after ``code``."""
    check = (
        f"{code}\nimport sys\nprint(' '.join(m for m in sys.modules if m.startswith({prefixes!r})))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.split()


def test_the_parent_of_the_workers_holds_none_of_the_api() -> None:
    # It only starts and restarts processes; the app had made it about 75 MB, structlog 16.
    api = ("litestar", "api.app", "api.routes", "asyncpg", "demo")
    held = _imported("import api.serving_parent", (*api, "structlog", "asyncio"))
    assert held == []


def test_the_background_process_imports_no_web_framework_nor_routes() -> None:
    # It serves no request (``api.serving`` is its main module); they made it about 13 MB larger.
    assert _imported("import api.serving", ("litestar", "api.app", "api.routes")) == []


@pytest.mark.parametrize("module", ["api.serving", "api.app"])
def test_the_opentelemetry_sdk_is_imported_only_when_tracing_is_on(module: str) -> None:
    # about 4 MB in every HTTP worker and the background process, for traces that are off
    assert _imported(f"import {module}", ("opentelemetry.sdk", "psutil")) == []
