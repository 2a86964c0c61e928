"""A load run against a mock that injects faults counts them as failures, ends on time and still writes its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAN = """
seed: 3
rules:
  - {path: /3/Frames, fault: reset}
  - {path: /3/Jobs, fault: drip=0.2}
"""


def test_faults_under_load_are_counted_and_reported(tmp_path: Path, every_call_in_turn: Callable[..., Path]) -> None:
    plan = tmp_path / "faults.yaml"
    plan.write_text(PLAN)
    out = tmp_path / "report"
    # h2o3.mixed draws its tasks by weight: in 3 s its three users drew no GET /3/Jobs about one run in a hundred
    suite = every_call_in_turn("h2o3")
    command = [sys.executable, "-m", "h2oharness.cli", "load", "h2o3.mixed", "--suite-dir", str(suite)]
    command += ["-u", "3", "-r", "3", "-t", "3s", "--mock-faults", str(plan), "--request-deadline", "1"]
    command += ["--report-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    # the guard against a hang: run time, Locust's stop timeout and its start, with room to spare
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stdout + done.stderr  # the failure-ratio SLO is broken
    assert "Traceback" not in done.stdout + done.stderr
    entries = {e["name"]: e for e in json.loads((out / "load.json").read_text())["entries"]}
    for name in ("/3/Frames", "/3/Jobs"):
        assert entries[name]["requests"] > 0, name
        assert entries[name]["failures"] == entries[name]["requests"], name
    assert entries["/3/Models"]["requests"] > entries["/3/Models"]["failures"] == 0  # no fault planned for it
    # Locust's failures CSV may miss the last second of a run: only the final JSON statistics are checked
    assert (out / "locust.html").is_file()


def test_requests_still_unanswered_when_the_run_stops_are_counted_as_failures(tmp_path: Path) -> None:
    # the mock answers the probe, then holds every upload past the run and Locust's stop timeout: Locust kills those
    # users, and its session reports nothing for a request cut off that way
    plan = tmp_path / "faults.yaml"
    plan.write_text("rules:\n  - {path: /3/PostFile, fault: latency=100}\n")
    out = tmp_path / "report"
    command = [sys.executable, "-m", "h2oharness.cli", "load", "h2o3.polling", "--suite-dir", str(ROOT)]
    command += ["-u", "2", "-r", "2", "-t", "2s", "--mock-faults", str(plan), "--report-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "SLO broken: failure_ratio" in done.stdout, done.stdout
    report = json.loads((out / "load.json").read_text())
    entries = {e["name"]: e for e in report["entries"]}
    upload = entries["/3/PostFile"]
    assert upload["requests"] == upload["failures"] == 2, upload
    assert "Traceback" not in (out / "locust.log").read_text()


@pytest.mark.slow
def test_a_job_whose_submission_failed_is_not_counted_as_submitted(tmp_path: Path) -> None:
    # every parse's submission is refused: no job was submitted, so `JOB h2o3 parse submitted min_requests >= 1`
    # is broken, and the parses that never ran have no latency to meet a p95 with
    plan = tmp_path / "faults.yaml"
    plan.write_text("rules:\n  - {method: POST, path: /3/Parse, fault: status=503}\n")
    out = tmp_path / "report"
    command = [sys.executable, "-m", "h2oharness.cli", "load", "h2o3.polling", "--suite-dir", str(ROOT)]
    command += ["-u", "2", "-r", "2", "-t", "2s", "--mock-faults", str(plan), "--report-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((out / "load.json").read_text())
    entries = {e["key"]: e for e in report["entries"]}
    assert entries["POST /3/Parse"]["requests"] == entries["POST /3/Parse"]["failures"] > 0, entries
    assert "JOB h2o3 parse submitted" not in entries, entries["JOB h2o3 parse submitted"]
    # each refused submission is a refused one, no failed job: there was no job to fail
    refused = entries["JOB h2o3 parse refused"]
    assert refused["requests"] == refused["failures"] == entries["POST /3/Parse"]["failures"], entries
    assert "JOB h2o3 parse submit-to-done" not in entries, entries["JOB h2o3 parse submit-to-done"]
    assert report["totals"]["refused"] == refused["requests"]
    assert report["totals"]["measurement_failures"] == 0
    assert f"{refused['requests']} job submission" in done.stdout
    verdicts = {v["rule"]: v for v in report["slos"]}
    assert not verdicts["JOB h2o3 parse submitted min_requests >= 1"]["ok"]
    assert not verdicts["JOB h2o3 parse submit-to-done p95_ms <= 5000"]["ok"]
    # the user's submissions failed: the run-wide failure ratio counts them
    assert verdicts["failure_ratio <= 0.01"]["observed"] == 1.0


def test_a_run_past_its_max_time_is_stopped_and_still_reports_its_figures(tmp_path: Path) -> None:
    # the hard limit stopped Locust, which wrote its figures, and the run then wrote no load.json nor load.html:
    # a load against staging with --max-time as its safety net had nothing to show for the minutes it ran
    # the users' parses never end: past its run time (2 s) the run waits for their last tasks (--stop-timeout 8), and
    # the hard limit (6 s, counted from before Locust started) comes at least 4 s before they may be stopped
    plan = tmp_path / "stuck.yaml"
    plan.write_text("rules:\n  - {method: POST, path: /3/Parse, fault: stuck}\n")
    out = tmp_path / "report"
    command = [sys.executable, "-m", "h2oharness.cli", "load", "h2o3.polling", "--suite-dir", str(ROOT)]
    command += ["-u", "2", "-r", "2", "-t", "2s", "--stop-timeout", "8", "--max-time", "6s", "--report-dir", str(out)]
    command += ["--mock-faults", str(plan)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "h2oharness: error: the load run passed its hard time limit of 6 s and was stopped; the figures until then "
        f"are in {out.resolve() / 'load.html'}"
    )
    report = json.loads((out / "load.json").read_text())
    assert report["errors"] == [
        "the load run passed its hard time limit of 6 s and was stopped: the figures are those until then"
    ]
    assert report["passed"] is False
    assert report["totals"]["requests"] > 0
    assert (out / "load.html").is_file()
