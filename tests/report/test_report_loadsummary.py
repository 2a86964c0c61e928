"""The load summary: percentiles from Locust's histograms, SLO rules and verdicts, history, JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from h2oharness.errors import ConfigError
from h2oharness.report.loadsummary import (
    EntryStats,
    LoadSummary,
    Rule,
    entries_from_locust,
    histogram_percentile,
    judge,
    load_slos,
    merge_rules,
    parse_override,
    read_history,
)
from h2oharness.report.writers import load_plots, render_load_html


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
    assert verdicts[2].observed == pytest.approx(1 / 100)
    assert verdicts[4].observed is None
    assert "no entry" in verdicts[4].note


def test_overrides_replace_the_file_rule_on_the_same_entry_and_limit() -> None:
    base = [Rule("p95_ms", 5000, "JOB a"), Rule("failure_ratio", 0.01)]
    merged = merge_rules(base, [parse_override("JOB a:p95_ms=300"), parse_override("min_rps=2")])
    assert Rule("p95_ms", 300, "JOB a") in merged
    assert Rule("p95_ms", 5000, "JOB a") not in merged
    assert Rule("min_rps", 2) in merged
    assert Rule("failure_ratio", 0.01) in merged


@pytest.mark.parametrize(
    ("text", "needle"),
    [("p95_ms", r"\[ENTRY:\]LIMIT=VALUE"), ("JOB a:p95_ms=fast", "not a number"), ("JOB a:p42=1", "limits must be")],
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


def test_history_series_and_plot(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    header = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%\n"
    rows = [
        "100,2,GET,/x,5,0,10,11,12,13,14,20",
        "101,4,GET,/x,6,0,10,11,12,13,14,40",
        "101,4,,Aggregated,9,0,1,1,1,1,1,1",
    ]
    history.write_text(header + "\n".join(rows) + "\n")
    series = read_history(history, ["GET /x"])
    assert [(p.t, p.users, p.p95) for p in series["GET /x"]] == [(0.0, 2, 20.0), (1.0, 4, 40.0)]
    summary = LoadSummary("h2o3.polling", {"kind": "mock", "url": "http://127.0.0.1:1"}, {}, (), (), series)
    (plot,) = load_plots(summary, width=100, height=60)
    (line,) = plot.lines
    first, last = line.points.split()
    # t 0 at the left edge, half the highest p95 half way up, the highest p95 at the top margin
    assert first == "10.0,30.0"
    assert last == "90.0,20.0"


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
