from __future__ import annotations

import asyncio
import socket
import threading
import time

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


def test_a_request_still_in_flight_when_the_mock_stops_leaves_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    # what `load` meets when its run ends during an answer the fault plan delays (latency=, drip=, a stuck job)
    arrived = threading.Event()

    async def hang(request: object) -> JSONResponse:
        arrived.set()
        await asyncio.sleep(60)
        return JSONResponse({})

    seen: list[object] = []

    def call(url: str) -> None:
        try:
            seen.append(httpx.get(url + "/hang", timeout=30).status_code)
        except httpx.HTTPError as exc:
            seen.append(exc)

    with serve(Starlette(routes=[Route("/hang", hang)])) as served:
        caller = threading.Thread(target=call, args=(served.url,), daemon=True)
        caller.start()
        assert arrived.wait(timeout=10), "the request never reached the mock"
    caller.join(timeout=30)  # a guard: the stop cancels the request at once
    assert seen, "the request never ended"
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert "CancelledError" not in err, err


def test_a_connection_idle_past_uvicorns_default_keep_alive_is_still_served() -> None:
    # uvicorn closes an idle connection after 5 s by default; a client (requests keeps connections with no expiry)
    # that sends as it closes meets a reset, which the sweep reported as the target's NoAnswer
    app = Starlette(routes=[Route("/", hello)])
    with serve(app) as served, socket.create_connection((served.host, served.port), timeout=10) as conn:
        request = f"GET / HTTP/1.1\r\nHost: {served.host}\r\n\r\n".encode()
        conn.sendall(request)
        assert _answer(conn).startswith(b"HTTP/1.1 200")
        time.sleep(5.5)
        conn.sendall(request)
        assert _answer(conn).startswith(b"HTTP/1.1 200")  # b"" (closed) or a reset without the fix


def _answer(conn: socket.socket) -> bytes:
    """What arrives on ``conn`` up to the end of a ``{"ok": true}`` body or the connection's end."""
    got = b""
    for _ in range(100):
        piece = conn.recv(65536)
        got += piece
        if not piece or got.endswith(b'{"ok":true}'):
            break
    return got


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_a_mock_serves_on_ipv6_loopback_under_a_url_with_brackets(host: str) -> None:
    # serve --host ::1 bound an IPv4 socket ("Address family for hostname not supported"), and its URL
    # would have been http://::1:PORT, which no client reads as a host and a port
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    with serve(Starlette(routes=[Route("/", hello)]), host=host) as served:
        assert served.url == f"http://[::1]:{served.port}"
        assert served.host == "::1"
        assert httpx.get(served.url + "/", timeout=10).json() == {"ok": True}
