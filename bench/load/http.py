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
KEEP_ALIVE_EXPIRY_S = 4.0
"""An idle connection older than this is not reused: uvicorn closes one after 5 s idle, and a
request written as it does so is lost (httpcore's ``keepalive_expiry`` does the same)."""


DETAIL_BYTES = 400
"""How much of an error's answer (or of its exception) an outcome keeps, to show what it was."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request: its class, when it was due, how long until its answer, the status.

    ``detail`` says what an error was: the start of the answer's body (a problem detail) for
    a status other than 2xx and 503, the exception for a request that got no answer.
    """

    route_class: str
    due: float
    latency_s: float
    status: int  # 0: no answer (connection lost or timed out)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_Idle = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]


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
        keep_alive_s: float = KEEP_ALIVE_EXPIRY_S,
    ) -> None:
        self.host, self.port = host, port
        self.max_open, self.timeout_s, self.keep_alive_s = max_open, timeout_s, keep_alive_s
        self._idle: list[_Idle] = []
        self._on_the_wire = asyncio.Semaphore(max_open)

    async def send(self, raw: bytes) -> int:
        """Send one request, read its whole answer; return the status."""
        return (await self.exchange(raw)).status

    async def exchange(self, raw: bytes) -> Answer:
        """Send one request, read its whole answer; return its status and body."""
        async with self._on_the_wire:
            return await self._send(raw)

    def _reusable(self) -> _Connection | None:
        """The most recently used idle connection that is still open and fresh, if any."""
        now = asyncio.get_running_loop().time()
        while self._idle:
            reader, writer, since = self._idle.pop()
            if reader.at_eof() or now - since > self.keep_alive_s:
                writer.close()
                continue
            return reader, writer
        return None

    async def _send(self, raw: bytes) -> Answer:
        conn = self._reusable()
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
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self._idle.append((reader, writer, asyncio.get_running_loop().time()))
        return Answer(status, body)

    def close(self) -> None:
        for _, writer, _ in self._idle:
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
            answer = await connections.exchange(raw)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
        detail = f"{type(e).__name__}: {e}"[:DETAIL_BYTES]
        return Outcome(route_class, due, loop.time() - due, 0, detail)
    latency = loop.time() - due
    if 200 <= answer.status < 300 or answer.status == 503:
        return Outcome(route_class, due, latency, answer.status)
    detail = answer.body[:DETAIL_BYTES].decode(errors="replace")
    return Outcome(route_class, due, latency, answer.status, detail)


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
