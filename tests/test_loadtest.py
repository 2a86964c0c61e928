"""What ``h2oharness load`` writes when the target fails its users (h2oharness/loadtest.py's HarnessUser): one line
per failure in locust.log, no traceback in it nor in Locust's CSV and HTML, and the failures still counted.

Each test runs the CLI against the mock on loopback with a fault plan, for a few seconds.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
#: what Python's traceback prints for a frame, as it is or HTML-escaped
FRAMES = re.compile(r'Traceback \(most recent call last\)|File (&quot;|&#34;|")[^"&]+(&quot;|&#34;|"), line \d+')
ARTIFACTS = ("locust.log", "locust.html", "locust_exceptions.csv", "locust_failures.csv", "load.json", "load.html")

pytestmark = pytest.mark.slow


def load(tmp_path: Path, profile: str, rules: list[dict[str, str]], *args: str, suite: Path = ROOT) -> str:
    """Run ``h2oharness load`` against the mock with these fault rules; its stderr (the report folder: tmp_path)."""
    plan = tmp_path / "faults.yaml"
    plan.write_text(yaml.safe_dump({"seed": 1, "rules": rules}))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    command = [sys.executable, "-m", "h2oharness.cli", "load", profile, "--mock-faults", str(plan), "-u", "2"]
    command += ["-t", "4s", "--report-dir", str(tmp_path), "--suite-dir", str(suite), "--max-time", "90s", *args]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180, env=base, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]  # the failures broke the failure_ratio SLO
    return proc.stderr


def failures(tmp_path: Path) -> dict[str, tuple[int, str]]:
    """locust_failures.csv: "METHOD name" -> (occurrences, error)."""
    with (tmp_path / "locust_failures.csv").open(newline="") as fh:
        return {f"{r['Method']} {r['Name']}": (int(r["Occurrences"]), r["Error"]) for r in csv.DictReader(fh)}


def exceptions(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "locust_exceptions.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def log_lines(tmp_path: Path) -> list[str]:
    """locust.log's lines after the command it starts with."""
    return [line for line in (tmp_path / "locust.log").read_text().splitlines() if line and not line.startswith("$")]


#: a profile whose one user asks for GET /3/Cloud in a tight loop
CLOUD_USER = (
    "from pathlib import Path\n\nfrom locust import constant, task\n\n"
    "from h2oharness.apis.h2o3.client import H2O3Client\n"
    "from h2oharness.loadtest import HarnessUser, harness_http\n\n"
    f"CONTRACT = Path({str(ROOT / 'contracts' / 'h2o3' / 'openapi.yaml')!r})\n\n\n"
    "class PollingUser(HarnessUser):\n    wait_time = constant(0)\n\n"
    "    def on_start(self) -> None:\n        self.api = H2O3Client(harness_http(self, CONTRACT, 'H2O3'))\n\n"
    "    @task\n    def cloud(self) -> None:\n        self.api.cloud()\n"
)


def h2o3_profile(tmp_path: Path, source: str) -> Path:
    """A suite folder whose ``loadtests/h2o3.py`` is ``source``: its path. Its one SLO is that no request fails (the
    project's name the parse and GBM jobs, which ``source`` never runs: a load would be refused for them)."""
    suite = tmp_path / "suite"
    (suite / "loadtests").mkdir(parents=True)
    (suite / "loadtests" / "h2o3.slo.yaml").write_text("polling:\n  - failure_ratio: 0\n")
    (suite / "loadtests" / "h2o3.py").write_text(source)
    return suite


def assert_no_traceback(tmp_path: Path, stderr: str) -> None:
    for name in ARTIFACTS:
        text = (tmp_path / name).read_text()
        assert not FRAMES.search(text), f"{name}: {text[:3000]}"
    assert not FRAMES.search(stderr), stderr[-3000:]
    assert exceptions(tmp_path) == []


