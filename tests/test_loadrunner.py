"""``h2oharness load``: profiles, targets and safety, as subprocesses against the mocks on loopback (seconds each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from h2oharness.apis import APIS
from h2oharness.errors import ConfigError
from h2oharness.loadrunner import USER_CLASSES, find_profile, parse_duration

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def load(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, suite: Path = ROOT
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run ``h2oharness load`` with a short run time; its process and the load.json it wrote (or None)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "h2oharness.cli", "load", *args, "--report-dir", str(tmp_path),
         "--suite-dir", str(suite), "--max-time", "120s"],
        capture_output=True, text=True, timeout=180, env={**base, **(env or {})}, check=False,
    )  # fmt: skip
    report = tmp_path / "load.json"
    return proc, json.loads(report.read_text()) if report.is_file() else None


#: SLO limits a slow machine can break: the suite checks that they are judged, benchmarks say what this box reaches
SPEED_LIMITS = ("_ms <= ", "min_rps >= ")


def assert_judged(proc: subprocess.CompletedProcess[str], report: Any) -> None:
    """The run ended, wrote its report and judged its SLOs; only a speed SLO may be broken, and then exit 1 says so."""
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    assert report["errors"] == [], report["errors"]
    assert report["slos"], "no SLO was judged"
    broken = [v["rule"] for v in report["slos"] if not v["ok"]]
    assert all(any(limit in rule for limit in SPEED_LIMITS) for rule in broken), broken
    assert proc.returncode == (1 if broken else 0), proc.stdout + proc.stderr[-2000:]
    for rule in broken:
        assert f"SLO broken: {rule}" in proc.stdout


def test_parse_duration() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("1m30s") == 90
    assert parse_duration("2h") == 7200
    with pytest.raises(ConfigError, match="cannot read the duration"):
        parse_duration("soon")
    # negative, for the option to refuse by name: it was "cannot read the duration '-5s'"
    assert parse_duration("-1m30s") == -90
    assert parse_duration(" -5") == -5
    for text in ("--5s", "-", "5s-"):
        with pytest.raises(ConfigError, match="cannot read the duration"):
            parse_duration(text)


@pytest.mark.parametrize("text", ["99999999999h", "9" * 40, "8785h"])
def test_a_duration_past_a_year_is_refused(text: str) -> None:
    # pytest's and Locust's alarm() and Locust's own --run-time ended in an OverflowError traceback
    with pytest.raises(ConfigError, match="longer than a year"):
        parse_duration(text)
    assert parse_duration("8784h") == 366 * 86400  # a leap year is still a year


def test_every_registered_api_has_its_profiles() -> None:
    for slug in APIS:
        text = (ROOT / "loadtests" / f"{slug}.py").read_text()
        assert f"class {USER_CLASSES['polling']}" in text or f"class {USER_CLASSES['streaming']}" in text, slug
        assert f"class {USER_CLASSES['mixed']}" in text, slug
        assert (ROOT / "loadtests" / f"{slug}.slo.yaml").is_file(), slug
    with pytest.raises(ConfigError, match=r"h2o3\.polling"):
        find_profile("h2o3.nope", ROOT)


def _profiles() -> list[str]:
    found = []
    for slug in sorted(APIS):
        text = (ROOT / "loadtests" / f"{slug}.py").read_text() if (ROOT / "loadtests" / f"{slug}.py").is_file() else ""
        found += [f"{slug}.{kind}" for kind, cls in USER_CLASSES.items() if f"class {cls}(" in text]
    return found


@pytest.mark.parametrize("profile", _profiles())
def test_profile_smoke_run_judges_its_slos(
    profile: str, tmp_path: Path, every_call_in_turn: Callable[..., Path]
) -> None:
    slug, kind = profile.split(".")
    # a mixed profile draws its tasks by weight and its jobs or streams are a small share of them: in 4 s, h2o3's and
    # workflows' drew none about one run in 3,000 on an idle machine, one in 50 with half the draws; so each in turn
    suite = every_call_in_turn(slug) if kind == "mixed" else ROOT
    out = tmp_path / "report"
    proc, report = load(out, profile, "-u", "4", "-r", "4", "-t", "4s", "--mock-speed", "10", suite=suite)
    assert_judged(proc, report)
    # the profile measured whole jobs or whole streams, not just requests
    measured = [e for e in report["entries"] if e["key"].endswith((" submit-to-done", " stream"))]
    assert measured, [e["key"] for e in report["entries"]]
    assert all(e["requests"] >= 1 and e["failures"] == 0 for e in measured), measured
    for name in ("locust.html", "locust_stats.csv", "load.html"):
        assert (out / name).stat().st_size > 0, name


def test_streams_measure_the_mocks_token_schedule(tmp_path: Path) -> None:
    proc, report = load(tmp_path, "h2ogpte.streaming", "-u", "2", "-t", "3s")
    assert_judged(proc, report)
    keys = {e["key"]: e for e in report["entries"]}
    # the mock's default schedule: first token after 100 ms, then 20 tokens 10 ms apart (Locust rounds to ms);
    # a server cannot send before its schedule, so the schedule is a floor; how far above it a loaded machine
    # lands is a speed figure (benchmarks/stream_timing.py), not something to assert
    ttft = keys["STREAM h2ogpte jsonl time to first token"]
    stream = keys["STREAM h2ogpte jsonl stream"]
    assert ttft["p50"] >= 99, ttft
    # ITL: the 19 gaps between 20 tokens of each stream, never the first token's wait nor the closing line
    gaps = keys["STREAM h2ogpte jsonl ITL"]
    assert gaps["requests"] == 19 * keys["STREAM h2ogpte jsonl TPOT"]["requests"]
    assert gaps["requests"] >= 19 * (stream["requests"] - 1)
    # h2oGPTe's JSONL carries no usage: the output count is ours; the SSE's usage agrees with its chunks
    assert keys["STREAM h2ogpte jsonl output tokens"]["p50"] == 20
    assert "STREAM h2ogpte jsonl usage mismatch" not in keys
    sse = keys.get("STREAM h2ogpte sse usage mismatch")
    assert sse is None or sse["max"] == 0, sse
    (jsonl,) = [s for s in report["streams"] if s["name"] == "h2ogpte jsonl"]
    assert jsonl["aggregate_tokens_per_second"] > 0
    assert "TPOT" in report["stream_definitions"]
    # gaps may bunch when the reader falls behind, but a whole stream lasts at least its schedule (Locust rounds
    # figures above 100 ms to 10 ms)
    assert stream["p50"] >= 100 + 19 * 10 - 10, stream


#: a profile whose import blocks the process for 1.5 s, as Locust's and the profile's imports do on a loaded machine
_SLOW_START_PROFILE = """
import json, os, time
from pathlib import Path
from gevent import monkey
from locust import User, constant, events, task
seen = {"tasks": 0}
@events.init.add_listener  # before the harness's own listener: the run is timed from before its clock update
def _init(**_): seen["init"] = time.monotonic()
import h2oharness.loadtest  # noqa: F401 - its Locust hooks, as every profile has them
monkey.get_original("time", "sleep")(1.5)
@events.test_stopping.add_listener
def _stopping(**_): seen["stopping"] = time.monotonic()
@events.quitting.add_listener
def _quitting(**_):
    Path(os.environ["OUT"]).write_text(json.dumps({"ran": seen["stopping"] - seen["init"], "tasks": seen["tasks"]}))
