"""Streams over a real loopback socket: JSONL completions on the token schedule, the error line, pause/resume/
stop/finish on a live stream, the WebSocket's frames, and the OpenAI SSE streams, read with the harness readers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, FAIL_MARKER, H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.errors import StreamServerError
from h2oharness.http.streaming import JsonlStream, open_stream
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}


def _served(state: H2OGPTeMockState) -> Iterator[H2OGPTeClient]:
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, headers=AUTH, timeout=30) as http:
        yield H2OGPTeClient(http)


@pytest.fixture
def quick() -> Iterator[H2OGPTeClient]:
    """A mock whose answers stream 8 tokens with no pauses."""
    state = H2OGPTeMockState(clock=ManualClock(), timings=H2OGPTeTimings(first_token=0, token_gap=0, tokens=8))
    yield from _served(state)


@pytest.fixture
def slow() -> Iterator[tuple[H2OGPTeClient, H2OGPTeMockState]]:
    """A mock whose answers stream 400 tokens 20 ms apart (8 s): long enough to act on while it runs."""
    state = H2OGPTeMockState(
        clock=ManualClock(), timings=H2OGPTeTimings(first_token=0.0, token_gap=0.02, tokens=400), stream_speed=1.0
    )
    for client in _served(state):
        yield client, state


def test_jsonl_stream_is_deltas_then_a_finished_line(quick: H2OGPTeClient) -> None:
    session = quick.create_chat()["id"]
    with quick.stream(session, {"message": "hello there"}) as stream:
        events = stream.read()
    assert stream.response.headers["content-type"].startswith("application/jsonl")
    assert len(events) == 9, "8 tokens and the finished line"
    assert all(e.data["finished"] is False for e in events[:-1])
    assert events[-1].data["finished"] is True
    assert stream.message_id == events[-1].data["message_id"]
    answer = quick.messages(session)[-1]
    assert answer["id"] == stream.message_id
    assert answer["content"] == stream.text
    assert stream.stats.tokens == 8


def test_accept_jsonl_also_streams(quick: H2OGPTeClient) -> None:
    session = quick.create_chat()["id"]
    with open_stream(
        quick.http, "POST", f"/api/v1/chats/{session}/completions", reader=JsonlStream,
        json={"message": "hi"}, headers={"Accept": "application/jsonl"},
    ) as stream:  # fmt: skip
        stream.read()
    assert stream.finished


def test_a_failing_answer_ends_with_an_error_line(quick: H2OGPTeClient) -> None:
    session = quick.create_chat()["id"]
    with (
        pytest.raises(StreamServerError, match="failure marker"),
        quick.stream(session, {"message": f"please {FAIL_MARKER}"}) as stream,
    ):
        stream.read()
    failed = quick.messages(session)[-1]
    assert failed["error"]
    resp = quick.http.post(f"/api/v1/chats/{session}/completions", json={"message": FAIL_MARKER})
    assert resp.status_code == 500
    assert resp.json()["code"] == 500


def _question(client: H2OGPTeClient, session: str) -> str:
    return str(next(m["id"] for m in client.messages(session) if m["reply_to"] is None))


def test_pause_holds_tokens_and_stop_ends_the_stream(slow: tuple[H2OGPTeClient, H2OGPTeMockState]) -> None:
    client, state = slow
    session = client.create_chat()["id"]
    with client.stream(session, {"message": "a long answer"}, deadline=30) as stream:
        events = iter(stream)
        next(events)
        question = _question(client, session)
        client.control(question, "pause")
        generation = state.generations[question]
        assert generation.paused
        time.sleep(0.05)  # a token being sent when the pause came may still go out
        held = generation.emitted
        time.sleep(0.2)  # ten token gaps: an unpaused generation would have sent about ten more
        assert generation.emitted == held, "tokens kept coming while paused"
        client.control(question, "resume")
        client.control(question, "stop")
        rest = list(events)
    assert stream.finished
    assert rest[-1].data["finished"] is True
    assert stream.stats.tokens == generation.emitted < 400
    assert not generation.live
    assert client.messages(session)[-1]["content"] == stream.text


def test_finish_ends_the_answer_after_one_more_token(slow: tuple[H2OGPTeClient, H2OGPTeMockState]) -> None:
    client, _ = slow
    session = client.create_chat()["id"]
    with client.stream(session, {"message": "a long answer"}, deadline=30) as stream:
        events = iter(stream)
        next(events)
        client.control(_question(client, session), "finish")
        list(events)
    assert stream.finished
    assert stream.stats.tokens < 400
    assert stream.text.endswith(".")


def test_control_of_unknown_or_answer_ids_is_404(quick: H2OGPTeClient) -> None:
    session = quick.create_chat()["id"]
    answer = quick.complete(session, {"message": "hi"})
    assert quick.http.post("/api/v1/messages/nope/pause").status_code == 404
    assert quick.http.post(f"/api/v1/messages/{answer['message_id']}/stop").status_code == 404
    question = _question(quick, session)
    assert quick.http.post(f"/api/v1/messages/{question}/stop").status_code == 204, "a finished answer: a no-op"


def test_openai_chat_sse_ends_with_done(quick: H2OGPTeClient) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    with quick.openai_stream("chat/completions", body) as stream:
        events = stream.read()
    assert stream.finished
    assert events[0].data["choices"][0]["delta"]["role"] == "assistant"
    assert events[-1].data["choices"][0]["finish_reason"] == "stop"
    assert stream.text.strip()


def test_openai_responses_sse_completes(quick: H2OGPTeClient) -> None:
    with quick.openai_stream("responses", {"model": "auto", "input": "hi"}) as stream:
        events = stream.read()
    assert events[-1].data["type"] == "response.completed"
    assert events[-1].data["response"]["output"][0]["content"][0]["text"] == stream.text


def test_websocket_query_acks_streams_and_answers() -> None:
    websockets = pytest.importorskip("websockets.sync.client")
    state = H2OGPTeMockState(clock=ManualClock(), timings=H2OGPTeTimings(first_token=0, token_gap=0, tokens=5))
    with serve(make_app(state)) as served:
        with httpx.Client(base_url=served.url, headers=AUTH) as http:
            sid = http.post("/api/v1/chats", json={}).json()["id"]
        ws_url = served.url.replace("http://", "ws://") + f"/ws?currentSessionID={sid}&source=py"
        with websockets.connect(ws_url, additional_headers=AUTH, open_timeout=5) as ws:
            ws.send(json.dumps({"t": "cq", "mode": "s", "session_id": sid, "correlation_id": "c1", "body": "hi"}))
            frames = [json.loads(ws.recv(timeout=5))]
            while frames[-1]["t"] != "ca":
                frames.append(json.loads(ws.recv(timeout=5)))
        with pytest.raises(Exception, match=r"403|1008"), websockets.connect(ws_url, open_timeout=5) as anon:
            anon.recv(timeout=5)
    ack, *partials, answer = frames
    assert ack["t"] == "cx"
    assert ack["correlation_id"] == "c1"
    assert [f["t"] for f in partials] == ["cp"] * 5
    assert answer["reply_to_id"] == ack["message_id"]
    assert answer["body"] == partials[-1]["body"]
    assert state.messages[answer["message_id"]]["content"] == answer["body"]