def test_a_setup_the_target_cuts_short_is_one_line_and_a_counted_failure(tmp_path: Path) -> None:
    rules = [{"method": "POST", "path": "/api/v1/collections", "fault": "truncate"}]
    stderr = load(tmp_path, "h2ogpte.streaming", rules)
    assert_no_traceback(tmp_path, stderr)
    said = [line for line in log_lines(tmp_path) if "StreamingUser.on_start failed against http://127.0.0.1:" in line]
    assert said, log_lines(tmp_path)
    assert "POST /api/v1/collections: no complete answer" in said[0]
    assert " -> check that the target is up" in said[0]
    count, error = failures(tmp_path)["POST /api/v1/collections"]
    assert count >= 2, error  # each user's setup, and its retries
    # the setup is retried after a doubling wait, not at once: in 4 s two users try it a few times, not thousands
    assert count < 100, count


def test_a_task_the_target_resets_is_one_line_and_a_counted_failure(tmp_path: Path) -> None:
    stderr = load(tmp_path, "h2o3.mixed", [{"path": "/3/*", "fault": "reset"}])
    assert_no_traceback(tmp_path, stderr)
    failed = re.compile(r"MixedUser\.\w+ failed against http://127\.0\.0\.1:")
    said = [line for line in log_lines(tmp_path) if failed.search(line)]
    assert said, log_lines(tmp_path)
    assert all(" -> " in line for line in said)
    assert sum(count for count, _ in failures(tmp_path).values()) >= len(said)


def test_a_target_that_stops_answering_is_not_flooded(tmp_path: Path) -> None:
    # a polling user's task fails in microseconds once every connection is reset: without a wait between tasks two
    # users sent thousands of refused uploads a second, and the run's figures were those of the outage
    stderr = load(tmp_path, "h2o3.polling", [{"path": "/3/*", "after_seconds": 1.5, "fault": "reset"}])
    assert_no_traceback(tmp_path, stderr)
    report = json.loads((tmp_path / "load.json").read_text())
    assert report["totals"]["failures"] > 0, report["totals"]
    assert report["totals"]["requests"] < 300, report["totals"]
    # and the report says why, in a few lines: every failed request under its reason, ids left out
    reasons = report["failure_reasons"]
    requests = [r["count"] for r in reasons if not r["entry"].startswith(("JOB ", "STREAM "))]
    assert sum(requests) == report["totals"]["failures"], reasons
    assert len(reasons) <= 8, reasons
    assert "why they failed, the most frequent first" in (tmp_path / "load.html").read_text()
    said = [line for line in log_lines(tmp_path) if "answers no request of PollingUser" in line]
    assert len(said) == 1, log_lines(tmp_path)
    assert "wait 0.5 s before their next task, doubling up to 10 s" in said[0]


def test_users_load_at_full_speed_again_once_the_target_answers(tmp_path: Path) -> None:
    suite = h2o3_profile(tmp_path, CLOUD_USER)
    report = tmp_path / "report"
    report.mkdir()
    # (a cut answer, not a reset: geventhttpclient sends an idempotent request again after a reset of its own)
    load(report, "h2o3.polling", [{"path": "/3/Cloud", "times": 4, "fault": "truncate"}], "-t", "6s", suite=suite)
    cloud = {e["key"]: e for e in json.loads((report / "load.json").read_text())["entries"]}["GET /3/Cloud"]
    assert cloud["failures"] == 4, cloud
    # the waits of the outage (0.5 s, then 1 s) end with the first answer: a user still waiting as if the target
    # were down would send a handful in the 4 s left, not a tight loop's hundreds
    assert cloud["requests"] - cloud["failures"] > 40, cloud


