"""``bench load`` measures its own API: a port another server answers on is refused at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.load.main import api_server


async def test_a_port_another_server_answers_on_is_refused_before_the_api_starts(
    tmp_path: Path,
) -> None:
    async def healthy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    other = await asyncio.start_server(healthy, "127.0.0.1", 0)
    port = other.sockets[0].getsockname()[1]
    try:
        with pytest.raises(RuntimeError, match=f"port {port} is in use"):
            async with (
                asyncio.timeout(60),
                api_server("postgresql://postgres@127.0.0.1:1/none", tmp_path, port, 1),
            ):
                pass
    finally:
        other.close()
        await other.wait_closed()
    assert not (tmp_path / "api.log").exists(), "no API was started"
