"""The socket that `serve --workers` shares: every connection accepted on it sends at once."""

from __future__ import annotations

import asyncio
import socket

from api.worker_supervisor import listening_socket


async def test_a_connection_accepted_on_the_workers_socket_has_nagles_algorithm_off() -> None:
    # Otherwise an answer written as head and body waits for the client's delayed ACK.
    sock = listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection: socket.socket = writer.get_extra_info("socket")
        accepted.set_result(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=sock)
    async with server:
        _, client = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        assert await asyncio.wait_for(accepted, timeout=10) != 0
        client.close()