def test_a_refused_parse_is_one_failure_and_its_upload_is_cleaned_up(tmp_path: Path) -> None:
    # the cleanup deleted the frame the parse never made: a 404 that doubled every failure, and the upload stayed
    stderr = load(tmp_path, "h2o3.polling", [{"method": "POST", "path": "/3/Parse", "fault": "status=500"}])
    assert_no_traceback(tmp_path, stderr)
    report = json.loads((tmp_path / "load.json").read_text())
    entries = {e["key"]: e for e in report["entries"]}
    refused = entries["POST /3/Parse"]
    assert refused["requests"] == refused["failures"] > 0, refused
    dropped = entries["DELETE /3/Frames/{frame_id}"]
    assert (dropped["requests"], dropped["failures"]) == (refused["requests"], 0), dropped
    assert report["totals"]["failures"] == refused["failures"]


def test_a_stream_cut_half_way_is_a_failed_stream_not_an_internal_error(tmp_path: Path) -> None:
    rules = [
        {"method": "POST", "path": "/api/v1/chats/*/completions", "fault": "truncate=2"},
        {"method": "POST", "path": "/openai_api/v1/chat/completions", "fault": "truncate=2"},
    ]
    stderr = load(tmp_path, "h2ogpte.streaming", rules)
    assert_no_traceback(tmp_path, stderr)
    assert not any("internal error" in line for line in log_lines(tmp_path)), log_lines(tmp_path)
    cut = {name: error for name, (_, error) in failures(tmp_path).items() if name.startswith("STREAM ")}
    assert cut, failures(tmp_path)
    assert all("stream cut before its end" in error for error in cut.values()), cut


def test_an_answer_past_the_request_deadline_says_so(tmp_path: Path) -> None:
    rules = [{"method": "POST", "path": "/api/v1/collections", "fault": "latency=3"}]
    stderr = load(tmp_path, "h2ogpte.polling", rules, "--request-deadline", "1")
    assert_no_traceback(tmp_path, stderr)
    _, error = failures(tmp_path)["POST /api/v1/collections"]
    assert "POST /api/v1/collections: no answer within 1 s" in error
    said = [line for line in log_lines(tmp_path) if "PollingUser.on_start failed" in line]
    assert said, log_lines(tmp_path)
    assert "no answer within 1 s -> if the target is only slow, raise --request-deadline" in said[0]


def test_a_bug_of_a_profile_keeps_its_traceback_and_says_so(tmp_path: Path) -> None:
    suite = h2o3_profile(
        tmp_path,
        "from locust import constant, task\n\nfrom h2oharness.loadtest import HarnessUser\n\n\n"
        "class PollingUser(HarnessUser):\n    wait_time = constant(0.5)\n\n"
        "    @task\n    def broken(self) -> None:\n        {}['missing']\n",
    )
    report = tmp_path / "report"
    report.mkdir()
    # a route the task never reaches: the plan only arms the run (a glob matching no route is refused, 8b7dc0b)
    load(report, "h2o3.polling", [{"path": "/3/Shutdown", "fault": "reset"}], suite=suite)
    log = (report / "locust.log").read_text()
    assert "internal error of h2oharness in PollingUser.broken against http://127.0.0.1:" in log
    assert "KeyError: 'missing'" in log
    assert FRAMES.search(log)


def test_a_setup_that_extends_its_parents_is_retried_whole(tmp_path: Path) -> None:
    # the parent's part of the setup succeeds, the child's fails: the user is not ready, its tasks do not run
    suite = h2o3_profile(
        tmp_path,
        "from pathlib import Path\n\nfrom locust import constant, task\n\n"
        "from h2oharness.apis.h2o3.client import H2O3Client\n"
        "from h2oharness.loadtest import HarnessUser, harness_http\n\n"
        f"CONTRACT = Path({str(ROOT / 'contracts' / 'h2o3' / 'openapi.yaml')!r})\n\n\n"
        "class _Base(HarnessUser):\n    abstract = True\n\n"
        "    def on_start(self) -> None:\n        self.api = H2O3Client(harness_http(self, CONTRACT, 'H2O3'))\n\n\n"
        "class PollingUser(_Base):\n    wait_time = constant(0.2)\n\n"
        "    def on_start(self) -> None:\n        super().on_start()\n        self.cloud = self.api.cloud()\n\n"
        "    @task\n    def jobs(self) -> None:\n        assert self.cloud\n        self.api.jobs()\n",
    )
    report = tmp_path / "report"
    report.mkdir()
    stderr = load(report, "h2o3.polling", [{"method": "GET", "path": "/3/Cloud", "fault": "reset"}], suite=suite)
    assert_no_traceback(report, stderr)
    lines = log_lines(report)
    assert any("PollingUser.on_start failed against http://127.0.0.1:" in line for line in lines), lines
    assert not any("internal error" in line for line in lines), lines
    assert "GET /3/Jobs" not in failures(report)


