"""The streaming metrics against the mock's streams on its token schedule, over a real loopback socket.

Counts and relationships only (TPOT from E2E, TTFT and the token count; ITL without the first wait; usage against
our count); the schedule is a floor for times, never an upper bound.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

TOKENS = 8
FIRST, GAP = 0.05, 0.01


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[H2OGPTeClient, H2OGPTeMockState]]:
    """A mock streaming 8 tokens, the first 50 ms after the request, then one every 10 ms (on wall time)."""
    state = H2OGPTeMockState(
        clock=ManualClock(), timings=H2OGPTeTimings(first_token=FIRST, token_gap=GAP, tokens=TOKENS), stream_speed=1.0
    )
    with (
        serve(make_app(state)) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}, timeout=30) as http,
    ):
        yield H2OGPTeClient(http), state


def _chat(client: H2OGPTeClient, *, usage: bool) -> dict[str, object]:
    body: dict[str, object] = {"model": "auto", "messages": [{"role": "user", "content": "sum the figures"}]}
    return {**body, "stream_options": {"include_usage": True}} if usage else body


def test_jsonl_metrics_follow_the_schedule_and_count_the_chunks(
    served: tuple[H2OGPTeClient, H2OGPTeMockState],
) -> None:
    client, _ = served
    with client.stream(str(client.create_chat()["id"]), {"message": "sum the figures"}) as stream:
        stream.read()
    m = stream.metrics()
    # h2oGPTe's JSONL stream carries no usage: the output count is ours, one token per content line
    assert (m.counted_tokens, m.reported_tokens, m.token_source, m.usage_mismatch) == (TOKENS, None, "counted", None)
    tokens = [e for e in stream.events if e.text]
    assert m.ttft == tokens[0].at >= FIRST  # a server cannot send before its schedule
    assert len(m.itl) == TOKENS - 1  # the closing line carries no text: not a gap between tokens
    assert sum(m.itl) == pytest.approx(tokens[-1].at - tokens[0].at)
    assert m.e2e == stream.stats.duration >= tokens[-1].at
    assert m.tpot == pytest.approx((m.e2e - m.ttft) / (TOKENS - 1))
    assert m.tokens_per_second == pytest.approx(TOKENS / m.e2e)


def test_openai_usage_agrees_with_the_chunks(served: tuple[H2OGPTeClient, H2OGPTeMockState]) -> None:
    client, _ = served
    with client.openai_stream("chat/completions", _chat(client, usage=True)) as stream:
        stream.read()
    m = stream.metrics()
    assert (m.reported_tokens, m.counted_tokens, m.usage_mismatch, m.token_source) == (TOKENS, TOKENS, 0, "usage")
    # the role rides on the first content chunk; the stop and usage chunks carry no text and are no ITL
    assert m.ttft == stream.events[0].at
    assert len(m.itl) == TOKENS - 1
    assert m.tpot == pytest.approx((m.e2e - m.ttft) / (TOKENS - 1))


def test_openai_without_include_usage_reports_no_server_count(
    served: tuple[H2OGPTeClient, H2OGPTeMockState],
) -> None:
    client, _ = served
    with client.openai_stream("chat/completions", _chat(client, usage=False)) as stream:
        stream.read()
    assert stream.metrics().reported_tokens is None


def test_a_usage_that_disagrees_is_reported_and_rules_tpot(served: tuple[H2OGPTeClient, H2OGPTeMockState]) -> None:
    client, state = served
    state.usage_skew = 3
    try:
        with client.openai_stream("chat/completions", _chat(client, usage=True)) as stream:
            stream.read()
    finally:
        state.usage_skew = 0
    m = stream.metrics()
    assert (m.reported_tokens, m.counted_tokens, m.usage_mismatch) == (TOKENS + 3, TOKENS, 3)
    assert m.output_tokens == TOKENS + 3
    assert m.tpot == pytest.approx((m.e2e - m.ttft) / (TOKENS + 2))
    assert len(m.itl) == TOKENS - 1  # ITL is what we saw, whatever the server says it sent
