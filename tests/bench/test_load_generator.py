"""The load generator keeps its connections capped when the server stops answering."""

from __future__ import annotations

import asyncio

from bench.load.http import Connections, Outcome, get, open_loop
from bench.load.main import by_class, error_kinds


async def test_a_server_that_never_answers_gets_no_more_connections_than_the_cap() -> None:
    accepted: list[asyncio.StreamWriter] = []
    open_now = most_open = 0

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer nothing; keep the connection until the client closes it."""
        nonlocal open_now, most_open
        accepted.append(writer)
        open_now += 1
        most_open = max(most_open, open_now)
        while await reader.read(4096):
            pass
        open_now -= 1

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connections = Connections("127.0.0.1", port, max_open=4, timeout_s=1.0)
    raw = get("/v1/anything", f"127.0.0.1:{port}", "token")
    try:
        outcomes = await open_loop(connections, 200, 0.5, lambda: ("read", raw))
    finally:
        connections.close()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()

    assert len(outcomes) > 40, "the generator kept its rate"
    assert {o.status for o in outcomes} == {0}, "none was answered"
    assert most_open == 4
    assert len(accepted) > 4, "a connection that timed out was replaced by a new one"


async def _keep_alive_server(
    idle_s: float, status: bytes = b"200 OK", body: bytes = b"{}"
) -> tuple[asyncio.Server, list[int]]:
    """Answers every request; closes a connection idle for ``idle_s``, as uvicorn does after 5 s.

    The list counts the connections accepted.
    """
    accepted = [0]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted[0] += 1
        try:
            while True:
                async with asyncio.timeout(idle_s):
                    head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
                    b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError):
            pass
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0), accepted


async def test_connections_the_server_closed_while_idle_are_not_reused() -> None:
    server, accepted = await _keep_alive_server(idle_s=0.1)
    port = server.sockets[0].getsockname()[1]
    connections = Connections("127.0.0.1", port)
    raw = get("/v1/anything", f"127.0.0.1:{port}", "token")
    try:
        first = await asyncio.gather(*(connections.exchange(raw) for _ in range(8)))
        await asyncio.sleep(0.3)  # the server closed all eight meanwhile
        second = await asyncio.gather(*(connections.exchange(raw) for _ in range(8)))
    finally:
        connections.close()
        server.close()
        await server.wait_closed()

    assert [a.status for a in first + second] == [200] * 16
    assert accepted[0] == 16


async def test_a_connection_idle_past_the_keep_alive_expiry_is_replaced() -> None:
    server, accepted = await _keep_alive_server(idle_s=10.0)
    port = server.sockets[0].getsockname()[1]
    connections = Connections("127.0.0.1", port, keep_alive_s=0.1)
    raw = get("/v1/anything", f"127.0.0.1:{port}", "token")
    try:
        await connections.exchange(raw)
        await connections.exchange(raw)
        assert accepted[0] == 1, "a fresh idle connection is reused"
        await asyncio.sleep(0.2)
        await connections.exchange(raw)
    finally:
        connections.close()
        server.close()
        await server.wait_closed()

    assert accepted[0] == 2


async def test_an_error_keeps_its_problem_detail_and_is_reported_by_kind() -> None:
    problem = b'{"type":"urn:passend:problem:conflict","title":"Conflict","status":409}'
    server, _ = await _keep_alive_server(idle_s=10.0, status=b"409 Conflict", body=problem)
    port = server.sockets[0].getsockname()[1]
    connections = Connections("127.0.0.1", port)
    raw = get("/v1/anything", f"127.0.0.1:{port}", "token")
    try:
        outcomes = await open_loop(connections, 100, 0.2, lambda: ("command:x", raw))
    finally:
        connections.close()
        server.close()
        await server.wait_closed()
    lost = Outcome("read:y", 0.0, 0.1, 0, "ConnectionResetError: the server closed the connection")

    kinds = error_kinds([*outcomes, lost, lost])

    assert kinds == [
        {
            "class": "command:x",
            "status": 409,
            "kind": "urn:passend:problem:conflict",
            "count": len(outcomes),
            "example": problem.decode(),
        },
        {
            "class": "read:y",
            "status": 0,
            "kind": "ConnectionResetError",
            "count": 2,
            "example": lost.detail,
        },
    ]
    assert by_class(outcomes, 0.2)["command:x"]["errors"] == len(outcomes)
