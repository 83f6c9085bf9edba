"""What the server does under load: CPU and memory of its processes, and projection lag.

Projection lag is the time from a commit's notification (``passend_commits``, sent by the API
about 15 ms after the commit, debounced) until every active read model of that tenant has
applied it, seen by polling the tracking table every 20 ms for the tenants that wait: so it
is accurate to about ±20 ms, and slightly optimistic by the debounce.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from infrastructure.commit_notifier import COMMITS_CHANNEL, parse_commit_payload
from infrastructure.wake_ups import stop_task

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_POLL_S = 0.02
_APPLIED = (
    "SELECT t.tenant_id, min(t.position) AS position FROM projection_tracking t"
    " JOIN projection_builds b ON b.projection = t.projection AND b.build = t.build"
    " WHERE b.state = 'active' AND t.tenant_id = ANY($1::text[]) GROUP BY t.tenant_id"
)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parents.setdefault(int(stat[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """CPU time of a process tree, finished children included (through cutime/cstime)."""
    ticks = 0
    for pid in process_tree(root):
        stat = _stat(pid)
        if stat is not None:
            ticks += sum(int(v) for v in stat[11:15])
    return ticks / _TICK


def rss_bytes(root: int) -> int:
    total = 0
    for pid in process_tree(root):
        stat = _stat(pid)
        if stat is not None:
            total += int(stat[21]) * _PAGE
    return total


def pss_bytes(root: int) -> int:
    """The tree's proportional set size: each shared page counted once over the processes.

    RSS summed over processes counts the interpreter and the libraries every process maps once
    per process, so a tree of more, smaller processes looks larger than it is.
    """
    total = 0
    for pid in process_tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # it ended meanwhile
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


@dataclass
class ProjectionLag:
    """Commit-to-applied lag of every read model, per notified commit."""

    admin_dsn: str
    lags_s: list[float] = field(default_factory=list)
    _waiting: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _listener: asyncpg.Connection[asyncpg.Record] | None = None

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        parsed = parse_commit_payload(str(payload))
        if parsed is not None:
            tenant, position = parsed
            now = asyncio.get_running_loop().time()
            self._waiting.setdefault(tenant, []).append((position, now))

    async def start(self) -> None:
        self._listener = await asyncpg.connect(self.admin_dsn)
        await self._listener.add_listener(COMMITS_CHANNEL, self._notified)
        self._task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(_POLL_S)
                tenants = [t for t, w in self._waiting.items() if w]
                if not tenants:
                    continue
                rows = await conn.fetch(_APPLIED, tenants)
                now = loop.time()
                for row in rows:
                    waiting = self._waiting[row["tenant_id"]]
                    done = [(p, t) for p, t in waiting if p <= row["position"]]
                    self.lags_s.extend(now - t for _, t in done)
                    self._waiting[row["tenant_id"]] = [w for w in waiting if w not in done]
        finally:
            await conn.close()

    def take(self) -> list[float]:
        """The lags measured since the last call."""
        lags, self.lags_s = self.lags_s, []
        return lags

    async def stop(self) -> None:
        await stop_task(self._task)
        if self._listener is not None:
            await self._listener.close()
