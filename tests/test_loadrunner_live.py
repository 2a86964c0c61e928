"""Live figures while ``h2oharness load`` waits for Locust: its CSV as it is rewritten, a line every few seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from h2oharness.loadrunner import _LiveLines, _run_processes, live_entries, live_line, read_stats_csv
from h2oharness.report.loadsummary import Outcomes, Rule, keep_written

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)
ROWS = (
    "GET,/3/Jobs/{job_id},25,1,3,5.3,1.5,21.3,1098.8,12.5,0.0,3,5,7,7,13,15,21,21,21,21,21\n"
    "POST,/3/ParseSetup,6,0,5,76.3,2.6,265.1,1221.0,3.0,0.0,5,5,180,180,270,270,270,270,270,270,270\n"
    "JOB,h2o3 parse submit-to-done,6,0,230,327.9,217.6,536.9,0.0,3.0,0.0,230,230,530,530,540,540,540,540,540,540,540\n"
    ",Aggregated,37,1,3,54.1,0,536.9,2514.6,18.5,0.0,3,5,15,21,230,380,530,540,540,540,540\n"
)


def test_the_csv_gives_its_entries_without_the_aggregate(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(HEADER + ROWS)
    entries = read_stats_csv(path)
    assert [(e.key, e.requests, e.failures, e.p95) for e in entries] == [
        ("GET /3/Jobs/{job_id}", 25, 1, 15.0),
        ("POST /3/ParseSetup", 6, 0, 270.0),
        ("JOB h2o3 parse submit-to-done", 6, 0, 540.0),
    ]


@pytest.mark.parametrize(
    "content",
    [
        None,
        "",
        HEADER,
        HEADER + ROWS[:70],
        HEADER + "GET,/x,3,0,N/A,N/A,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A\n",
        "\x00\xff",
    ],
)
def test_a_missing_or_half_written_csv_gives_what_it_can(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "locust_stats.csv"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    assert read_stats_csv(path) == []
    assert live_line([], [Rule("failure_ratio", 0.01)], 5.2) == "[load 5 s] no figures from Locust yet"


def test_the_live_line_says_rate_failures_slowest_p95_and_the_slos_so_far(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(HEADER + ROWS)
    rules = [
        Rule("failure_ratio", 0.05),
        Rule("p95_ms", 500, "JOB h2o3 parse submit-to-done"),
        Rule("min_requests", 1, "JOB h2o3 gbm submitted"),
    ]
    assert live_line(read_stats_csv(path), rules, 10.4) == (
        "[load 10 s] 31 requests, 3.0 req/s, 1 failure (3.2%), slowest p95 270 ms (POST /3/ParseSetup); "
        "SLOs so far 1/3 met (broken: JOB h2o3 parse submit-to-done p95_ms <= 500, observed 540, and 1 more)"
    )
    # a latency rule without an entry is malformed: it is reported at the end, not in every live line
    assert live_line(read_stats_csv(path), [Rule("p95_ms", 1)], 1).endswith("(POST /3/ParseSetup)")


def test_the_live_line_s_rate_is_that_since_the_previous_line_not_locusts(tmp_path: Path) -> None:
    # Locust's CSV rate divides by the time to the last request: the rows say 12.5 + 3.0 = 15.5 req/s however
    # long the users then waited on their jobs; a workflows run read "12 requests, 48.7 req/s" at 5 s
    path = tmp_path / "locust_stats.csv"
    path.write_text(HEADER + ROWS)
    entries = read_stats_csv(path)
    assert sum(e.rps for e in entries if e.type != "JOB") == 15.5
    assert live_line(entries, [], 20).startswith("[load 20 s] 31 requests, 1.6 req/s, ")  # 31 in 20 s
    # since the previous line, at 15 s with 21 requests: 10 more in 5 s
    assert live_line(entries, [], 20, since=(15, 21)).startswith("[load 20 s] 31 requests, 2.0 req/s, ")
    # none since: the users are all waiting
    assert live_line(entries, [], 20, since=(15, 31)).startswith("[load 20 s] 31 requests, 0.0 req/s, ")


def test_live_lines_in_a_row_each_say_the_rate_since_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(HEADER + ROWS)
    lines = _LiveLines(path, tmp_path, [], ())
    assert lines(5).startswith("[load 5 s] 31 requests, 6.2 req/s, ")
    assert lines(10).startswith("[load 10 s] 31 requests, 0.0 req/s, ")
    path.write_text(HEADER + ROWS.replace("GET,/3/Jobs/{job_id},25,", "GET,/3/Jobs/{job_id},45,"))
    assert lines(15).startswith("[load 15 s] 51 requests, 4.0 req/s, ")


def test_the_live_line_judges_the_latency_of_the_successful_requests_where_a_snapshot_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(HEADER + ROWS)
    rules = [Rule("p95_ms", 500, "JOB h2o3 parse submit-to-done")]
    # the CSV's p95 of 540 ms is that of a parse that failed after 540 ms; the 5 that ended took 200-230 ms
    snapshot = Outcomes()
    for ms in (200.0, 210.0, 220.0, 225.0, 230.0):
        snapshot.add("JOB h2o3 parse submit-to-done", ms, failed=False)
    snapshot.add("JOB h2o3 parse submit-to-done", 540.0, failed=True)
    snapshot.add("GET /3/Jobs/{job_id}", 21.0, failed=True)
    for _ in range(24):
        snapshot.add("GET /3/Jobs/{job_id}", 4.0, failed=False)
    snapshot.write(tmp_path, 41)
    entries = live_entries(path, tmp_path)
    assert [(e.key, e.p95, e.failed_max) for e in entries] == [
        ("GET /3/Jobs/{job_id}", 4.0, 21.0),
        ("POST /3/ParseSetup", 270.0, 0.0),  # in no snapshot yet: Locust's figures
        ("JOB h2o3 parse submit-to-done", 230.0, 540.0),
    ]
    assert live_line(entries, rules, 10) == (
        "[load 10 s] 31 requests, 3.1 req/s, 1 failure (3.2%), slowest p95 270 ms (POST /3/ParseSetup); "
        "SLOs so far 1/1 met"
    )
    # a snapshot that is not the record's layout leaves Locust's figures, and the line still comes
    (tmp_path / "outcomes-42.json").write_text('["not", "a record"]')
    assert [e.p95 for e in live_entries(path, tmp_path)] == [15.0, 270.0, 540.0]


def test_a_process_writes_its_record_whole_while_it_runs_and_stops_when_it_quits(tmp_path: Path) -> None:
    record = Outcomes()
    ticks: list[float] = []
    quit_after = 3

    def sleep(seconds: float) -> None:
        ticks.append(seconds)
        record.add("GET /x", float(len(ticks)), failed=False)  # events keep coming between snapshots
        if len(ticks) > 1:
            assert Outcomes.read(tmp_path).ok["GET /x"].count == len(ticks) - 1  # the last snapshot, whole

    assert keep_written(record, tmp_path, 7, 2.0, sleep, lambda: len(ticks) < quit_after) == quit_after - 1
    assert ticks == [2.0] * quit_after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outcomes-7.json"]  # no partial file beside it


def test_live_lines_come_while_the_processes_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    go = tmp_path / "go"
    # the child ends once the first live line has been asked for: no race with the clock
    script = f"import pathlib, time\nfor _ in range(600):\n    if pathlib.Path({str(go)!r}).exists(): break\n"
    script += "    time.sleep(0.05)"
    child = [sys.executable, "-c", script]

    def live(elapsed: float) -> str:
        go.touch()
        return f"[load {elapsed:.1f} s] figures"

    outcome = _run_processes([child], {}, tmp_path / "locust.log", limit=60, live=live, every=0.1)
    assert outcome.codes == [0]
    lines = capsys.readouterr().err.splitlines()
    assert lines
    assert all(line.startswith("[load ") and line.endswith(" s] figures") for line in lines)


def test_the_hard_limit_still_stops_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = [sys.executable, "-c", "import time; time.sleep(60)"]
    outcome = _run_processes([child], {}, tmp_path / "locust.log", limit=1, live=lambda s: "tick", every=0.1)
    assert outcome.timed_out
    assert outcome.signal is None
    assert outcome.codes == [-signal.SIGTERM]  # stopped as a SIGTERM stops it: a Locust writes its figures then


@pytest.mark.slow
def test_the_live_line_counts_what_load_json_counts(tmp_path: Path) -> None:
    # every poll fails: each failed job is a failed request and a failed JOB measurement, never two failed requests
    plan = tmp_path / "faults.yaml"
    plan.write_text("rules:\n  - {method: GET, path: /3/Jobs/*, fault: status=500}\n")
    out = tmp_path / "report"
    command = [sys.executable, "-m", "h2oharness.cli", "load", "h2o3.polling", "--suite-dir", str(ROOT)]
    command += ["-u", "2", "-r", "2", "-t", "3s", "--mock-faults", str(plan), "--report-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((out / "load.json").read_text())
    requests = [e for e in report["entries"] if e["type"] not in ("JOB", "STREAM")]
    jobs = [e for e in report["entries"] if e["type"] == "JOB"]
    sent, failed = sum(e["requests"] for e in requests), sum(e["failures"] for e in requests)
    jobs_failed = sum(e["failures"] for e in jobs)
    assert failed > 0, report["entries"]
    assert jobs_failed > 0, report["entries"]
    # the live line on the run's final figures (the CSV is rewritten from them at the end)
    entries = live_entries(out / "locust_stats.csv", out)
    line = live_line(entries, [], 3)
    # and its latency is load.json's, that of the successful requests: every poll failed, so the polls have none
    assert {e.key: e.p95 for e in entries} == {e["key"]: e["p95"] for e in report["entries"]}
    assert {e.key: e.p95 for e in entries if e.name == "/3/Jobs/{job_id}"} == {"GET /3/Jobs/{job_id}": 0.0}
    assert line.startswith(f"[load 3 s] {sent} requests, "), (line, report["entries"])
    assert f" req/s, {failed} failures (" in line, (line, report["entries"])
    assert f", {jobs_failed} failed job/stream measurement" in line, (line, report["entries"])
    assert (report["totals"]["requests"], report["totals"]["failures"]) == (sent, failed)
    assert report["totals"]["measurement_failures"] == jobs_failed
    assert f": {sent} requests, {failed} failures (" in done.stdout, done.stdout
