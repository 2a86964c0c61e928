"""Open-model runs against the mocks on loopback: dispatch delay recorded and judged, and ``--find-capacity``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def load(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run ``h2oharness load`` with a hard limit; its process and the load.json it wrote (or None)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    cli = [sys.executable, "-m", "h2oharness.cli", "load", *args]
    proc = subprocess.run(
        [*cli, "--report-dir", str(tmp_path), "--suite-dir", str(ROOT)],
        capture_output=True, text=True, timeout=180, env=base, check=False,
    )  # fmt: skip
    report = tmp_path / "load.json"
    return proc, json.loads(report.read_text()) if report.is_file() else None


def test_every_arrival_records_when_it_was_due_and_sent(tmp_path: Path) -> None:
    proc, report = load(
        tmp_path, "h2o3.polling", "-u", "4", "-t", "4s", "--arrival-rate", "2", "--arrival-process", "poisson",
        "--arrival-seed", "7", "--mock-speed", "10", "--max-time", "90s",
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    (recording,) = [json.loads(p.read_text()) for p in tmp_path.glob("arrivals-*.json")]
    arrivals = recording["arrivals"]
    assert arrivals
    assert all(sent >= scheduled for scheduled, sent, _, _ in arrivals)
    assert all(done is None or done >= sent for _, sent, done, _ in arrivals)
    dispatch = report["dispatch"]
    assert dispatch["model"] == "open"
    assert dispatch["count"] == len(arrivals)
    assert 0 <= dispatch["p50_ms"] <= dispatch["p99_ms"] <= dispatch["max_ms"]
    assert report["settings"]["arrival_process"] == "poisson"
    check = [v for v in report["slos"] if v["rule"].startswith("dispatch delay p99_ms <= 50 ")]
    assert len(check) == 1
    assert check[0]["ok"] is dispatch["trustworthy"]
    assert "dispatch delay p50 " in proc.stdout


def test_a_closed_model_run_says_dispatch_delay_is_not_applicable(tmp_path: Path) -> None:
    proc, report = load(tmp_path, "h2o3.mixed", "-u", "2", "-t", "2s", "--mock-speed", "10", "--max-time", "90s")
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    assert report["dispatch"]["model"] == "closed"
    assert report["dispatch"]["p99_ms"] is None
    assert not any(v["rule"].startswith("dispatch delay") for v in report["slos"])
    assert "dispatch delay: n/a (closed model" in proc.stdout
    assert not list(tmp_path.glob("arrivals-*.json"))


def test_a_generator_that_cannot_keep_its_schedule_says_its_figures_are_not_trustworthy(tmp_path: Path) -> None:
    # one user, 20 streams due per second, and every stream lasts at least the mock's schedule (300 ms): the user
    # cannot send on time however fast the machine is, so sends fall further behind their schedule
    proc, report = load(
        tmp_path, "h2ogpte.streaming", "-u", "1", "-t", "3s", "--arrival-rate", "20", "--max-time", "90s",
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert report["errors"] == []  # a failed check, not a crash
    assert report["passed"] is False
    assert report["dispatch"]["trustworthy"] is False
    assert report["dispatch"]["p99_ms"] > report["dispatch"]["limit_ms"]
    (check,) = [v for v in report["slos"] if v["rule"].startswith("dispatch delay")]
    assert check["ok"] is False
    assert "SLO broken: dispatch delay p99_ms <= 50" in proc.stdout
    assert "NOT TRUSTWORTHY: figures not trustworthy: the load generator was the bottleneck" in proc.stdout
    assert "not trustworthy" in (tmp_path / "load.html").read_text()


def test_find_capacity_reports_its_curve_and_answer(tmp_path: Path) -> None:
    # rates 2 then 4 (if 2 held), two 2-s windows each; the verdicts depend on the machine, the shape does not
    proc, report = load(
        tmp_path, "h2ogpte.streaming", "--find-capacity", "-u", "4", "--min-rate", "2", "--max-rate", "4",
        "--window", "2s", "--windows", "2", "--warmup", "1s", "--max-dispatch-delay", "2000", "--max-time", "150s",
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    capacity = report["capacity"]
    rates = [r["rate"] for r in capacity["rates"]]
    assert rates in ([2.0], [2.0, 4.0]), rates
    assert rates == ([2.0, 4.0] if capacity["rates"][0]["passed"] else [2.0])
    curve = capacity["curve"]
    assert [(w["offered"], w["index"]) for w in curve] == [(r, i) for r in rates for i in range(2)]
    for w in curve:
        assert w["passed"] is (not w["broken"])
        assert w["sent"] >= 0
        assert w["achieved"] >= 0
        assert 0 <= w["failure_ratio"] <= 1
        assert set(w) >= {"dispatch_p99_ms", "latency_p95_ms", "in_flight", "in_flight_start"}
    for rate in capacity["rates"]:
        windows = [w for w in curve if w["offered"] == rate["rate"]]
        assert rate["windows_passed"] == sum(w["passed"] for w in windows)
        assert (tmp_path / rate["report_dir"] / "load.json").is_file()
    found = capacity["capacity_rate"]
    assert found == max((r["rate"] for r in capacity["rates"] if r["passed"]), default=None)
    last = proc.stdout.strip().splitlines()[-1]
    assert last == capacity["answer"]
    if found is None:
        assert last.startswith("capacity: below 2 arrivals/s: even the lowest rate tried")
        assert proc.returncode == 1
    else:
        assert re.match(rf"capacity: {found:g} arrivals/s \(highest rate meeting SLOs in 2/2 windows", last), last
        assert proc.returncode == 0
    html = (tmp_path / "load.html").read_text()
    assert "Capacity search" in html
    assert "Achieved vs offered rate" in html
    assert html.count("<svg") >= 2
    assert capacity["answer"].split(" (")[0] in html
    # each rate's first line says how long it loads: its windows, not the longer time Locust is given as a bound
    headers = [line for line in proc.stderr.splitlines() if line.startswith("load h2ogpte.streaming: ")]
    assert len(headers) == len(rates)
    assert all(", 2 windows of 2 s after 1 s of warm-up, " in line for line in headers), headers


def test_find_capacity_ends_an_over_saturated_rate_early_and_says_none_held(tmp_path: Path) -> None:
    # one user cannot send 20 streams a second (each lasts at least 300 ms): the generator falls behind in the
    # first window, so the run ends there instead of holding the rate for three
    # the server's limits loosened out of reach: a stall or a slow first token on a busy machine would be the
    # server's failure, and the rate would no longer be the generator's alone, as this test needs it
    loose = [
        f"--slo=STREAM h2ogpte {entry}=60000"
        for entry in ("jsonl stalls:max_ms", "jsonl time to first token:p95_ms", "sse time to first token:p95_ms")
    ]
    proc, report = load(
        tmp_path, "h2ogpte.streaming", "--find-capacity", "-u", "1", "--min-rate", "20", "--max-rate", "40",
        "--window", "2s", "--windows", "3", "--warmup", "1s", "--max-time", "120s", *loose,
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    assert proc.returncode == 1
    assert {"STREAM h2ogpte jsonl stalls max_ms <= 60000"} <= {s["rule"] for s in report["slos"]}, report["slos"]
    (rate,) = report["capacity"]["rates"]
    assert rate["passed"] is False
    assert rate["saturated"].startswith("the load generator fell behind its schedule")
    assert "ended early" in rate["note"]
    assert report["capacity"]["capacity_rate"] is None
    # the server met its SLOs: the generator, not the server, failed, so no capacity is known (not "below 20")
    assert rate["failed_by"] == "generator"
    assert report["capacity"]["bound_by"] == "generator"
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("capacity: unknown: the load generator, not the server, failed at the lowest rate tried")
    assert last.endswith("add users (-u), --workers or CPU and search again"), last
    assert "over-saturated, ending the run early" in (tmp_path / rate["report_dir"] / "locust.log").read_text()


def test_find_capacity_with_workers_judges_whole_windows_from_every_worker(tmp_path: Path) -> None:
    proc, report = load(
        tmp_path, "h2ogpte.streaming", "--find-capacity", "--workers", "2", "-u", "4", "--min-rate", "2",
        "--max-rate", "2", "--window", "2s", "--windows", "1", "--warmup", "1s", "--max-dispatch-delay", "2000",
        "--max-time", "120s",
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    (rate,) = report["capacity"]["rates"]
    folder = tmp_path / rate["report_dir"]
    assert len(list(folder.glob("arrivals-*.json"))) == 2  # one recording per worker, none from the master
    (window,) = report["capacity"]["curve"]
    assert window["sent"] > 0  # the master ended the run after the window, not Locust's early --run-time
    assert proc.stdout.strip().splitlines()[-1] == report["capacity"]["answer"]


def test_find_capacity_fails_a_rate_whose_whole_run_broke_an_entrys_request_count(tmp_path: Path) -> None:
    # an entry's min_requests is judged on a rate's whole run, not per window: it was judged nowhere, and the
    # answer named a capacity whose own summary said "SLO broken"
    proc, report = load(
        tmp_path, "h2o3.polling", "--find-capacity", "-u", "4", "--min-rate", "1", "--max-rate", "1",
        "--window", "2s", "--windows", "1", "--warmup", "1s", "--mock-speed", "10", "--max-time", "120s",
        "--slo", "JOB h2o3 parse submitted:min_requests=1000000",
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    (rate,) = report["capacity"]["rates"]
    assert rate["passed"] is False
    assert "broken on the rate's whole run: JOB h2o3 parse submitted min_requests >= 1e+06" in rate["note"]
    assert report["capacity"]["capacity_rate"] is None
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].startswith("capacity: below 1 arrivals/s: even the lowest rate tried")


def test_an_open_model_run_sends_no_arrival_after_its_end(tmp_path: Path) -> None:
    # every user sleeps until its next arrival when the run time ends (one arrival each 4 s per user, over 4 s):
    # the stop timeout lets it finish its task, and it must not send that arrival then
    proc, report = load(
        tmp_path, "h2ogpte.streaming", "-u", "4", "-t", "4s", "--arrival-rate", "1", "--mock-speed", "10",
        "--max-time", "90s",
    )  # fmt: skip
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    (recording,) = [json.loads(p.read_text()) for p in tmp_path.glob("arrivals-*.json")]
    sent = len(recording["arrivals"])
    assert sent
    streams = sum(stream["streams"] for stream in report["streams"])
    assert (report["totals"]["measurements"], streams) == (sent, sent)
