"""Seed 004's OpenAI-compatible API through the official ``openai`` client: models, chat completion (plain and
streamed), and responses (plain and streamed)."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.http.deadline import deadline_transport
from h2oharness.targets import Target, stream_deadline, tls_context

openai = pytest.importorskip("openai")


@pytest.fixture
def client(h2ogpte_target: Target) -> openai.OpenAI:
    """The official OpenAI client pointed at /openai_api/v1 with the target's key; each answer, a stream dripped a
    byte at a time included, ends within the run's stream deadline (the client's timeout bounds each read only)."""
    deadline = stream_deadline(120.0)
    with (
        httpx.Client(transport=deadline_transport(deadline, verify=tls_context()), timeout=deadline) as http,
        openai.OpenAI(
            base_url=f"{h2ogpte_target.url}/openai_api/v1",
            api_key=h2ogpte_target.credentials.token or "missing",
            max_retries=0,
            timeout=deadline,
            http_client=http,
        ) as oai,
    ):
        yield oai


def test_openai_models_chat_and_responses(client: openai.OpenAI) -> None:
    models = client.models.list().data
    assert models
    assert all(m.id and m.object == "model" for m in models)

    chat = client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "What color is the sky?"}], temperature=0.7, max_tokens=64
    )
    assert chat.choices[0].message.role == "assistant"
    assert chat.choices[0].message.content
    assert chat.usage is not None
    assert chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens

    pieces = []
    for chunk in client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "Count to five."}], stream=True
    ):
        pieces += [choice.delta.content or "" for choice in chunk.choices]
    assert "".join(pieces).strip()

    response = client.responses.create(model="auto", input="What color is the sky?", instructions="Be brief.")
    assert response.status == "completed"
    assert response.output_text.strip()

    deltas, completed = [], None
    for event in client.responses.create(
        model="auto",
        input=[
            {"role": "user", "content": "What color is the sky?"},
            {"role": "assistant", "content": "The sky is blue."},
            {"role": "user", "content": "What was the answer, again?"},
        ],
        stream=True,
    ):
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        elif event.type == "response.completed":
            completed = event.response
    assert deltas
    assert completed is not None
    assert completed.output_text == "".join(deltas)


def test_openai_rejects_a_wrong_key(h2ogpte_target: Target) -> None:
    url = f"{h2ogpte_target.url}/openai_api/v1"
    with (
        openai.OpenAI(base_url=url, api_key="sk-wrong", max_retries=0) as bad,
        pytest.raises(openai.AuthenticationError),
    ):
        bad.models.list()
