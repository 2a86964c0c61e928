"""LLM usage of failed answers: an LLM call that fails while generating was still made, and a usage meter counts
it (its prompt's tokens and the tokens sent before it failed)."""

from __future__ import annotations

import json

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mockparts.state import FAIL_MARKER

V1 = "/api/v1"


def _usage(http: httpx.Client) -> list[dict[str, object]]:
    r = http.get(f"{V1}/stats/usage_by_model", params={"interval": "1 hour"})
    assert r.status_code == 200, r.text
    return list(r.json())


def _session(client: H2OGPTeClient) -> str:
    return str(client.create_chat(client.create_collection("c")["id"])["id"])


def test_a_failed_completion_counts_as_a_call_with_its_prompt_and_no_output(
    http: httpx.Client, client: H2OGPTeClient
) -> None:
    sid = _session(client)
    r = http.post(f"{V1}/chats/{sid}/completions", json={"message": f"sum it {FAIL_MARKER}", "llm": "auto"})
    assert r.status_code == 500
    (used,) = _usage(http)
    assert used["call_count"] == 1
    assert isinstance(used["input_tokens"], int)
    assert used["input_tokens"] > 0
    assert used["output_tokens"] == 0


def test_a_stream_that_fails_counts_the_tokens_it_sent(http: httpx.Client, client: H2OGPTeClient) -> None:
    sid = _session(client)
    body = {"message": f"sum it {FAIL_MARKER}", "llm": "auto", "stream": True}
    with http.stream("POST", f"{V1}/chats/{sid}/completions", json=body) as r:
        items = [json.loads(line) for line in r.iter_lines() if line.strip()]
    assert "error" in items[-1]
    sent = [i for i in items if i.get("body")]
    assert sent
    (used,) = _usage(http)
    assert used["call_count"] == 1
    assert used["output_tokens"] == len(sent)


def test_a_failed_direct_llm_answer_counts_as_a_call_with_no_output(http: httpx.Client) -> None:
    question = f"what sold best {FAIL_MARKER}"
    r = http.post(f"{V1}/models/auto/answer_question", json={"question": question})
    assert r.status_code == 200, r.text
    assert r.json()["error"]
    assert r.json()["output_tokens"] == 0
    (used,) = _usage(http)
    assert (used["call_count"], used["input_tokens"], used["output_tokens"]) == (1, len(question.split()), 0)
