"""The supervisor of ``passend serve --workers N``: uvicorn's own, over a socket bound here.

uvicorn binds the shared socket without naming its protocol (``socket.socket(family)``), so
the connections its workers accept say protocol 0 and asyncio leaves Nagle's algorithm on for
them (it sets TCP_NODELAY only on sockets that say TCP). An answer written in two parts, head
and body, then waited for the client's delayed ACK: about 40 ms added to every answer on a
kept-alive connection. Bound with ``IPPROTO_TCP`` here, every accepted connection gets
TCP_NODELAY. This is the supervisor's main module, which each spawned worker imports again
before it answers the supervisor's liveness ping: it imports nothing of the API.
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

WORKER_APP = "api.serving:worker_app"


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` that its workers' children inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def main(host: str, port: int, workers: int) -> None:
    config = uvicorn.Config(
        WORKER_APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the request line is ours (api.logs)
    )
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
