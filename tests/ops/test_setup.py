"""The scripts set up on a system Python that is externally managed (PEP 668), as Debian's is.

uv goes into a private virtual environment, never into the system Python; a Python that cannot
make one is told which Debian package to add.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/bin:/bin"
# A machine behind an intercepting proxy names its certificate authority in these.
PASSED_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "PIP_INDEX_URL", "HTTPS_PROXY")


def find_uv(tmp_path: Path, python: str) -> subprocess.CompletedProcess[str]:
    """``source ops/uv.sh`` as a new user would: a bare environment, a fresh home."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": SYSTEM_PATH, "PYTHON": python}
    env |= {"PASSEND_TOOLS": str(tmp_path / "tools")}
    env |= {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return subprocess.run(
        ["/bin/bash", "-c", 'set -euo pipefail; source ops/uv.sh; echo "$UV"; "$UV" --version'],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def installed(python: str) -> str:
    listing = [python, "-m", "pip", "list"]
    return subprocess.run(listing, capture_output=True, text=True, check=False).stdout  # noqa: S603


def test_uv_is_installed_privately_and_the_system_python_is_left_alone(tmp_path: Path) -> None:
    system_python = shutil.which("python3", path=SYSTEM_PATH)
    if system_python is None:
        pytest.skip("no system python3 in /usr/bin")
    if shutil.which("uv", path=SYSTEM_PATH):
        pytest.skip("uv is installed system-wide here; the private install is not needed")
    before = installed(system_python)
    found = find_uv(tmp_path, system_python)
    assert found.returncode == 0, found.stderr
    uv_path, version = found.stdout.splitlines()[:2]
    assert uv_path == str(tmp_path / "tools" / "uv" / "bin" / "uv")
    assert version.startswith("uv ")
    assert installed(system_python) == before


def test_a_python_that_cannot_make_a_virtual_environment_is_told_what_to_add(
    tmp_path: Path,
) -> None:
    if shutil.which("uv", path=SYSTEM_PATH):
        pytest.skip("uv is installed system-wide here; nothing would be installed")
    found = find_uv(tmp_path, "/bin/false")
    assert found.returncode == 1
    assert "apt-get install python3-venv" in found.stderr
    assert not (tmp_path / "tools" / "uv").exists()
