"""A real browser for page tests: Debian's chromium, headless, with its network traffic logged.

``render(url)`` loads a page, lets its scripts run, and returns the resulting DOM and every URL
the browser requested, so a test can check both what a person sees and that nothing was fetched
from another site. ``./ops/test`` installs chromium (``ops/test-setup.sh``) when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)


@dataclass(frozen=True, slots=True)
class Rendered:
    dom: str
    requested: list[str]

    def hosts_other_than(self, *local: str) -> set[str]:
        """Hosts of requested http(s) URLs that are not ``local``."""
        hosts = {urlsplit(url).hostname or "" for url in self.requested}
        return {host for host in hosts if host not in local}


@dataclass(frozen=True, slots=True)
class Browser:
    executable: str

    def render(
        self, url: str, *, budget_ms: int = 15_000, height_px: int | None = None
    ) -> Rendered:
        """Load ``url``; with ``height_px``, in a window 1280 pixels wide and that high.

        Pages that render only the rows in view (virtualised lists) show all of them in a window
        tall enough to hold them, which is what a person scrolling through them sees.
        """
        with tempfile.TemporaryDirectory(prefix="passend-chromium-") as scratch:
            net_log = Path(scratch) / "net-log.json"
            result = subprocess.run(  # noqa: S603 - our own browser and arguments
                [
                    self.executable,
                    *_FLAGS,
                    f"--user-data-dir={Path(scratch) / 'profile'}",
                    f"--log-net-log={net_log}",
                    *([f"--window-size=1280,{height_px}"] if height_px else []),
                    f"--virtual-time-budget={budget_ms}",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=budget_ms / 1000 + 120,  # chromium starts slowly on a busy machine
                check=False,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            return Rendered(result.stdout, _requested_urls(net_log))


def _requested_urls(net_log: Path) -> list[str]:
    """The http(s) URLs the page asked for, from the browser's net log.

    The browser's own traffic (update checks, account look-ups) has no origin as its initiator
    and is left out. The log is JSON; its last line may be cut off.
    """
    text = net_log.read_text() if net_log.exists() else ""
    try:
        events = json.loads(text).get("events", [])
    except json.JSONDecodeError:
        events = json.loads(text.rstrip().rstrip(",") + "]}").get("events", [])
    urls = []
    for event in events:
        params = event.get("params") or {}
        url, initiator = params.get("url"), params.get("initiator")
        if (
            isinstance(url, str)
            and url.startswith(("http://", "https://"))
            and initiator not in {None, "not an origin"}
        ):
            urls.append(url)
    return urls


@pytest.fixture(scope="session")
def browser() -> Browser:
    executable = shutil.which("chromium")
    assert executable, "chromium is missing: ./ops/test installs it (ops/test-setup.sh)"
    return Browser(executable)
