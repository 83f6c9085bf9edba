"""An open-loop HTTP/1.1 load generator on bare asyncio.

Requests are sent at their scheduled times (Poisson arrivals at the given rate) whether or not
earlier ones were answered, each on a free keep-alive connection or a new one; latency counts
from the scheduled time, so a generator or server that falls behind shows in the figures
instead of silently lowering the rate (no coordinated omission). Bare asyncio costs about a
fifth of the client CPU of httpx per request, which matters with the server on the same two
cores, and locust's closed-loop users would wait for answers, which hides queueing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

REQUEST_TIMEOUT_S = 30.0
MAX_CONNECTIONS = 256
"""Open connections at most: a server that stops answering must not exhaust file descriptors."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request: its class, when it was due, how long until its answer, the status."""

    route_class: str
    due: float
    latency_s: float
    status: int  # 0: no answer (connection lost or timed out)


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Connections:
    """Keep-alive connections to one server; a new one whenever all are busy, up to a cap.

    At most ``max_open`` requests are on the wire at once, each on its own connection, so at
    most that many connections are ever open. A request due while all are busy waits for one;
    its latency still counts from its due time, and it fails after ``timeout_s`` in all.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_open: int = MAX_CONNECTIONS,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.host, self.port = host, port
        self.max_open, self.timeout_s = max_open, timeout_s
        self._idle: list[_Connection] = []
        self._on_the_wire = asyncio.Semaphore(max_open)

    async def send(self, raw: bytes) -> int:
        """Send one request, read its whole answer; return the status."""
        async with self._on_the_wire:
            return await self._send(raw)

    async def _send(self, raw: bytes) -> int:
        conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = await asyncio.open_connection(self.host, self.port)
        reader, writer = conn
        try:
            writer.write(raw)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("the server closed the connection")  # noqa: TRY301
            status = int(status_line.split(b" ", 2)[1])
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in {b"\r\n", b""}:
                    break
                name, _, value = line.partition(b":")
                key = name.strip().lower()
                if key == b"content-length":
                    length = int(value)
                elif key == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self._idle.append(conn)
        return status

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


def get(path: str, host: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


def post(path: str, host: str, token: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _one(connections: Connections, route_class: str, raw: bytes, due: float) -> Outcome:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(connections.timeout_s):
            status = await connections.send(raw)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
        status = 0
    return Outcome(route_class, due, loop.time() - due, status)


async def open_loop(
    connections: Connections,
    rate: float,
    seconds: float,
    next_request: Callable[[], tuple[str, bytes]],
    *,
    seed: int = 1,
) -> list[Outcome]:
    """Send requests at ``rate`` per second (Poisson arrivals) for ``seconds``."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    start = loop.time() + 0.05
    due = start
    tasks: list[asyncio.Task[Outcome]] = []
    while True:
        due += rng.expovariate(rate)
        if due - start >= seconds:
            break
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        route_class, raw = next_request()
        tasks.append(asyncio.create_task(_one(connections, route_class, raw, due)))
    return list(await asyncio.gather(*tasks))
