"""Stream contracts of the two streaming endpoints, on the chosen target, read by the harness readers as they
arrive: the JSONL completions (deltas, then one finished line with a message_id, nothing after it) and the
OpenAI-compatible SSE streams (chunks then ``data: [DONE]``; typed ``response.*`` events). Schemathesis buffers
streams, so it checks only their first bytes; these check every line."""

from __future__ import annotations

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.targets import Target, deadline_client


def test_completion_jsonl_stream(h2ogpte_http: httpx.Client) -> None:
    gpte = H2OGPTeClient(h2ogpte_http)
    session = gpte.create_chat()["id"]
    try:
        with gpte.stream(session, {"message": "Say hello in five words.", "llm": "auto"}) as stream:
            events = stream.read()
        assert stream.finished
        assert stream.message_id
        assert events[-1].data["finished"] is True
        assert all(e.data["finished"] is False for e in events[:-1])
        assert stream.stats.time_to_first_token is not None
        answers = [m for m in gpte.messages(session) if m.get("reply_to")]
        assert stream.message_id in {m["id"] for m in answers}, "the finished line names the stored answer"
    finally:
        gpte.delete_chat(session, missing_ok=True)


def test_openai_chat_sse_stream(h2ogpte_http: httpx.Client) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": "Say hello."}]}
    with H2OGPTeClient(h2ogpte_http).openai_stream("chat/completions", body) as stream:
        events = stream.read()
    assert stream.finished, "the stream ends with data: [DONE]"
    assert events
    assert all(e.data.get("object") == "chat.completion.chunk" for e in events)
    assert stream.text.strip()


def test_openai_responses_sse_stream(h2ogpte_http: httpx.Client) -> None:
    with H2OGPTeClient(h2ogpte_http).openai_stream("responses", {"model": "auto", "input": "Say hello."}) as stream:
        events = stream.read()
    assert stream.finished
    assert events[-1].data["type"] == "response.completed"
    assert stream.text.strip()


def test_streams_need_the_key(h2ogpte_target: Target) -> None:
    with deadline_client(h2ogpte_target.url, timeout=30) as anonymous:
        jsonl = anonymous.post("/api/v1/chats/any/completions", json={"message": "hi", "stream": True})
        sse = anonymous.post(
            "/openai_api/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        )
    assert jsonl.status_code == 401
    assert sse.status_code == 401
