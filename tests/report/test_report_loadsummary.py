"""The load summary: percentiles from Locust's histograms, SLO rules and verdicts, history, JSON and HTML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from h2oharness.errors import ConfigError
from h2oharness.report.loadsummary import (
    EntryStats,
    LoadSummary,
    Outcomes,
    Rule,
    entries_from_locust,
    histogram_percentile,
    judge,
    load_slos,
    merge_rules,
    outcome_errors,
    parse_override,
    read_history,
    stats_csv,
    totals_of,
)
from h2oharness.report.writers import load_plots, nice_ticks, render_load_html


def test_histogram_percentile_is_nearest_rank() -> None:
    hist = {"10": 90, "100": 9, "1000": 1}
    assert histogram_percentile(hist, 50) == 10
    assert histogram_percentile(hist, 90) == 10
    assert histogram_percentile(hist, 95) == 100
    assert histogram_percentile(hist, 99) == 100
    assert histogram_percentile(hist, 100) == 1000
    assert histogram_percentile({}, 95) == 0.0


def _entry(name: str = "h2o3 parse submit-to-done", kind: str = "JOB", **kw: float) -> dict[str, object]:
    return {
        "method": kind,
        "name": name,
        "num_requests": kw.get("n", 10),
        "num_failures": kw.get("fails", 0),
        "response_times": {"100": 8, "900": 2},
        "max_response_time": 905.0,
        "total_response_time": 2600.0,
        "start_time": 1000.0,
        "last_request_timestamp": 1005.0,
    }


def test_entries_from_locust_figures() -> None:
    (entry,) = entries_from_locust([_entry(fails=1)])
    assert entry.key == "JOB h2o3 parse submit-to-done"
    assert (entry.p50, entry.p90, entry.p95, entry.max) == (100, 900, 900, 905)
    assert entry.mean == pytest.approx(260.0)
    assert entry.rps == pytest.approx(2.0)
    assert entry.failure_ratio == pytest.approx(0.1)


def test_rates_are_over_the_run_not_each_entrys_own_span() -> None:
    # 100 polls over 10 s, then 3 cleanups in its last 0.1 s: Locust's rate for them is 0.3/s, not 30/s
    polls = {**_entry("/3/Jobs/{job_id}", "GET", n=100), "start_time": 1000.0, "last_request_timestamp": 1010.0}
    cleanup = {**_entry("/3/Frames/{frame_id}", "DELETE", n=3), "start_time": 1009.9, "last_request_timestamp": 1010.0}
    entries = {e.name: e for e in entries_from_locust([polls, cleanup])}
    assert entries["/3/Frames/{frame_id}"].rps == pytest.approx(0.3)
    assert totals_of(entries.values()).rps == pytest.approx(10.3)
    rows = {r["Name"]: r for r in csv.DictReader(io.StringIO(stats_csv([polls, cleanup])))}
    assert float(rows["/3/Frames/{frame_id}"]["Requests/s"]) == pytest.approx(0.3)
    assert float(rows["Aggregated"]["Requests/s"]) == pytest.approx(10.3)


def test_judge_reads_each_limit_in_its_direction() -> None:
    entries = entries_from_locust([_entry(fails=1), _entry("/3/Jobs/{job_id}", "GET", n=90)])
    rules = [
        Rule("p95_ms", 1000, "JOB h2o3 parse submit-to-done"),
        Rule("p50_ms", 50, "JOB h2o3 parse submit-to-done"),
        Rule("failure_ratio", 0.005),
        Rule("min_requests", 11, "JOB h2o3 parse submit-to-done"),
        Rule("p95_ms", 10, "JOB never recorded"),
    ]
    verdicts = judge(rules, entries)
    assert [v.ok for v in verdicts] == [True, False, False, False, False]
    assert verdicts[2].observed == pytest.approx(1 / 10)  # 1 job of 10 failed; none of the 90 polls did
    assert verdicts[2].note == "requests 0/90 failed, jobs and streams 1/10"
    assert verdicts[4].observed is None
    assert "no entry" in verdicts[4].note


def test_the_run_wide_failure_ratio_counts_streams_and_jobs_once_each_not_their_figures() -> None:
    # 20 streams of 200 tokens, 2 cut off: Locust holds 3,800 ITL samples and 20 TTFTs, none of which fails
    entries = entries_from_locust(
        [
            _entry("h2ogpte sse stream", "STREAM", n=20, fails=2),
            _entry("h2ogpte sse ITL", "STREAM", n=3800),
            _entry("h2ogpte sse time to first token", "STREAM", n=20),
            _entry("h2ogpte sse output tokens", "STREAM", n=20),
            _entry("/api/v1/chats/{id}/completions", "POST", n=20),
            _entry("h2o3 parse submitted", "JOB", n=30),
            _entry("h2o3 parse submit-to-done", "JOB", n=30, fails=0),
            _entry("h2o3 parse polls per job", "JOB", n=30),
            _entry("/3/Jobs/{job_id}", "GET", n=60, fails=3),
        ]
    )
    ratio, requests, rate = judge([Rule("failure_ratio", 0.03), Rule("min_requests", 81), Rule("min_rps", 17)], entries)
    assert (ratio.ok, ratio.observed) == (False, pytest.approx(2 / 50))  # worse than the requests' 3/80
    assert ratio.note == "requests 3/80 failed, jobs and streams 2/50"
    assert (requests.ok, requests.observed) == (False, 80)  # the requests: not the ITL samples nor the markers
    assert rate.observed == pytest.approx(16.0)
    totals = LoadSummary("p", {}, {}, tuple(entries), ()).totals
    assert (totals.requests, totals.failures, totals.measurements, totals.measurement_failures) == (80, 3, 50, 2)


def test_refused_submissions_are_counted_apart_from_failed_jobs_and_count_against_the_failure_ratio() -> None:
    # 10 parses tried: 6 submitted (1 of them ended FAILED), 4 refused with an HTTP 429 on their POST
    entries = entries_from_locust(
        [
            _entry("/3/Parse", "POST", n=10, fails=4),
            _entry("/3/Jobs/{job_id}", "GET", n=90),
            _entry("h2o3 parse submitted", "JOB", n=6),
            _entry("h2o3 parse submit-to-done", "JOB", n=6, fails=1),
            _entry("h2o3 parse refused", "JOB", n=4, fails=4),
        ]
    )
    summary = LoadSummary("h2o3.polling", {"kind": "mock", "url": "u"}, {}, tuple(entries), ())
    totals = summary.totals
    assert (totals.measurements, totals.measurement_failures, totals.refused) == (6, 1, 4)
    # the user's submission failed all the same: 5 of the 10 jobs tried did not end well
    (ratio,) = judge([Rule("failure_ratio", 0.1)], entries)
    assert (ratio.ok, ratio.observed) == (False, pytest.approx(5 / 10))
    assert ratio.note == "requests 4/100 failed, jobs and streams 1/6, 4 job submissions refused"
    assert "1 failed job/stream measurement, 4 job submissions refused" in summary.summary
    assert summary.to_dict()["totals"]["refused"] == 4
    assert summary.to_dict()["totals"]["measurement_failures"] == 1
    # a count, not a latency: drawn and diffed as none
    assert not next(e for e in entries if e.name == "h2o3 parse refused").is_latency


def test_a_latency_limit_on_an_entry_whose_every_request_failed_is_broken() -> None:
    # every parse reset at once: Locust still times the failures, and their p95 (900 ms) is under the limit
    entries = entries_from_locust([_entry(fails=10), _entry("/3/Jobs/{job_id}", "GET", n=4, fails=1)])
    rules = [
        Rule("p95_ms", 5000, "JOB h2o3 parse submit-to-done"),
        Rule("max_ms", 5000, "JOB h2o3 parse submit-to-done"),
        Rule("p95_ms", 5000, "GET /3/Jobs/{job_id}"),
    ]
    failed, worst, some = judge(rules, entries)
    assert (failed.ok, failed.observed) == (False, None)
    assert "every one of its 10 requests failed" in failed.note
    assert not worst.ok
    assert (some.ok, some.observed) == (True, 900)  # one failure among four: still judged on its figures


def test_with_the_harness_record_latency_is_that_of_the_successes_and_the_failures_time_is_apart(
    tmp_path: Path,
) -> None:
    # 6 of 10 parses reset in 5 ms, 4 took 300-340 ms: Locust's p50 and p95 (100, 900 in _entry) are not theirs
    worker = Outcomes()
    for ms in (5.0, 5.0, 6.0):
        worker.add("JOB h2o3 parse submit-to-done", ms, failed=True)
    worker.add("JOB h2o3 parse submit-to-done", 300.0, failed=False)
    worker.write(tmp_path, 1)
    other = Outcomes()
    for ms in (5.0, 5.0, 1234.0):
        other.add("JOB h2o3 parse submit-to-done", ms, failed=True)
    for ms in (310.0, 320.0, 341.0):
        other.add("JOB h2o3 parse submit-to-done", ms, failed=False)
    other.write(tmp_path, 2)
    outcomes = Outcomes.read(tmp_path)  # the workers' records, merged
    (entry,) = entries_from_locust([_entry(fails=6)], outcomes)
    assert (entry.requests, entry.failures) == (10, 6)  # Locust's counts stay
    assert (entry.p50, entry.p95, entry.max) == (310, 340, 341)
    assert entry.mean == pytest.approx((300 + 310 + 320 + 341) / 4)
    assert (entry.failed_p50, entry.failed_p95, entry.failed_max) == (5, 1200, 1234)
    assert outcome_errors([entry], outcomes) == []
    (verdict,) = judge([Rule("p95_ms", 200, "JOB h2o3 parse submit-to-done")], [entry])
    assert (verdict.ok, verdict.observed) == (False, 340)  # the fast resets no longer meet it
    # a record that does not count what Locust counted is an error of the run, not a quiet subset
    (short,) = entries_from_locust([_entry(n=11, fails=6)], outcomes)
    (error,) = outcome_errors([short], outcomes)
    assert "Locust counted 11 requests (6 failed), the harness timed 10 (6 failed)" in error


def test_overrides_replace_the_file_rule_on_the_same_entry_and_limit() -> None:
    base = [Rule("p95_ms", 5000, "JOB a"), Rule("failure_ratio", 0.01)]
    merged = merge_rules(base, [parse_override("JOB a:p95_ms=300"), parse_override("min_rps=2")])
    assert Rule("p95_ms", 300, "JOB a") in merged
    assert Rule("p95_ms", 5000, "JOB a") not in merged
    assert Rule("min_rps", 2) in merged
    assert Rule("failure_ratio", 0.01) in merged


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("p95_ms", r"\[ENTRY:\]LIMIT=VALUE"),
        ("JOB a:p95_ms=fast", "not a number"),
        ("JOB a:p42=1", "limits must be"),
        # before, these were refused (or judged never met) only after the whole load run
        ("p95_ms=500", "p95_ms is a latency limit: it needs an entry"),
        (":p95_ms=500", "p95_ms is a latency limit: it needs an entry"),
        ("failure_ratio=nan", "failure_ratio must be a number of 0 or more, got nan"),
        ("JOB a:p95_ms=-5", "p95_ms must be a number of 0 or more, got -5"),
        # before, accepted: 2 % written as failure_ratio=2 was an SLO no run could break, min_rps=inf one none met
        ("failure_ratio=2", r"failure_ratio is a share from 0 to 1 \(0.02 is 2 %\), got 2"),
        ("min_rps=inf", "min_rps must be finite, got inf"),
        ("JOB a:p95_ms=1e400", "p95_ms must be finite, got inf"),
    ],
)
def test_bad_overrides_are_config_errors(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_override(text)


def test_load_slos_reads_a_profile_and_rejects_malformed_files(tmp_path: Path) -> None:
    path = tmp_path / "x.slo.yaml"
    path.write_text("polling:\n  - entry: JOB a\n    p95_ms: 10\n  - failure_ratio: 0.01\n")
    assert load_slos(path, "polling") == [Rule("p95_ms", 10, "JOB a"), Rule("failure_ratio", 0.01)]
    assert load_slos(path, "mixed") == []
    path.write_text("polling:\n  - p95_ms: fast\n")
    with pytest.raises(ConfigError, match="must be a number"):
        load_slos(path, "polling")
    path.write_text("polling: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_slos(path, "polling")
    # two rules on one figure of one entry: the later replaced the earlier without a word
    path.write_text(
        "polling:\n  - entry: JOB a\n    p95_ms: 10\n  - failure_ratio: 0.01\n  - entry: JOB a\n    p95_ms: 20\n"
    )
    with pytest.raises(ConfigError) as refused:
        load_slos(path, "polling")
    assert str(refused.value) == f"{path}: polling: JOB a:p95_ms is given twice (10 and 20): give one"


def test_an_slo_file_that_is_not_text_is_one_line(tmp_path: Path) -> None:
    # read as UTF-8 unguarded: `load --suite-dir` with such a file ended in a UnicodeDecodeError traceback
    path = tmp_path / "x.slo.yaml"
    path.write_bytes(b"\xff\xfe\x00polling: []")
    with pytest.raises(ConfigError, match=r"x\.slo\.yaml: not valid YAML \(not UTF-8 text\)$"):
        load_slos(path, "polling")


_HISTORY = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,95%,Total Request Count,Total Average Response Time\n"
)


def test_history_series_hold_each_seconds_own_requests_and_mean_from_the_running_totals(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    rows = [
        "100,2,GET,/x,5,0,N/A,N/A,4,10.0",  # 4 requests, 40 ms in all
        "101,4,GET,/x,6,0,0,0,10,20.0",  # 6 more, 200 - 40 = 160 ms: 26.67 ms each
        "102,4,GET,/x,6,0,12,30,10,20.0",  # none that second
        "101,4,,Aggregated,9,0,1,1,99,1.0",
        "101,4,JOB,j submitted,9,0,0,0,3,0",
    ]
    history.write_text(_HISTORY + "\n".join(rows) + "\n")
    series = read_history(history, ["GET /x", "JOB j submitted"])
    assert set(series) == {"GET /x"}  # a count marker has no latency series
    points = series["GET /x"]
    assert [(p.t, p.users, p.count) for p in points] == [(0.0, 2, 4), (1.0, 4, 6), (2.0, 4, 0)]
    assert [round(p.mean, 2) for p in points] == [10.0, 26.67, 0.0]
    assert [p.p95 for p in points] == [0.0, 0.0, 30.0]  # Locust's windowed p95 reads 0 until it has a window


def test_plot_draws_latency_on_ticked_axes_and_never_a_series_of_zeros() -> None:
    from h2oharness.report.loadsummary import SeriesPoint

    timed = [
        SeriesPoint(0.0, 2, 0, 0, 1, 20.0, 4),
        SeriesPoint(1.0, 2, 0, 0, 1, 0.0, 0),
        SeriesPoint(9.0, 2, 0, 0, 1, 37.0, 2),
    ]
    zeros = [SeriesPoint(float(t), 2, 0, 0, 1, 0.0, 5) for t in range(10)]
    counts = [SeriesPoint(float(t), 2, 0, 0, 1, 3.0, 5) for t in range(10)]
    series = {"GET /x": timed, "JOB j submitted": zeros, "JOB j polls per job": counts, "GET /idle": []}
    summary = LoadSummary("h2o3.polling", {"kind": "mock", "url": "http://127.0.0.1:1"}, {}, (), (), series)
    (plot,) = load_plots(summary, width=400, height=200)
    (line,) = plot.lines
    assert line.label == "GET /x"
    assert (plot.x_label, plot.y_label) == ("time (s)", "latency (ms)")
    assert [t.label for t in plot.x_ticks] == ["0", "2", "4", "6", "8", "10"]
    assert [t.label for t in plot.y_ticks] == ["0", "10", "20", "30", "40"]
    # the second without requests is a gap, not a 0; 0 s at the left axis, 40 ms (the top tick) at the top
    assert len(line.dots) == 2
    assert line.dots[0] == (plot.left, plot.bottom - (plot.bottom - plot.top) / 2)
    assert line.dots[1][0] == plot.left + 0.9 * (plot.right - plot.left)
    assert plot.y_ticks[-1].at == plot.top
    assert plot.x_ticks[0].at == plot.left
    page = render_load_html(summary)
    assert page.count("<polyline") == 1
    assert ">latency (ms)</text>" in page
    assert ">time (s)</text>" in page
    nothing = LoadSummary("p", {"kind": "mock", "url": "u"}, {}, (), (), {"JOB j submitted": zeros})
    assert load_plots(nothing) == []


def test_nice_ticks_cover_the_highest_value_in_round_steps() -> None:
    assert nice_ticks(37) == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert nice_ticks(3) == [0.0, 1.0, 2.0, 3.0]
    assert nice_ticks(0.42) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert nice_ticks(5000) == [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
    assert nice_ticks(0) == [0.0, 1.0]
    for high in (0.7, 9, 11, 99, 101, 4321):
        ticks = nice_ticks(high)
        assert ticks[-1] >= high
        assert len(ticks) <= 7


def _locust_entry(method: str, name: str, times: dict[str, int], failures: int = 0) -> dict[str, object]:
    n = sum(times.values())
    return {
        "method": method, "name": name, "num_requests": n, "num_failures": failures, "num_none_requests": 0,
        "total_response_time": sum(float(k) * v for k, v in times.items()), "min_response_time": min(map(float, times)),
        "max_response_time": max(map(float, times)), "total_content_length": 100 * n, "response_times": times,
        "start_time": 1000.0, "last_request_timestamp": 1010.0, "num_reqs_per_sec": {}, "num_fail_per_sec": {},
    }  # fmt: skip


def test_stats_csv_has_locusts_columns_and_the_final_figures_with_an_aggregated_row() -> None:
    raw = [
        _locust_entry("JOB", "j submit-to-done", {"400": 3, "900": 1}),
        _locust_entry("GET", "/x", {"3": 90, "7": 9, "50": 1}, failures=2),
    ]
    rows = list(csv.DictReader(io.StringIO(stats_csv(raw))))
    header = stats_csv(raw).splitlines()[0]
    assert header.startswith("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time")
    assert header.endswith("99%,99.9%,99.99%,100%")
    assert [(r["Type"], r["Name"], r["Request Count"], r["Failure Count"]) for r in rows] == [
        ("GET", "/x", "100", "2"),
        ("JOB", "j submit-to-done", "4", "0"),
        ("", "Aggregated", "104", "2"),
    ]
    by_name = {r["Name"]: r for r in rows}
    entries = {e.name: e for e in entries_from_locust(raw)}
    for name in ("/x", "j submit-to-done"):  # the same figures as load.json's
        assert float(by_name[name]["95%"]) == entries[name].p95
        assert float(by_name[name]["Requests/s"]) == pytest.approx(entries[name].rps)
    assert by_name["/x"]["Median Response Time"] == "3"
    assert by_name["Aggregated"]["100%"] == "900"
    assert float(by_name["Aggregated"]["Requests/s"]) == pytest.approx(10.4)


def test_summary_names_the_broken_slo_and_json_round_trips() -> None:
    entry = EntryStats("JOB", "a", 4, 0, 100, 200, 300, 400, 500, 150, 1.0)
    verdicts = tuple(judge([Rule("p95_ms", 250, "JOB a")], [entry]))
    summary = LoadSummary("h2o3.polling", {"kind": "mock", "url": "u"}, {"users": 2}, (entry,), verdicts)
    assert not summary.passed
    assert "SLO broken: JOB a p95_ms <= 250 (observed 300)" in summary.summary
    data = json.loads(summary.to_json())
    assert data["passed"] is False
    assert data["entries"][0]["key"] == "JOB a"
    assert "SLO broken" in render_load_html(summary)


def test_html_is_redacted() -> None:
    entry = EntryStats("GET", "/s3cr3t-token/x", 1, 0, 1, 1, 1, 1, 1, 1, 1)
    summary = LoadSummary("p", {"kind": "live", "url": "http://h"}, {}, (entry,), ())
    assert "s3cr3t-token" not in render_load_html(summary, ["s3cr3t-token"])


def _stream_entry(suffix: str, n: int, p50: float, mean: float, *, rps: float = 2.0, mx: float = 0.0) -> EntryStats:
    return EntryStats("STREAM", f"h2ogpte sse{suffix}", n, 0, p50, p50, p50, p50, mx or p50, mean, rps)


def test_streams_get_the_fields_metrics_with_their_definitions() -> None:
    entries = (
        _stream_entry(" stream", 10, 300, 310),
        _stream_entry(" time to first token", 10, 100, 101),
        _stream_entry(" ITL", 190, 10, 10.2),
        _stream_entry(" TPOT", 10, 10.5, 10.6),
        _stream_entry(" output tokens", 10, 20, 20.0, rps=2.0),
        _stream_entry(" output tokens per second", 10, 66, 65.0),
        _stream_entry(" usage mismatch", 10, 0, 0.3, mx=3),
        _stream_entry(" stalls", 10, 0, 0.0),
    )
    summary = LoadSummary("h2ogpte.streaming", {"kind": "mock", "url": "u"}, {}, entries, ())
    (figures,) = summary.streams
    assert figures.name == "h2ogpte sse"
    assert [m.metric for m in figures.metrics] == [
        "TTFT", "ITL", "TPOT", "E2E", "output tokens", "output tokens/s", "usage mismatch"
    ]  # fmt: skip
    # 10 streams of 20 tokens, recorded at 2 a second and no run time known: 200 tokens over 5 s
    assert figures.aggregate_tokens_per_second == pytest.approx(40.0)
    timed = LoadSummary("h2ogpte.streaming", {"kind": "mock", "url": "u"}, {"run_time": 8.0}, entries, ())
    assert timed.streams[0].aggregate_tokens_per_second == pytest.approx(25.0)  # 200 tokens over the 8 s run
    assert (figures.usage_compared, figures.usage_disagreed_max) == (10, 3)
    assert "stream h2ogpte sse: 10 streams, TTFT p50 100 ms, ITL p50 10 ms, TPOT p50 10.5 ms" in summary.summary
    data = json.loads(summary.to_json())
    assert data["streams"][0]["aggregate_tokens_per_second"] == pytest.approx(40.0)
    assert "first token's wait (TTFT) excluded" in data["stream_definitions"]["ITL"]
    html = render_load_html(summary)
    assert "TPOT" in html
    assert "(E2E - TTFT) / (output tokens - 1)" in html
    assert "largest mismatch 3 tokens" in html


def test_failed_streams_are_said_and_not_counted_in_the_successful_streams_figures() -> None:
    # 26 streams, 17 of them cut off by a server that went away: E2E's p50 is the 9 whole streams'
    whole = EntryStats("STREAM", "h2ogpte jsonl stream", 26, 17, 40, 50, 60, 64, 64, 45, 2.6)
    ttft = EntryStats("STREAM", "h2ogpte jsonl time to first token", 9, 0, 15, 20, 30, 36, 36, 18, 0.9)
    summary = LoadSummary("h2ogpte.mixed", {"kind": "live", "url": "u"}, {}, (whole, ttft), ())
    (figures,) = summary.streams
    assert {m.metric: m.count for m in figures.metrics} == {"TTFT": 9, "E2E": 9}
    assert "stream h2ogpte jsonl: 26 streams, 17 failed, TTFT p50 15 ms" in summary.summary
    assert json.loads(summary.to_json())["streams"][0]["failures"] == 17
    every = EntryStats("STREAM", "h2ogpte jsonl stream", 4, 4, 0, 0, 0, 0, 0, 0, 0.4)
    (none_whole,) = LoadSummary("h2ogpte.mixed", {"kind": "live", "url": "u"}, {}, (every,), ()).streams
    assert none_whole.metrics == ()  # nothing timed: "E2E n/a", not a p50 of 0 ms over 4 streams
    assert ", E2E n/a, output tokens n/a, 0 output tokens/s" in none_whole.line  # was "output tokens n/a tokens"
    one = EntryStats("STREAM", "h2ogpte jsonl stream", 1, 0, 40, 40, 40, 40, 40, 40, 0.1)
    tokens = EntryStats("STREAM", "h2ogpte jsonl output tokens", 1, 0, 20, 20, 20, 20, 20, 20, 0.1)
    (single,) = LoadSummary("h2ogpte.mixed", {"kind": "live", "url": "u"}, {}, (one, tokens), ()).streams
    assert single.line.startswith("  stream h2ogpte jsonl: 1 stream, TTFT n/a")  # was "1 streams"
    assert ", output tokens p50 20, " in single.line


def test_jobs_unfinished_at_the_stop_are_said_in_the_summary_and_the_missing_entrys_verdict() -> None:
    # a stuck parse: 2 submitted, none ended within the run, so no submit-to-done at all
    submitted = EntryStats("JOB", "h2o3 parse submitted", 2, 0, *[0.0] * 6, 0.1)
    unfinished = EntryStats("JOB", "h2o3 parse unfinished at stop", 2, 0, 15000, 15000, 15000, 15000, 18240, 16000, 0.1)
    verdicts = tuple(judge([Rule("p95_ms", 5000, "JOB h2o3 parse submit-to-done")], [submitted, unfinished]))
    assert not verdicts[0].ok
    assert verdicts[0].note == (
        "the run recorded no entry 'JOB h2o3 parse submit-to-done': "
        "2 jobs submitted had not ended when the run stopped, the longest after 18.2 s"
    )
    summary = LoadSummary("h2o3.polling", {"kind": "live", "url": "u"}, {}, (submitted, unfinished), verdicts)
    assert "  JOB h2o3 parse: 2 jobs submitted had not ended when the run stopped, the longest after 18.2 s" in (
        summary.summary.splitlines()
    )
    assert summary.totals.measurements == 0  # neither done nor failed


def test_a_run_without_streams_has_no_stream_section() -> None:
    summary = LoadSummary(
        "h2o3.polling", {"kind": "mock", "url": "u"}, {}, (EntryStats("JOB", "a", 1, 0, *[1.0] * 6, 1.0),), ()
    )
    assert summary.streams == []
    assert json.loads(summary.to_json())["stream_definitions"] == {}
    assert "Streams (the field" not in render_load_html(summary)


def test_a_verdict_on_jobs_that_ended_says_those_still_running_and_a_max_counts_their_age() -> None:
    # 20 parses ended within 1 s, 2 were still running at the stop after 15 and 18 s: the finished ones' p95 is met,
    # and said beside them; a max_ms limit of 5 s was surely broken by the ones still running
    done = EntryStats("JOB", "h2o3 parse submit-to-done", 20, 0, 800, 900, 950, 990, 1000, 850, 2.0)
    unfinished = EntryStats("JOB", "h2o3 parse unfinished at stop", 2, 0, 15000, 15000, 15000, 15000, 18240, 16000, 0.1)
    rules = [Rule("p95_ms", 5000, done.key), Rule("max_ms", 5000, done.key), Rule("max_ms", 20000, done.key)]
    p95, max5, max20 = judge(rules, [done, unfinished])
    still = "2 jobs submitted had not ended when the run stopped, the longest after 18.2 s"
    assert (p95.ok, p95.observed, p95.note) == (True, 950, still)
    assert (max5.ok, max5.observed, max5.note) == (False, 18240, still)
    assert (max20.ok, max20.observed) == (True, 18240)
    (alone,) = judge([Rule("max_ms", 5000, done.key)], [done])
    assert (alone.ok, alone.observed, alone.note) == (True, 1000, "")


def test_a_refused_slo_rule_is_named_by_its_number_from_one_or_by_its_option(tmp_path: Path) -> None:
    """The first rule of a file was called "rule 0", and every --slo "--slo: rule 0", whichever it was."""
    path = tmp_path / "x.slo.yaml"
    path.write_text("polling:\n  - failure_ratio: 0.01\n  - p95_ms: 1\n")
    with pytest.raises(ConfigError, match=r"x\.slo\.yaml: polling: rule 2: p95_ms is a latency limit"):
        load_slos(path, "polling")
    with pytest.raises(ConfigError, match=r"^--slo 'nope=1': limits must be among .*, got nope$"):
        parse_override("nope=1")