class Idle(User):
    wait_time = constant(0.05)
    @task
    def tick(self): seen["tasks"] += 1
"""


def test_a_slow_start_does_not_shorten_the_run(tmp_path: Path) -> None:
    # Locust arms --run-time before its gevent loop has run once, against the clock the loop cached when it was
    # created: without h2oharness.loadtest bringing it up to date, the 1.5 s blocked here (Locust's imports under
    # CPU load, in the 3-s stream runs above) came off the 1-s run, which stopped at once
    (tmp_path / "slowstart.py").write_text(_SLOW_START_PROFILE)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(tmp_path / "slowstart.py"), "--headless", "-u", "1", "-r", "1",
         "-t", "1s", "--only-summary", "--loglevel", "WARNING"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
        env={**base, "OUT": str(tmp_path / "out.json"), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["ran"] >= 0.95, out  # timed from before the clock update: the run lasts at least its 1 s
    assert out["tasks"] >= 1, out


def test_a_stream_ended_by_an_error_line_is_a_failure_with_its_reason(tmp_path: Path) -> None:
    from h2oharness.apis.h2ogpte.mockparts.state import FAIL_MARKER

    proc, report = load(
        tmp_path, "h2ogpte.streaming", "-u", "2", "-t", "3s", env={"H2OGPTE_LOAD_MESSAGE": f"hi {FAIL_MARKER}"}
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert "SLO broken: failure_ratio" in proc.stdout
    keys = {e["key"]: e for e in report["entries"]}
    assert keys["STREAM h2ogpte jsonl stream"]["failures"] == keys["STREAM h2ogpte jsonl stream"]["requests"] > 0
    failures = (tmp_path / "locust_failures.csv").read_text()
    assert "StreamServerError" in failures


def test_open_model_paces_submissions_and_measures_from_the_schedule(tmp_path: Path) -> None:
    proc, report = load(tmp_path, "h2o3.polling", "-u", "4", "-t", "4s", "--arrival-rate", "2", "--mock-speed", "10")
    assert_judged(proc, report)
    keys = {e["key"]: e for e in report["entries"]}
    submitted = keys["JOB h2o3 parse submitted"]["requests"]
    assert 1 <= submitted <= 2 * 4 + 4, submitted  # about rate x time, never a closed loop's flood
    assert keys["JOB h2o3 parse submit-to-done (from schedule)"]["requests"] >= 1


def test_distributed_master_totals_are_the_sum_of_the_workers(tmp_path: Path) -> None:
    proc, report = load(tmp_path, "h2o3.mixed", "-u", "4", "-t", "4s", "--mock-speed", "10", "--workers", "2")
    assert_judged(proc, report)  # no errors: the runner compares the master with each worker's own count
    workers = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("worker-*.json"))]
    assert len(workers) == 2
    commands = [line for line in (tmp_path / "locust.log").read_text().splitlines() if line.startswith("$ ")]
    assert len(commands) == 3
    assert "--master-bind-host 127.0.0.1" in commands[0]
    assert all("--worker --master-host 127.0.0.1" in c for c in commands[1:])
    for entry in report["entries"]:
        assert entry["requests"] == sum(w.get(entry["key"], {}).get("requests", 0) for w in workers), entry["key"]


def test_distributed_streams_still_running_at_the_stop_reach_the_master(tmp_path: Path) -> None:
    # the mock's clock at a tenth of wall time: every stream lasts about 3 s (first token 1 s, 20 tokens 0.1 s
    # apart) and users stream back to back, so each of the 4 users is inside one when the 4 s run stops
    proc, report = load(tmp_path, "h2ogpte.streaming", "-u", "4", "-t", "4s", "--mock-speed", "0.1", "--workers", "2")
    assert report is not None, proc.stdout + proc.stderr[-2000:]
    assert report["errors"] == [], report["errors"]
    workers = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("worker-*.json"))]
    assert len(workers) == 2
    master = {e["key"]: (e["requests"], e["failures"]) for e in report["entries"]}
    summed: dict[str, tuple[int, int]] = {}
    for totals in workers:
        for key, counts in totals.items():
            before = summed.get(key, (0, 0))
            summed[key] = (before[0] + counts["requests"], before[1] + counts["failures"])
    assert master == summed
    # users clean up only after the stop: their requests are in the master's figures too
    assert master["DELETE /api/v1/chats/{session_id}"] == (4, 0)
    assert sum(n for key, (n, _) in master.items() if key.startswith("STREAM") and key.endswith(" stream")) >= 4


def test_a_slow_mock_breaks_the_slo_and_the_exit_code_names_it(tmp_path: Path) -> None:
    # the mock's clock at half wall time: a parse job takes about two seconds; judged on two workers' aggregate
    proc, report = load(
        tmp_path, "h2o3.polling", "-u", "2", "-t", "3s", "--mock-speed", "0.5", "--workers", "2",
        "--slo", "JOB h2o3 parse submit-to-done:p95_ms=800",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert "SLO broken: JOB h2o3 parse submit-to-done p95_ms <= 800" in proc.stdout
    assert report["passed"] is False


def test_non_loopback_live_target_is_refused_before_any_request(tmp_path: Path) -> None:
    proc, report = load(tmp_path, "h2o3.polling", "--target", "live", "--url", "https://h2o.staging.example")
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines()[-1].startswith("h2oharness: error: refusing to send load")
    assert report is None


def test_credentials_never_reach_the_output(tmp_path: Path) -> None:
    from h2oharness.apis.h2o3.mock import default_state, make_app
    from h2oharness.mocks.serve import serve

    secret = "pl4nted-s3cret-for-load"
    state = default_state(speed=10)
    state.credentials = ("loaduser", secret)
    with serve(make_app(state)) as served:
        proc, report = load(
            tmp_path, "h2o3.polling", "--target", "live", "--url", served.url, "--username", "loaduser",
            "--password-env", "LOAD_TEST_PASSWORD", "-u", "2", "-t", "4s",
            env={"LOAD_TEST_PASSWORD": secret},
        )  # fmt: skip
    assert_judged(proc, report)
    assert report["entries"], "nothing was sent"
    assert all(e["failures"] == 0 for e in report["entries"]), "the mock refused the credentials"
    assert secret not in proc.stdout + proc.stderr
    for path in tmp_path.iterdir():
        assert secret not in path.read_text(errors="replace"), path.name


def test_wrong_credentials_stop_the_run_before_any_load(tmp_path: Path) -> None:
    from h2oharness.apis.h2o3.mock import default_state, make_app
    from h2oharness.mocks.serve import serve

    state = default_state()
    state.credentials = ("loaduser", "right")
    with serve(make_app(state)) as served:
        proc, report = load(
            tmp_path, "h2o3.polling", "--target", "live", "--url", served.url, "--username", "loaduser",
            "--password-env", "LOAD_TEST_PASSWORD", env={"LOAD_TEST_PASSWORD": "wrong"},
        )  # fmt: skip
    assert proc.returncode == 3
    assert "refused the credentials" in proc.stderr.strip().splitlines()[-1]
    assert report is None
    assert not state.recorded("POST", "/3/Parse")


def test_load_benchmark_prints_its_three_tables(every_call_in_turn: Callable[..., Path]) -> None:
    # the soak's h2o3.mixed draws a job 2 times in 25: its 5 users drew none in 3 s about one run in 2,000
    suite = every_call_in_turn("h2o3")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_users.py"), "--quick", "--suite-dir", str(suite)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    blocks = {b.splitlines()[0]: b.splitlines()[3:] for b in done.stdout.split("\n\n") if b.startswith("[")}
    bare = next(rows for head, rows in blocks.items() if head.startswith("[bare vs harness]"))
    assert sorted(row.split()[0] for row in bare) == ["bare", "harness"]
    assert all(int(row.split()[-4]) > 0 for row in bare), bare  # both users really polled
    workers = next(rows for head, rows in blocks.items() if head.startswith("[workers]"))
    assert [row.split()[0] for row in workers] == ["1", "2"]
    soak = next(rows for head, rows in blocks.items() if head.startswith("[soak]"))
    assert len(soak) == 1
    assert soak[0].split()[3] == "0", soak  # no failed request
    failed_jobs, jobs = soak[0].split()[4].split("/")
    assert failed_jobs == "0", soak
    assert int(jobs) > 0, soak  # the jobs were measured
    timing = next(rows for head, rows in blocks.items() if head.startswith("[stream timing]"))
    assert [(r.split()[0], r.split()[1]) for r in timing] == [
        ("1", "time"),
        ("1", "ITL"),
        ("5", "time"),
        ("5", "ITL"),
    ]
    assert all(int(r.split()[-1]) > 0 for r in timing), timing


def test_locust_stats_csv_counts_what_load_json_counts(tmp_path: Path) -> None:
    """Locust writes its stats CSV once a second and not at the end; the run rewrites it from the final figures."""
    import csv

    proc, report = load(tmp_path, "h2o3.polling", "-u", "2", "-t", "3s", "--mock-speed", "10")
    # a slow shared machine may break an SLO (exit 1): the files are written all the same
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr[-2000:]
    assert report is not None
    with (tmp_path / "locust_stats.csv").open(newline="") as fh:
        rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(fh)}
    total = sum(e["requests"] for e in report["entries"])
    assert total > 0
    assert int(rows[("", "Aggregated")]["Request Count"]) == total
    for entry in report["entries"]:
        assert int(rows[(entry["type"], entry["name"])]["Request Count"]) == entry["requests"], entry["key"]


IDLE_PROFILE = """
from locust import constant, task

from h2oharness.loadtest import HarnessUser


class PollingUser(HarnessUser):
    wait_time = constant(0.5)

    @task
    def idle(self) -> None:
        pass
"""


def test_a_run_that_recorded_nothing_says_so_where_it_fails(tmp_path: Path) -> None:
    # it failed, exit 1, on "0 requests, 0 failures (0.0%); 1/1 SLOs met": no line and no error of load.json said why
    suite = tmp_path / "suite"
    (suite / "loadtests").mkdir(parents=True)
    (suite / "loadtests" / "h2o3.py").write_text(IDLE_PROFILE)
    (suite / "loadtests" / "h2o3.slo.yaml").write_text("polling:\n  - failure_ratio: 0.01\n")
    out = tmp_path / "out"
    proc, report = load(out, "h2o3.polling", "-u", "1", "-t", "1s", suite=suite)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    said = "the run recorded nothing: no request, job, stream or task of PollingUser ended in 1 s"
    assert report["passed"] is False
    assert report["errors"] == [f"{said}, so there is nothing to judge its SLOs on"]
    assert f"error: {said}" in proc.stdout
    assert said in (out / "load.html").read_text()
