"""The streaming metrics' definitions, on hand-made token times: TTFT, ITL, TPOT, E2E, output tokens and usage."""

from __future__ import annotations

from typing import Any

import pytest

from h2oharness.errors import HarnessError
from h2oharness.http.streammetrics import (
    DEFINITIONS,
    aggregate_tokens_per_second,
    measure,
    reported_output_tokens,
)


def test_ttft_is_the_first_token_and_itl_leaves_its_wait_out() -> None:
    m = measure([0.5, 0.6, 0.8, 0.9], e2e=1.0)
    assert m.ttft == 0.5
    assert m.itl == pytest.approx((0.1, 0.2, 0.1))  # three gaps for four tokens; the 0.5 s wait is none of them
    assert m.e2e == 1.0


def test_tpot_is_e2e_minus_ttft_over_the_tokens_after_the_first() -> None:
    m = measure([0.5, 0.6, 0.8, 0.9], e2e=1.1)
    assert m.output_tokens == 4
    assert m.tpot == pytest.approx((1.1 - 0.5) / 3)
    # unlike the mean ITL, TPOT counts the tail after the last token (the closing line, the usage chunk)
    assert m.tpot > sum(m.itl) / len(m.itl)


def test_the_servers_usage_is_the_output_count_and_the_difference_is_reported() -> None:
    m = measure([0.5, 0.6, 0.8, 0.9], e2e=1.1, reported_tokens=7)
    assert (m.output_tokens, m.counted_tokens, m.token_source, m.usage_mismatch) == (7, 4, "usage", 3)
    assert m.tpot == pytest.approx((1.1 - 0.5) / 6)
    assert m.tokens_per_second == pytest.approx(7 / 1.1)


def test_without_usage_the_count_is_ours_and_no_mismatch_is_claimed() -> None:
    m = measure([0.2, 0.3], e2e=0.4)
    assert (m.output_tokens, m.token_source, m.usage_mismatch) == (2, "counted", None)
    assert m.tokens_per_second == pytest.approx(5.0)


def test_one_token_has_no_tpot_and_no_itl_and_no_tokens_has_no_ttft() -> None:
    one = measure([0.2], e2e=0.3)
    assert (one.ttft, one.itl, one.tpot) == (0.2, (), None)
    none = measure([], e2e=0.3)
    assert (none.ttft, none.tpot, none.output_tokens, none.tokens_per_second) == (None, None, 0, 0.0)
    assert measure([], e2e=0.0).tokens_per_second == 0.0


@pytest.mark.parametrize(
    ("times", "e2e", "reported"), [([0.3, 0.2], 1.0, None), ([0.2, 0.3], 0.25, None), ([0.1], 1.0, -1)]
)
def test_impossible_inputs_are_refused(times: list[float], e2e: float, reported: int | None) -> None:
    with pytest.raises(HarnessError):
        measure(times, e2e, reported)


@pytest.mark.parametrize(
    ("data", "count"),
    [
        ({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 20, "total_tokens": 23}}, 20),
        ({"type": "response.completed", "response": {"usage": {"output_tokens": 9}}}, 9),
        ({"finished": True, "usage": {"output_tokens": 4}}, 4),
        ({"choices": [{"delta": {"content": "a"}}], "usage": None}, None),
        ({"usage": {"completion_tokens": True}}, None),
        ({"usage": {"completion_tokens": -2}}, None),
        ({"body": "x"}, None),
    ],
)
def test_reported_output_tokens_reads_the_usage_shapes(data: dict[str, Any], count: int | None) -> None:
    assert reported_output_tokens(data) == count


def test_aggregate_rate_and_definitions() -> None:
    assert aggregate_tokens_per_second(200, 4.0) == 50.0
    assert aggregate_tokens_per_second(200, 0.0) == 0.0
    assert {"TTFT", "ITL", "TPOT", "E2E", "output tokens", "output tokens/s", "usage mismatch"} <= set(DEFINITIONS)
    assert "first token's wait (TTFT) excluded" in DEFINITIONS["ITL"]
    d = measure([0.1, 0.2], 0.3, 2).to_dict()
    assert d["tpot"] == pytest.approx(0.2) and d["token_source"] == "usage"  # noqa: PT018
