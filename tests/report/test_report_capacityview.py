"""The capacity search's section and plots in load.html, from a synthetic curve."""

from __future__ import annotations

from typing import Any

from h2oharness.capacity import RateResult, Search, WindowResult, answer, bound_by, capacity_of
from h2oharness.report.capacityview import capacity_plots, xy_plot
from h2oharness.report.loadsummary import LoadSummary
from h2oharness.report.writers import render_load_html

TTFT = "STREAM h2ogpte jsonl time to first token"


def _window(rate: float, index: int, achieved: float, ttft: float, broken: tuple[str, ...] = ()) -> WindowResult:
    return WindowResult(rate, index, rate, rate, achieved, 0, 0, 0.0, 1.0, 2.0, {TTFT: ttft}, broken)


def _capacity(search: Search, rates: list[RateResult]) -> dict[str, Any]:
    """The capacity section a search of ``rates`` writes (the capacity: the highest that passed)."""
    return {
        "capacity_rate": capacity_of(rates),
        "bound_by": bound_by(search, rates),
        "answer": answer(search, rates),
        "rule": search.rule,
        "stopped": "",
        "search": {"min_rate": 2, "max_rate": 8, "factor": 2, "resolution": 0.1, "max_dispatch_delay_ms": 50},
        "rates": [r.to_dict() for r in rates],
        "curve": [w.to_dict() for r in rates for w in r.windows],
    }


def test_the_curve_becomes_two_plots_and_a_table() -> None:
    search = Search(min_rate=2, max_rate=8, windows=2)
    rates = [
        RateResult(2, (_window(2, 0, 2, 100), _window(2, 1, 2, 110)), True),
        RateResult(4, (_window(4, 0, 3, 400, ("x <= 1",)), _window(4, 1, 2.5, 900, ("x <= 1",))), False),
    ]
    capacity = _capacity(search, rates)
    del capacity["bound_by"]
    load = LoadSummary("h2ogpte.streaming", {"kind": "mock", "url": "u"}, {}, (), (), capacity=capacity)
    achieved, latency = capacity_plots(load)
    assert [line.label for line in achieved.lines] == [
        "offered (what an unsaturated server achieves)",
        "achieved: arrivals done per s",
        "sent: arrivals sent per s",
    ]
    assert len(achieved.lines[1].dots) == 2  # one point per rate: the mean of its windows
    assert [line.label for line in latency.lines] == [f"{TTFT} p95", "dispatch delay p99"]
    html = render_load_html(load)
    assert html.count("<svg") == 2
    assert "capacity: 2 arrivals/s (highest rate meeting SLOs in 2/2 windows; 4 arrivals/s failed" in html
    assert html.count('<td class="num">4</td><td class="num">') == 2  # a row per window of the failed rate
    assert capacity_plots(LoadSummary("p", {}, {}, (), ())) == []
    assert xy_plot("t", {"a": []}, "x", "y", "c") is None


def test_a_bound_the_generator_set_is_shown_as_a_lower_bound() -> None:
    search = Search(min_rate=2, max_rate=8, windows=1)
    late = "dispatch delay p99_ms <= 50 (the load generator kept its schedule)"
    rates = [
        RateResult(2, (_window(2, 0, 2, 100),), True),
        RateResult(4, (_window(4, 0, 4, 100, (late,)),), False, by_generator=True),
    ]
    capacity = _capacity(search, rates)
    html = render_load_html(LoadSummary("h2o3.polling", {"kind": "mock", "url": "u"}, {}, (), (), capacity=capacity))
    assert "lower bound: the load generator failed first" in html
    assert "failed</span> by the load generator" in html
    assert "capacity: at least 2 arrivals/s" in html
    # a report written before the search named its bound still renders
    del capacity["bound_by"]
    for rate in capacity["rates"]:
        del rate["failed_by"]
    html = render_load_html(LoadSummary("h2o3.polling", {"kind": "mock", "url": "u"}, {}, (), (), capacity=capacity))
    assert "lower bound" not in html
    assert "by the load generator" not in html
