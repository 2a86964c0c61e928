"""The capacity search's decisions, from synthetic windows: no Locust, no clock."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from h2oharness.arrivals import Arrival, Recorder
from h2oharness.capacity import (
    RateResult,
    Search,
    WindowResult,
    answer,
    bound_by,
    capacity_of,
    early_stop,
    judge_rate,
    next_rate,
    saturation,
    window_results,
)
from h2oharness.errors import ConfigError
from h2oharness.loadrunner import find_profile
from h2oharness.report.loadsummary import Rule

ROOT = Path(__file__).resolve().parent.parent
TTFT = "STREAM h2ogpte jsonl time to first token"
LIMIT = 50.0


def window(rate: float, index: int = 0, **changes: object) -> WindowResult:
    """A healthy window at ``rate``: everything sent and done, short latency, no queue."""
    fields: dict[str, object] = {
        "rate": rate,
        "index": index,
        "offered": rate,
        "sent": rate,
        "achieved": rate,
        "in_flight_start": 1,
        "in_flight": 1,
        "failure_ratio": 0.0,
        "dispatch_p50_ms": 1.0,
        "dispatch_p99_ms": 3.0,
        "latency_p95_ms": {TTFT: 120.0},
        "broken": (),
    }
    fields.update(changes)
    return WindowResult(**fields)  # type: ignore[arg-type]


def measured(search: Search, passes: Callable[[float], bool]) -> list[float]:
    """Run the search against a server on which ``passes(rate)`` says whether a rate holds; the rates tried."""
    results: list[RateResult] = []
    while (rate := next_rate(search, results)) is not None:
        assert len(results) < 50, "the search did not end"
        results.append(RateResult(rate, (), passes(rate)))
    return [r.rate for r in results]


def test_steps_up_by_doubling_then_bisects_to_the_resolution() -> None:
    search = Search(min_rate=1, max_rate=64, resolution=0.1)
    tried = measured(search, lambda rate: rate <= 5.3)
    assert tried[:4] == [1, 2, 4, 8]  # doubling until 8 fails
    assert tried[4:] == [5.66, 4.76, 5.19]  # geometric means of the bracket [4, 8], [4, 5.66], [4.76, 5.66]
    results = [RateResult(r, (), r <= 5.3) for r in tried]
    assert capacity_of(results) == 5.19
    assert next_rate(search, results) is None  # 5.66 failed, within 10 % of 5.19


def test_never_leaves_the_rate_range() -> None:
    assert measured(Search(min_rate=2, max_rate=5), lambda rate: True) == [2, 4, 5]
    assert measured(Search(min_rate=2, max_rate=5), lambda rate: False) == [2]
    assert all(1 <= r <= 3 for r in measured(Search(min_rate=1, max_rate=3), lambda rate: rate < 2.5))


def test_when_the_lowest_rate_fails_the_answer_says_so() -> None:
    search = Search(min_rate=2, max_rate=8, windows=2)
    failed = judge_rate(2, [window(2, 0), window(2, 1, broken=("failure_ratio <= 0.01",))], search, LIMIT)
    assert not failed.passed
    assert next_rate(search, [failed]) is None
    assert capacity_of([failed]) is None
    line = answer(search, [failed])
    assert line.startswith("capacity: below 2 arrivals/s: even the lowest rate tried (--min-rate 2) failed its SLOs")
    assert "failure_ratio <= 0.01" in line


def test_the_answer_names_the_capacity_and_the_rate_above_it() -> None:
    search = Search(min_rate=1, max_rate=8, windows=1)
    results = [
        judge_rate(1, [window(1)], search, LIMIT),
        judge_rate(2, [window(2)], search, LIMIT),
        judge_rate(4, [window(4, broken=(f"{TTFT} p95_ms <= 1000",))], search, LIMIT),
    ]
    assert answer(search, results).startswith(
        "capacity: 2 arrivals/s (highest rate meeting SLOs in 1/1 windows; 4 arrivals/s failed: 0 of 1 windows passed"
    )
    top = [judge_rate(r, [window(r)], search, LIMIT) for r in (1, 2, 4, 8)]
    assert "--max-rate 8 reached" in answer(search, top)
    assert answer(search, top, "--max-time leaves 3 s").endswith("; search stopped early: --max-time leaves 3 s")


def test_confidence_all_windows_by_default_or_the_number_asked_for() -> None:
    windows = [window(4, 0), window(4, 1, broken=("x",)), window(4, 2)]
    assert not judge_rate(4, windows, Search(windows=3), LIMIT).passed
    assert judge_rate(4, windows, Search(windows=3, windows_to_pass=2), LIMIT).passed
    # a rate whose run ended before all its windows were measured does not pass on the ones it had
    assert not judge_rate(4, windows[:2], Search(windows=3, windows_to_pass=1), LIMIT).passed
    assert judge_rate(4, windows, Search(windows=3, windows_to_pass=2), LIMIT).note == (
        "2 of 3 windows passed, 2 needed"
    )


def test_an_overloaded_server_is_over_saturated_even_when_its_windows_pass_their_slos() -> None:
    # arrivals offered at 10/s, 6/s done, the queue growing: every SLO held (generous limits), still a fail
    windows = [
        window(10, 0, achieved=6.0, in_flight_start=2, in_flight=14),
        window(10, 1, achieved=6.0, in_flight_start=14, in_flight=26),
    ]
    reason = saturation(windows, LIMIT)
    assert reason == "achieved 6/s of 10/s offered while the arrivals in flight grew from 2 to 26"
    verdict = judge_rate(10, windows, Search(windows=2), LIMIT)
    assert not verdict.passed
    assert verdict.saturated == reason
    assert "over-saturated" in verdict.note


def test_a_stream_still_open_at_a_windows_end_is_not_a_queue() -> None:
    # few arrivals per window: one short window and one stream in flight at its end (seen on a busy machine)
    blip = [window(2, 0, achieved=1.2, in_flight_start=0, in_flight=1, seconds=5.0)]
    assert saturation(blip, LIMIT) == ""
    # the same shortfall with 3 of the 10 arrivals offered piling up is
    assert saturation([window(2, 0, achieved=1.2, in_flight_start=0, in_flight=3, seconds=5.0)], LIMIT).startswith(
        "achieved 1.2/s of 2/s offered"
    )


def test_latency_growing_with_the_queue_is_over_saturation() -> None:
    windows = [
        window(4, i, latency_p95_ms={TTFT: ms}, in_flight_start=q - 1, in_flight=q)
        for i, (ms, q) in enumerate(((100, 2), (180, 5), (260, 9)))
    ]
    assert saturation(windows, LIMIT).startswith(f"{TTFT} p95 grew every window (100 -> 260 ms)")
    # the same latencies without a queue building up are not
    flat = [window(4, i, latency_p95_ms={TTFT: ms}) for i, ms in enumerate((100, 180, 260))]
    assert saturation(flat, LIMIT) == ""


def test_a_generator_behind_its_schedule_is_over_saturation() -> None:
    windows = [window(8, 0), window(8, 1, dispatch_p99_ms=900.0)]
    assert saturation(windows, LIMIT).startswith("the load generator fell behind its schedule in window 2")
    assert saturation([window(8)], LIMIT) == ""
    # one late send among a few fails its window, not the rate's confidence rule; late in every window is a trend
    hiccup = [window(8, 0), window(8, 1, dispatch_p99_ms=60.0, broken=("dispatch delay p99_ms <= 50",))]
    assert saturation(hiccup, LIMIT) == ""
    assert judge_rate(8, hiccup, Search(windows=2, windows_to_pass=1), LIMIT).passed
    always = [window(8, i, dispatch_p99_ms=60.0) for i in range(2)]
    assert saturation(always, LIMIT).endswith("> 50 ms in every window): it needs more users (-u), workers or CPU")


LATE = f"dispatch delay p99_ms <= {LIMIT:g} (the load generator kept its schedule)"


def test_a_rate_failed_only_by_late_sends_bounds_the_generator_not_the_server() -> None:
    search = Search(min_rate=1, max_rate=16, windows=2)
    held = judge_rate(4, [window(4, 0), window(4, 1)], search, LIMIT)
    # one window late (a hiccup under 4x the limit): the rate fails, the server met every SLO
    late = judge_rate(8, [window(8, 0, dispatch_p99_ms=137.0, broken=(LATE,)), window(8, 1)], search, LIMIT)
    assert not late.passed
    assert late.by_generator
    assert late.to_dict()["failed_by"] == "generator"
    line = answer(search, [held, late])
    assert line.startswith(
        "capacity: at least 4 arrivals/s (highest rate meeting SLOs in 2/2 windows); the load generator, not the "
        "server, failed at 8 arrivals/s (1 of 2 windows passed, 2 needed): the server's capacity may be higher; "
        "add users (-u), --workers or CPU"
    ), line
    assert bound_by(search, [held, late]) == "generator"
    # a blown-up generator ends the run early: its empty windows after that are the generator's too
    blown = [
        window(8, 0, dispatch_p99_ms=900.0, broken=(LATE,)),
        window(8, 1, broken=("no arrival ended in the window",)),
    ]
    assert judge_rate(8, blown, search, LIMIT).by_generator
    # the lowest rate failing that way: no capacity is known, not "below"
    unknown = answer(search, [judge_rate(1, blown, search, LIMIT)])
    assert unknown.startswith("capacity: unknown: the load generator, not the server, failed at the lowest rate"), (
        unknown
    )


def test_a_rate_that_broke_an_slo_bounds_the_server_even_with_late_sends() -> None:
    search = Search(min_rate=1, max_rate=16, windows=2)
    held = judge_rate(4, [window(4, 0), window(4, 1)], search, LIMIT)
    # late sends under-count latency: a latency SLO broken beside them is the server's
    both = [window(8, 0, dispatch_p99_ms=137.0, broken=(LATE, f"{TTFT} p95_ms <= 1000")), window(8, 1)]
    assert not judge_rate(8, both, search, LIMIT).by_generator
    # an empty window with no generator trouble: the server ended nothing in it
    empty = [window(8, 0), window(8, 1, broken=("no arrival ended in the window",))]
    assert not judge_rate(8, empty, search, LIMIT).by_generator
    # a server falling behind while the generator was on time
    queue = [
        window(8, 0, achieved=4.0, in_flight_start=2, in_flight=14),
        window(8, 1, achieved=4.0, in_flight_start=14, in_flight=26),
    ]
    queued = judge_rate(8, queue, search, LIMIT)
    assert not queued.by_generator
    assert queued.to_dict()["failed_by"] == "server"
    assert answer(search, [held, queued]).startswith("capacity: 4 arrivals/s (highest rate")
    assert bound_by(search, [held, queued]) == "server"
    # a rule judged on the whole run that broke is the server's, however late the sends
    late_only = [window(8, 0, dispatch_p99_ms=137.0, broken=(LATE,)), window(8, 1)]
    assert not judge_rate(8, late_only, search, LIMIT, ["x min_rps >= 1"]).by_generator
    assert bound_by(search, [held]) == ""
    assert bound_by(Search(min_rate=1, max_rate=4, windows=2), [held]) == "max-rate"


def test_windows_are_judged_on_their_own_events() -> None:
    rec = Recorder(window=2.0, warmup=1.0)
    rec.begin(1000.0)
    # window 0 is [1001, 1003): two arrivals done, both fast; window 1 is [1003, 1005): one done, slow, late
    rec.arrive("a", 1001.0, 1001.001)
    rec.measured("a", TTFT, 100.0, False, 1001.2)
    rec.arrive("b", 1002.0, 1002.002)
    rec.measured("b", TTFT, 110.0, False, 1002.3)
    rec.arrive("a", 1003.5, 1004.0)
    rec.measured("a", TTFT, 2000.0, False, 1004.5)
    rules = [Rule("p95_ms", 1000.0, TTFT), Rule("p95_ms", 1000.0, "STREAM h2ogpte sse time to first token")]
    first, second = window_results(rec, rules, 1.0, Search(window=2, windows=2, warmup=1), LIMIT)
    assert (first.sent, first.achieved, first.latency_p95_ms, first.passed) == (1.0, 1.0, {TTFT: 110.0}, True)
    assert first.dispatch_p99_ms == pytest.approx(2.0)
    assert second.latency_p95_ms == {TTFT: 2000.0}
    assert second.broken == (
        f"{TTFT} p95_ms <= 1000",
        "dispatch delay p99_ms <= 50 (the load generator kept its schedule)",
    )
    assert second.dispatch_p99_ms == pytest.approx(500.0)


def test_a_window_s_latency_is_that_of_its_successful_requests() -> None:
    rec = Recorder(window=2.0)
    rec.begin(1000.0)
    # one slow success and twenty requests that failed at once: their 1 ms would be the p95, and meet the limit
    rec.arrive("a", 1000.0, 1000.001)
    rec.measured("a", "GET /x", 900.0, False, 1000.9)
    for i in range(20):
        rec.measured("a", "GET /x", 1.0, True, 1001.0 + i / 100)
    (only,) = window_results(rec, [Rule("p95_ms", 500.0, "GET /x")], 1.0, Search(window=2, windows=1, warmup=0), LIMIT)
    assert only.broken == ("GET /x p95_ms <= 500",)
    assert only.latency_p95_ms == {}  # not a curve entry (those are the TTFT and submit-to-done ones)
    assert only.failure_ratio == pytest.approx(20 / 21)


def test_a_window_in_which_nothing_ended_fails() -> None:
    rec = Recorder(window=1.0)
    rec.begin(0.0)
    rec.arrivals.append(Arrival(0.2, 0.2))  # sent, never done
    (only,) = window_results(rec, [], 1.0, Search(window=1, windows=1, warmup=0), LIMIT)
    assert only.broken == ("no arrival ended in the window",)
    assert (only.in_flight_start, only.in_flight) == (0, 1)


@pytest.mark.parametrize(
    "bad",
    [
        {"min_rate": 0},
        {"min_rate": 5, "max_rate": 2},
        {"window": 0.5},
        {"windows": 0},
        {"windows": 2, "windows_to_pass": 3},
        {"resolution": 0},
        # before, these two searched on until --max-time: no rate is ever past infinity, no gap within NaN of one
        {"max_rate": float("inf")},
        {"resolution": float("nan")},
        # before, a search that never bisected: a resolution of a whole step or more (5 meant as 5 %)
        {"resolution": 5},
        {"resolution": 1},
        # before, a search at 1e307 arrivals/s passed it: every arrival was due in the warm-up, so no window
        # judged a dispatch delay, and the unsent ones were counted there up to a million
        {"min_rate": 1e307, "max_rate": 1e308},
    ],
)
def test_impossible_bounds_are_config_errors(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        Search(**bad)  # type: ignore[arg-type]


def test_a_rate_resolution_is_a_share_below_one_step() -> None:
    with pytest.raises(
        ConfigError, match=r"^--rate-resolution is a share of a rate, above 0 and below 1 \(0.1 is 10 %"
    ):
        Search(resolution=5)
    assert Search(resolution=0.99).resolution == 0.99
    # the widest that still bisects: [4, 8] is tried at 5.66 before 8 is within it of 4
    assert measured(Search(min_rate=1, max_rate=64, resolution=0.99), lambda rate: rate <= 5.3)[4:] == [5.66]


def test_a_run_ends_early_once_its_complete_windows_are_over_saturated() -> None:
    rec = Recorder(window=1.0, warmup=0.0)
    rec.begin(0.0)
    rec.arrive("u", 0.1, 0.1, next_due=0.2, gap=0.1)  # one busy user, due every 0.1 s, never sends again
    rec.measured("u", TTFT, 100.0, False, 0.3)
    assert early_stop(rec, 0.5, 10.0, windows=3, limit_ms=LIMIT) == ""  # no complete window yet
    assert early_stop(rec, 1.01, 10.0, windows=3, limit_ms=LIMIT).startswith(
        "the load generator fell behind its schedule in window 1"
    )


def test_an_entrys_request_count_is_the_draw_of_tasks_not_a_windows_capacity() -> None:
    # h2ogpte.streaming's SLOs ask for a JSONL stream at least once; a window that drew only SSE streams failed it
    rec = Recorder(window=2.0)
    rec.begin(1000.0)
    rec.arrive("a", 1000.0, 1000.001)
    rec.measured("a", "STREAM h2ogpte sse time to first token", 100.0, False, 1000.5)
    rules = [
        Rule("min_requests", 1.0, "STREAM h2ogpte jsonl stream"),
        Rule("min_requests", 3.0, "STREAM h2ogpte sse time to first token"),
        Rule("p95_ms", 50.0, "STREAM h2ogpte sse time to first token"),
        Rule("min_requests", 2.0, None),
    ]
    (only,) = window_results(rec, rules, 1.0, Search(window=2, windows=1, warmup=0), LIMIT)
    # the latency and the run-wide count are judged; the two entries' counts are not
    assert only.broken == ("STREAM h2ogpte sse time to first token p95_ms <= 50", "min_requests >= 2")


def test_a_rate_that_broke_a_rule_judged_on_its_whole_run_fails_and_says_which() -> None:
    search = Search(windows=1)
    verdict = judge_rate(2, [window(2)], search, LIMIT, ["JOB a submitted min_requests >= 10"])
    assert not verdict.passed
    assert (
        verdict.note
        == "1 of 1 windows passed, 1 needed; broken on the rate's whole run: JOB a submitted min_requests >= 10"
    )
    assert judge_rate(2, [window(2)], search, LIMIT).passed


def test_a_search_stopped_by_a_signal_writes_the_rates_judged_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C in the second rate: each rate's folder was left, but no load.json or load.html had the curve
    from h2oharness import capacity, loadrunner
    from h2oharness.capacity import find_capacity
    from h2oharness.children import Stopped
    from h2oharness.report.loadsummary import EntryStats, LoadSummary

    tried: list[float] = []

    def execute(run: loadrunner.LoadRun) -> LoadSummary:
        assert run.arrival_rate is not None
        tried.append(run.arrival_rate)
        if len(tried) > 1:
            raise Stopped(signal.SIGINT, "the figures until then are in its folder")
        entry = EntryStats("GET", "/3/Frames", 5, 0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0)
        return LoadSummary(run.profile.name, {"kind": "mock", "url": "http://127.0.0.1:1"}, {}, (entry,), ())

    monkeypatch.setattr(loadrunner, "execute", execute)
    # the first rate holds: its windows are the subject of the tests above
    monkeypatch.setattr(capacity, "judge_rate", lambda rate, *_: RateResult(rate, (), True))
    run = loadrunner.LoadRun(find_profile("h2o3.polling", ROOT), report_dir=tmp_path, users=2)
    with pytest.raises(Stopped) as stopped:
        find_capacity(run, Search(min_rate=1, max_rate=4, window=1, windows=1, warmup=0))
    assert tried == [1, 2]
    assert stopped.value.signum == signal.SIGINT
    assert f"the search until then is in {tmp_path / 'load.html'}; capacity: " in str(stopped.value)
    report = json.loads((tmp_path / "load.json").read_text())
    assert [r["rate"] for r in report["capacity"]["rates"]] == [1]
    assert report["capacity"]["stopped"] == "stopped by SIGINT during the run at 2 arrivals/s"
    assert report["errors"] == [
        "stopped by SIGINT during the run at 2 arrivals/s: the search is the rates judged until then"
    ]
    assert report["passed"] is False
    assert "stopped by SIGINT during the run at 2 arrivals/s" in (tmp_path / "load.html").read_text()


def test_a_rate_whose_arrivals_a_run_cannot_count_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"^--max-rate 100000 for 35 s is more arrivals than the 1,000,000 a run can count"
    ):
        Search(max_rate=100_000)
    assert Search(max_rate=25_000).max_rate == 25_000
