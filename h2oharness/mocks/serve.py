"""Serve an ASGI app on loopback in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from h2oharness.errors import ConfigError, TargetUnavailable


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and the port it bound."""

    url: str
    host: str
    port: int


def listener(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``; TargetUnavailable with the reason when the port cannot be had."""
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets of a TCP-typed listener, and without
    # it each body uvicorn writes after its headers waits ~40 ms for the client's delayed ACK
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is out of range: use 0 (any free port) to 65535")
    host = host.removeprefix("[").removesuffix("]")  # [::1], as in a URL
    # an IPv6 address (::1) cannot be bound by an IPv4 socket: "Address family for hostname not supported"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise TargetUnavailable(f"cannot bind the mock to {host}:{port}: {exc.strerror}") from exc
    return sock


def url_host(host: str) -> str:
    """``host`` as a URL writes it: an IPv6 address in brackets (``[::1]``), anything else as it is."""
    host = host.removeprefix("[").removesuffix("]")
    return f"[{host}]" if ":" in host else host


#: seconds an idle keep-alive connection stays open (uvicorn's default is 5, nginx's 75). A request sent as the
#: server closes an idle connection meets a reset: at 5 s, a client idle that long (a hypothesis draw, a busy
#: worker) lost about one request in four to it under load, and requests/urllib3 keeps connections with no expiry
KEEP_ALIVE = 75


class _CancelledAtShutdown(logging.Filter):
    """Drops uvicorn's traceback of each request it cancels when the mock stops (a stuck job, a slow answer still
    in flight): the stop is ours, not a bug, and uvicorn's own line already counts them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


@contextlib.contextmanager
def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 10.0) -> Iterator[Served]:
    """Run ``app`` with uvicorn on ``host:port`` (port 0 picks a free one) until the block exits.

    Example:
        with serve(make_app()) as served:
            httpx.get(served.url + "/3/Cloud")
    """
    sock = listener(host, port)
    bound_port = sock.getsockname()[1]
    host = host.removeprefix("[").removesuffix("]")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=KEEP_ALIVE,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"mock:{bound_port}")
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise TargetUnavailable(f"the mock did not start on {host}:{bound_port} within {start_timeout:.0f} s")
        time.sleep(0.01)
    try:
        yield Served(url=f"http://{url_host(host)}:{bound_port}", host=host, port=bound_port)
    finally:
        quiet = _CancelledAtShutdown()
        logging.getLogger("uvicorn.error").addFilter(quiet)
        try:
            server.should_exit = True
            thread.join(timeout=5)
        finally:
            logging.getLogger("uvicorn.error").removeFilter(quiet)
        sock.close()
