from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from h2oharness.apis import get_api
from h2oharness.apis.h2o3.openapi import fetch_metadata
from h2oharness.errors import TargetUnavailable
from h2oharness.http.unreachable import why_unreachable
from h2oharness.targets import Credentials, probe


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A plain HTTP server on loopback: what an https:// URL meets when the port is an http:// one."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_an_https_url_to_a_plain_http_port_says_to_try_http(plain_http_port: int) -> None:
    # before: "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)" and nothing about the scheme
    url = f"https://127.0.0.1:{plain_http_port}"
    hint = f"it does not speak TLS, as an http:// server would not; is it http://127.0.0.1:{plain_http_port}?"
    with pytest.raises(TargetUnavailable) as spec_error:
        fetch_metadata(url, timeout=10)
    with pytest.raises(TargetUnavailable) as run_error:
        probe(url, get_api("h2o3").health_path, Credentials(), timeout=10)
    assert hint in str(spec_error.value)
    assert hint in str(run_error.value)


def test_other_reasons_are_said_as_they_are() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    assert why_unreachable(refused, "https://127.0.0.1:9") == "[Errno 111] Connection refused"
    assert why_unreachable(TimeoutError(), "http://127.0.0.1:9") == "TimeoutError"
