from __future__ import annotations

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from h2oharness.errors import TargetUnavailable
from h2oharness.mocks.serve import listener, serve


async def hello(request: object) -> JSONResponse:
    return JSONResponse({"ok": True})


def test_listener_is_tcp_typed_so_accepted_connections_get_nodelay() -> None:
    """Without TCP_NODELAY each response body waits ~40 ms for a delayed ACK (found by the rps benchmark).

    asyncio sets TCP_NODELAY on accepted sockets only when the listener's proto is IPPROTO_TCP.
    """
    sock = listener("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_a_taken_port_is_a_harness_error() -> None:
    app = Starlette(routes=[Route("/", hello)])
    with serve(app) as first, pytest.raises(TargetUnavailable, match="cannot bind"), serve(app, port=first.port):
        pass


def test_port_zero_gives_distinct_ports() -> None:
    app = Starlette(routes=[Route("/", hello)])
    with serve(app) as first, serve(app) as second:
        assert first.port != second.port
        assert httpx.get(second.url + "/").status_code == 200
