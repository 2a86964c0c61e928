"""The OpenAI-compatible SSE streams: what a chat-completions chunk and a Responses event mean to the reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2ogpte.openai_streams import ChatCompletionStream, ResponsesStream
from h2oharness.errors import StreamCut, StreamServerError, StreamViolation
from h2oharness.http.streaming import SseStream


def sse(data: object, *, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


def chunk(content: str) -> dict[str, Any]:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": content}}]}


def read(reader: type[SseStream], parts: list[str], times: list[float] | None = None) -> SseStream:
    """Read ``parts`` with ``reader``, the n-th part arriving at ``times[n]`` (n + 1 by default) since the send."""
    now = [0.0]

    def body() -> Iterator[bytes]:
        for at, part in zip(times or range(1, len(parts) + 1), parts, strict=True):
            now[0] = at
            yield part.encode()

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())
    stream = reader(response, 0.0, clock=lambda: now[0])
    stream.read()
    return stream


def test_chat_text_is_the_delta_content_and_done_ends_the_stream() -> None:
    parts = [": ping\n\n", sse({"choices": [{"delta": {"role": "assistant"}}]}), sse(chunk("a")), sse(chunk("b"))]
    stream = read(ChatCompletionStream, [*parts, sse({"choices": [{"delta": {}}]}), "data: [DONE]\n\n"])
    assert stream.text == "ab"
    assert stream.stats.time_to_first_event == 2.0
    assert stream.stats.time_to_first_token == 3.0
    assert stream.stats.tokens == 2
    assert stream.finished
    assert stream.final is not None
    assert stream.final.text == ""


@pytest.mark.parametrize("data", [{}, {"choices": []}, {"choices": ["x"]}, {"choices": [{"delta": "x"}]}])
def test_a_chunk_without_delta_content_carries_no_text(data: dict[str, Any]) -> None:
    assert read(ChatCompletionStream, [sse(data), "data: [DONE]\n\n"]).text == ""


def test_sse_error_chunk_is_a_server_error() -> None:
    error = {"message": "rate limited", "type": "rate_limit"}
    with pytest.raises(StreamServerError) as caught:
        read(ChatCompletionStream, [sse(chunk("Hel")), sse({"error": error}), "data: [DONE]\n\n"])
    assert "the server ended the stream with an error (SSE event at line 3): " in str(caught.value)
    assert caught.value.error == error


def responses_events(*deltas: str) -> list[str]:
    events = [sse({"type": "response.created", "response": {"id": "resp_1"}}, event="response.created")]
    events += [
        sse({"type": "response.output_text.delta", "delta": d}, event="response.output_text.delta") for d in deltas
    ]
    return events


def test_responses_stream_ends_at_completed_with_or_without_done() -> None:
    completed = sse(
        {"type": "response.completed", "response": {"id": "resp_1", "status": "completed"}}, event="response.completed"
    )
    for tail in ([], ["data: [DONE]\n\n"]):
        stream = read(ResponsesStream, [*responses_events("Hi", " you"), completed, *tail])
        assert stream.text == "Hi you"
        assert stream.final is not None
        assert stream.final.event == "response.completed"
        assert stream.stats.tokens == 2
        assert stream.stats.events == 4


def test_responses_events_are_named_by_their_type() -> None:
    parts = [sse({"type": "response.output_text.delta", "delta": "a"}), sse({"type": 3}), "data: [DONE]\n\n"]
    assert [e.event for e in read(ResponsesStream, parts).events] == ["response.output_text.delta", ""]


def test_responses_stream_contract() -> None:
    completed = sse({"type": "response.completed"}, event="response.completed")
    with pytest.raises(StreamViolation, match=r"comes after the stream ended with response\.completed at line 7"):
        read(ResponsesStream, [*responses_events("a"), completed, sse({"type": "response.output_text.delta"})])
    with pytest.raises(
        StreamViolation, match=r"is named event: response\.created but its data has type 'response\.completed'"
    ):
        read(ResponsesStream, [sse({"type": "response.completed"}, event="response.created")])
    failed = {"type": "response.failed", "response": {"error": {"code": "server_error", "message": "boom"}}}
    with pytest.raises(StreamServerError) as caught:
        read(ResponsesStream, [*responses_events("a"), sse(failed)])
    assert caught.value.error == {"code": "server_error", "message": "boom"}
    with pytest.raises(StreamServerError) as caught:
        read(ResponsesStream, [sse({"type": "error", "message": "overloaded"})])
    assert caught.value.error == "overloaded"
    with pytest.raises(StreamCut):
        read(ResponsesStream, responses_events("a"))


def test_the_clients_streams_end_at_the_runs_request_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # a run told --request-deadline 1 ended its dripped streams at its 20-s test deadline: the client's own default
    # (120 s, 180 s) replaced the run's deadline for a stream
    from h2oharness.apis import get_api
    from h2oharness.apis.h2ogpte.client import H2OGPTeClient
    from h2oharness.targets import serve_mock

    monkeypatch.delenv("HARNESS_STREAM_DEADLINE", raising=False)
    monkeypatch.setenv("HARNESS_REQUEST_DEADLINE", "0.5")
    drip = {"X-Harness-Fault": "drip=0.05"}  # a chunk of a few hundred bytes takes seconds
    body = {"model": "auto", "messages": [{"role": "user", "content": "Say hello."}]}
    with serve_mock(get_api("h2ogpte")) as target, target.client(timeout=30) as http:
        http.headers.update(drip)
        opened = H2OGPTeClient(http).openai_stream("chat/completions", body)
        with pytest.raises(StreamViolation, match=r"past its deadline of 0\.50 s"), opened as stream:
            stream.read()
