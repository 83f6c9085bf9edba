"""Serving with several worker processes: the API is stateless, so any worker takes any request.

The parent starts the database (embedded or given) and seeds once, then hands the settings to
its children through the environment: uvicorn's supervisor with the HTTP workers, each of which
builds its own app with ``create_app`` and runs no background work, and beside them one
process (this module as ``__main__``) that runs the projection runner, the webhook deliveries,
the key-rotation resumer and the nightly jobs (``api.background``). The parent starts that
process again when it dies. It runs its work only while it holds the machine's election, and the
(projection, tenant) leases still keep exactly one runner applying a tenant's events at a time.

Both children get SIGTERM when the parent dies, however it died (``die_with_parent``): a
SIGKILLed parent otherwise left them running, the background process holding the election that
the next ``serve`` on the machine then waited for.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

from litestar import Litestar

from api.app import create_app
from api.background import run_background_process
from api.logs import configure_logging
from api.settings import Settings
from api.startup import run_service, with_heartbeat

log = logging.getLogger("passend.serving")

_APP_URL = "PASSEND_DATABASE_APP_URL"
_NO_BACKGROUND = {
    "PASSEND_RUN_PROJECTIONS": "false",
    "PASSEND_RUN_DELIVERIES": "false",
    "PASSEND_RESUME_KEY_ROTATIONS": "false",
    "PASSEND_RUN_RETENTION": "false",
    "PASSEND_RUN_ABSENCE_SIGNALS": "false",
}
"""What the HTTP workers leave to the background process."""
RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
_STEADY_S = 30.0
"""A background process that ran this long before it died is started again at once."""
STOP_WAIT_S = 30.0
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """One worker per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def freeze_start_up_heap() -> None:
    """Keep what start-up built (modules, classes, the app) out of every later full collection.

    Reading the log allocates many short-lived objects, and each full collection would scan
    the whole start-up heap again: rebuilds ran 15-20% faster with it frozen.
    """
    gc.collect()
    gc.freeze()


def worker_app() -> Litestar:
    """The app of one worker process, from the settings the parent put in the environment."""
    configure_logging()  # as ``serve`` does in its one process, before the app
    app = create_app(Settings.from_env())
    freeze_start_up_heap()
    return app


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child SIGTERMed when this process dies (Linux; else None).

    The kernel sends the signal (``PR_SET_PDEATHSIG``) also when the parent is SIGKILLed, and
    the child stops as on any SIGTERM. A parent that died before the child set it is noticed
    by the child's parent id no longer being ours.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: nothing to load after the fork
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def serve_workers(settings: Settings, workers: int) -> None:
    """Run ``workers`` HTTP processes on one port and the background process, until interrupted.

    The supervisor runs in a fresh interpreter whose main module is small
    (``api.worker_supervisor``): its spawned workers re-import the main module before they
    answer the supervisor's 5-second liveness ping, and re-importing ``passend`` (the whole
    API) takes longer than that on a busy machine.
    """
    env = dict(os.environ, PASSEND_DATA_DIR=str(settings.data_dir))
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
        env[_APP_URL] = settings.app_dsn()
    supervisor_command = [
        sys.executable,
        "-m",
        "api.worker_supervisor",
        settings.host,
        str(settings.port),
        str(workers),
    ]
    children: list[subprocess.Popen[bytes]] = []
    background: _BackgroundProcess | None = None
    try:  # a SIGTERM (KeyboardInterrupt here) while starting still stops what was started
        supervisor = subprocess.Popen(  # noqa: S603 - our own interpreter and app
            supervisor_command,
            env=env | _NO_BACKGROUND,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - one system call, no lock taken
        )
        children.append(supervisor)
        background = _BackgroundProcess(env | {"PASSEND_ELECT_BACKGROUND": "true"})
        while True:
            try:
                supervisor.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                background.keep_running()
    finally:
        if background is not None:
            children.append(background.process)
        _stop(children)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _BackgroundProcess:
    """The background process, started again when it exits; sooner if it had run a while."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._delay_s = RESTART_FIRST_S
        self._restart_at: float | None = None
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        self._started = time.monotonic()
        command = [sys.executable, "-m", "api.serving"]
        return subprocess.Popen(  # noqa: S603 - our own interpreter and app
            command,
            env=self._env,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - one system call, no lock taken
        )

    def keep_running(self) -> None:
        now = time.monotonic()
        if self._restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            if now - self._started >= _STEADY_S:
                self._delay_s = RESTART_FIRST_S
            log.warning(
                "the background process exited (%s); starting it again in %.0f s",
                code,
                self._delay_s,
            )
            self._restart_at = now + self._delay_s
            self._delay_s = min(self._delay_s * 2, RESTART_MAX_S)
        if now >= self._restart_at:
            self._restart_at = None
            self.process = self._start()


def run_background() -> None:
    """The background process of ``serve --workers``, from the settings in the environment."""
    configure_logging()
    settings = Settings.from_env()
    freeze_start_up_heap()
    run_service(with_heartbeat(settings, settings.app_dsn(), run_background_process(settings)))


if __name__ == "__main__":
    run_background()
