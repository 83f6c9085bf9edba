"""The load generator keeps its connections capped when the server stops answering."""

from __future__ import annotations

import asyncio

from bench.load.http import Connections, get, open_loop


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
