"""The parent of ``passend serve --workers N``: it starts its children and keeps them running.

``serve`` execs this module once the database answers and the demo is seeded, so the process
that only supervises holds none of the API: importing ``api.cli`` (the app, every route, the
demo) had left it at about 75 MB of the API's memory, a fifth of the whole tree. It starts
uvicorn's supervisor with the HTTP workers (``api.worker_supervisor``) and the background
process (``api.serving`` as ``__main__``), starts that again when it dies, and stops both (and
an embedded PostgreSQL it was given) on SIGINT or SIGTERM.

Both children get SIGTERM when the parent dies, however it died (``die_with_parent``): a
SIGKILLed parent otherwise left them running, the background process holding the election that
the next ``serve`` on the machine then waited for.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path

log = logging.getLogger("passend.serving")

NO_BACKGROUND = {
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


@cache
def _logging_configured() -> None:
    """Logging as every process has it, configured when this one first has something to say.

    structlog, with the asyncio it imports, would be more than half of this process's memory
    (about 16 of 29 MB) for a line written only when the background process dies.
    """
    from api.logs import configure_logging  # noqa: PLC0415 - see above

    configure_logging()


def parent_command(
    host: str, port: int, workers: int, pool_size: int, embedded_dir: Path | None
) -> list[str]:
    """The command line ``serve`` execs: this module, with what it needs from the settings."""
    command = [
        sys.executable,
        "-m",
        "api.serving_parent",
        host,
        str(port),
        str(workers),
        str(pool_size),
    ]
    return command + ([str(embedded_dir)] if embedded_dir is not None else [])


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


def serve_workers(
    host: str, port: int, workers: int, pool_size: int, env: Mapping[str, str]
) -> None:
    """Run ``workers`` HTTP processes on one port and the background process, until interrupted.

    Each HTTP worker's pool is ``pool_size`` connections (the background process's stays as
    ``env`` says: ``serve`` sized the workers' pools beside it).

    The supervisor runs in a fresh interpreter whose main module is small
    (``api.worker_supervisor``): its spawned workers re-import the main module before they
    answer the supervisor's 5-second liveness ping, and re-importing ``passend`` (the whole
    API) takes longer than that on a busy machine.
    """
    supervisor_command = [
        sys.executable,
        "-m",
        "api.worker_supervisor",
        host,
        str(port),
        str(workers),
    ]
    children: list[subprocess.Popen[bytes]] = []
    background: _BackgroundProcess | None = None
    try:  # a SIGTERM (KeyboardInterrupt here) while starting still stops what was started
        supervisor = subprocess.Popen(  # noqa: S603 - our own interpreter and app
            supervisor_command,
            env={**env, **NO_BACKGROUND, "PASSEND_POOL_MAX_SIZE": str(pool_size)},
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - one system call, no lock taken
        )
        children.append(supervisor)
        background = _BackgroundProcess({**env, "PASSEND_ELECT_BACKGROUND": "true"})
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
            _logging_configured()
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


def main(argv: Sequence[str]) -> None:
    """``host port workers pool_size [embedded PostgreSQL directory]``; settings in the env."""
    host, port, workers, pool_size, *embedded = argv
    # uvicorn turns SIGTERM into a graceful shutdown; make sure a plain kill does the same.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        serve_workers(host, int(port), int(workers), int(pool_size), os.environ)
    except KeyboardInterrupt:
        pass
    finally:
        if embedded:
            from infrastructure import embedded_postgres_server  # noqa: PLC0415 - only then

            print("Stopping embedded PostgreSQL …", flush=True)  # noqa: T201 - as serve said it
            embedded_postgres_server.stop(Path(embedded[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
