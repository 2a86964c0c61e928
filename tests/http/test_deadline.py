"""The total request deadline, against a mock that drips, resets and cuts its answers on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from h2oharness.apis import get_api
from h2oharness.http.deadline import DEADLINE, deadline_session
from h2oharness.http.streaming import JsonlStream, _head_of_body, open_stream
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target, serve_mock

CLOUD = "/3/Cloud"
#: 1,335 bytes a 50 ms each: about a minute, which a 0.5 s deadline must cut short
DRIP = {"X-Harness-Fault": "drip=0.05"}


@pytest.fixture(scope="module")
def h2o3() -> Iterator[Target]:
    with serve_mock(get_api("h2o3")) as target:
        yield target


def test_httpx_drip_ends_at_the_total_deadline_naming_the_request(h2o3: Target) -> None:
    with h2o3.client(timeout=30.0, deadline=0.5) as http, pytest.raises(httpx.ReadTimeout) as caught:
        http.get(CLOUD, headers=DRIP)
    assert str(caught.value) == "GET /3/Cloud: no complete answer within 0.5 s (the request's total deadline)"


def test_httpx_a_request_may_ask_for_its_own_deadline(h2o3: Target) -> None:
    with h2o3.client(timeout=30.0, deadline=600.0) as http, pytest.raises(httpx.ReadTimeout, match=r"within 0\.3 s"):
        http.get(CLOUD, headers=DRIP, extensions={DEADLINE: 0.3})


def test_httpx_latency_beyond_the_deadline_is_a_timeout(h2o3: Target) -> None:
    with h2o3.client(timeout=30.0, deadline=0.3) as http, pytest.raises(httpx.ReadTimeout, match=r"^GET /3/Cloud: "):
        http.get(CLOUD, headers={"X-Harness-Fault": "latency=5"})


@pytest.mark.parametrize(("fault", "error"), [("reset", httpx.ReadError), ("truncate", httpx.RemoteProtocolError)])
def test_httpx_errors_name_the_request(h2o3: Target, fault: str, error: type[Exception]) -> None:
    with h2o3.client(deadline=5.0) as http, pytest.raises(error, match=r"^GET /3/Cloud: "):
        http.get(CLOUD, headers={"X-Harness-Fault": fault})


RESET = "GET /3/Cloud: no complete answer (the target reset the connection)"


def test_httpx_a_reset_is_said_in_the_harness_words(h2o3: Target) -> None:
    # not "[Errno 104] Connection reset by peer": the request, and what the target did
    with h2o3.client(deadline=5.0) as http, pytest.raises(httpx.TransportError) as caught:
        http.get(CLOUD, headers={"X-Harness-Fault": "reset"})
    assert str(caught.value) == RESET


def test_httpx_an_ordinary_answer_is_untouched(h2o3: Target) -> None:
    with h2o3.client(deadline=5.0) as http:
        assert http.get(CLOUD).json()["cloud_healthy"] is True


@pytest.fixture
def session(h2o3: Target) -> Iterator[requests.Session]:
    with deadline_session(requests.Session(), 0.5) as s:
        auth = h2o3.credentials.httpx_auth()
        if auth:
            s.auth = auth
        yield s


@pytest.mark.parametrize("stream", [False, True])
def test_requests_drip_ends_at_the_total_deadline(h2o3: Target, session: requests.Session, stream: bool) -> None:
    with pytest.raises(requests.Timeout) as caught:
        session.get(h2o3.url + CLOUD, headers=DRIP, timeout=30, stream=stream)
    assert str(caught.value) == "GET /3/Cloud: no complete answer within 0.5 s (the request's total deadline)"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("reset", requests.ConnectionError),
        ("truncate", requests.exceptions.ChunkedEncodingError),
        ("latency=5", requests.Timeout),
    ],
)
def test_requests_errors_name_the_request(
    h2o3: Target, session: requests.Session, fault: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^GET /3/Cloud: "):
        session.get(h2o3.url + CLOUD, headers={"X-Harness-Fault": fault}, timeout=30)


def test_requests_a_reset_is_said_in_the_harness_words(h2o3: Target, session: requests.Session) -> None:
    with pytest.raises(requests.ConnectionError) as caught:
        session.get(h2o3.url + CLOUD, headers={"X-Harness-Fault": "reset"}, timeout=30)
    assert str(caught.value) == RESET


def test_requests_an_ordinary_answer_is_read_whole(h2o3: Target, session: requests.Session) -> None:
    answers = [session.get(h2o3.url + CLOUD, timeout=30) for _ in range(3)]
    assert [a.json()["cloud_healthy"] for a in answers] == [True, True, True]
    assert len(answers[0].content) == int(answers[0].headers["content-length"])


def test_an_error_body_is_read_for_a_bounded_time(h2o3: Target) -> None:
    with (
        h2o3.client(deadline=600.0) as http,
        http.stream("GET", CLOUD, headers={"X-Harness-Fault": "status=500; drip=0.05"}) as response,
    ):
        head = _head_of_body(response, seconds=0.3)
    assert 0 < len(head) < len('{"error":"injected fault: HTTP 500"}')


async def _slow_lines(request: Request) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0.4)
            yield json.dumps({"body": f"t{i}", "finished": i == 2, "message_id": "m"}).encode() + b"\n"

    return StreamingResponse(lines(), media_type="application/jsonl")


def test_a_stream_lives_by_its_own_deadline_not_the_clients() -> None:
    app = Starlette(routes=[Route("/slow", _slow_lines)])
    with serve(app) as served, Target("mock", served.url).client(deadline=0.5) as http:
        with pytest.raises(httpx.ReadTimeout, match=r"within 0\.5 s"):
            http.get("/slow")
        with open_stream(http, "GET", "/slow", reader=JsonlStream, deadline=5.0) as stream:
            events = stream.read()
    assert [e.data["body"] for e in events] == ["t0", "t1", "t2"]


async def _slow_events(request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0.4)
            yield f'data: {{"n": {i}}}\n\n'.encode()

    return StreamingResponse(events(), media_type="text/event-stream")


def test_requests_an_event_stream_ends_at_the_stream_deadline() -> None:
    # schemathesis reads an event stream whole as any answer: a stream dripped a byte at a time held a test to its
    # own deadline, the request deadline did not apply to it
    app = Starlette(routes=[Route("/events", _slow_events)])
    with serve(app) as served:
        with deadline_session(requests.Session(), 0.5) as s, pytest.raises(requests.Timeout, match=r"within 0\.5 s"):
            s.get(f"{served.url}/events", timeout=30)
        with deadline_session(requests.Session(), 0.5, stream_deadline=10.0) as s:
            assert s.get(f"{served.url}/events", timeout=30).text.count("data:") == 3