def test_an_answer_the_call_cannot_read_is_a_failure_whatever_its_status(
    tmp_path: Path, every_call_in_turn: Callable[..., Path]
) -> None:
    # a 200 that is an HTML page (a proxy's) or text where JSON or a JSONL stream was due
    rules = [
        {"method": "GET", "path": "/api/v1/models", "fault": "content-type=text/html"},
        {"method": "POST", "path": "/api/v1/chats/*/completions", "fault": "content-type=text/plain"},
    ]
    # h2ogpte.mixed draws its tasks by weight: in 4 s it sometimes drew no plain answer
    suite = every_call_in_turn("h2ogpte", "models", "collection", "answer", "stream")
    stderr = load(tmp_path, "h2ogpte.mixed", rules, suite=suite)
    assert_no_traceback(tmp_path, stderr)
    entries = {e["key"]: e for e in json.loads((tmp_path / "load.json").read_text())["entries"]}
    for key in ("GET /api/v1/models", "POST /api/v1/chats/{session_id}/completions"):
        assert entries[key]["requests"] == entries[key]["failures"] > 0, entries[key]
    assert entries["GET /api/v1/collections/{collection_id}"]["failures"] == 0  # the others' JSON is read as JSON
    with (tmp_path / "locust_failures.csv").open(newline="") as fh:
        errors = {(r["Method"], r["Name"], r["Error"]) for r in csv.DictReader(fh)}
    said = {(m, n): e for m, n, e in errors}
    assert "expected JSON, got text/html" in said["GET", "/api/v1/models"], errors
    completions = {e for m, n, e in errors if n == "/api/v1/chats/{session_id}/completions"}
    assert any("expected JSON, got text/plain" in e for e in completions), completions  # the plain answer
    assert any("expected a stream (application/jsonl), got text/plain" in e for e in completions), completions


def test_latency_figures_and_slos_count_successful_requests_only(tmp_path: Path) -> None:
    # the first /3/Cloud answers at once, then every even one fails at once (HTTP 500) and every odd one takes 1 s:
    # with the failures in, the p50 would be an instant one; the successes' p50 is a slow one (at least 2 slow of 3)
    suite = h2o3_profile(tmp_path, CLOUD_USER)
    report = tmp_path / "report"
    report.mkdir()
    rules = [
        {"method": "GET", "path": "/3/Cloud", "every": "2", "fault": "status=500"},
        {"method": "GET", "path": "/3/Cloud", "every": "2", "after": "1", "fault": "latency=1"},
    ]
    load(report, "h2o3.polling", rules, "--slo", "GET /3/Cloud:p50_ms=500", suite=suite)
    done = json.loads((report / "load.json").read_text())
    assert done["errors"] == []
    cloud = {e["key"]: e for e in done["entries"]}["GET /3/Cloud"]
    assert cloud["failures"] > 0, cloud
    assert cloud["requests"] - cloud["failures"] >= 3, cloud  # the fast first one and at least 2 slow ones
    assert cloud["p50"] >= 1000, cloud
    assert cloud["max"] >= 1000, cloud
    assert "failed_p50" in cloud, cloud  # the failures' own times, apart
    verdict = {v["rule"]: v for v in done["slos"]}["GET /3/Cloud p50_ms <= 500"]
    assert not verdict["ok"], verdict
