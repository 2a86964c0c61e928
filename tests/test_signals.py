"""Signals to ``h2oharness run`` and ``load``: the children stop, nothing of their group is left, reports stay.

Each test starts the CLI as a subprocess on loopback and finds its child's process group
through /proc (psutil may not be installed); every wait is a bounded number of polls.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from h2oharness.loadrunner import read_stats_csv

ROOT = Path(__file__).resolve().parent.parent
#: polls of 0.1 s while waiting for something; generous, as the machine may be busy
POLLS = 1200

pytestmark = pytest.mark.slow


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp...); None once gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return None if fields[0] == "Z" else fields


def members(pgid: int) -> list[int]:
    """The live processes of process group ``pgid``."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    return [pid for pid in pids if (fields := stat(pid)) is not None and int(fields[2]) == pgid]


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    return sorted(child for child in pids if (fields := stat(child)) is not None and int(fields[1]) == pid)


def wait_for(what: str, condition: Callable[[], bool], polls: int = POLLS) -> None:
    for _ in range(polls):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    """``h2oharness <args>`` with its output into files (so nothing blocks on a full pipe)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_", "HYPOTHESIS_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with (tmp_path / "stdout").open("wb") as out, (tmp_path / "stderr").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "h2oharness.cli", *args],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,  # so that the test can clean up after a failure without touching its own group
        )


def moved(proc: subprocess.Popen[bytes]) -> list[int]:
    """The CLI's children that have left its group.

    A child is seen from its fork on, but joins its own group only just before its exec: read earlier, it is
    still in the CLI's group, and the next read finds it elsewhere.
    """
    return [pid for pid in children(proc.pid) if (fields := stat(pid)) is not None and int(fields[2]) != proc.pid]


def child_group(proc: subprocess.Popen[bytes], count: int = 1) -> tuple[list[int], int]:
    """The CLI's first ``count`` children, once started in a group other than the CLI's, and that group."""
    wait_for(f"{count} children of the CLI in a group of their own", lambda: len(moved(proc)) >= count)
    found = moved(proc)
    fields = stat(found[0])
    assert fields is not None
    pgid = int(fields[2])
    assert pgid != os.getpgrp(), "the child is in the test's group"
    return found, pgid


def last_line(tmp_path: Path) -> str:
    lines = (tmp_path / "stderr").read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def cleanup(proc: subprocess.Popen[bytes], pgid: int | None) -> None:
    """After a failed assertion: nothing of the test may go on running."""
    for group in (proc.pid, pgid):
        if group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
    proc.wait(timeout=60)


def streams(reports: Path) -> int:
    """JSONL streams in the master's figures so far (its CSV, rewritten every second)."""
    entries = read_stats_csv(reports / "locust_stats.csv")
    return sum(e.requests for e in entries if e.key == "STREAM h2ogpte jsonl stream")


def records(reports: Path, tested: bool = False) -> int:
    """How many tests the run's progress.jsonl records as finished (with ``tested``, only those that passed or
    failed: one the mock does not implement skips)."""
    progress = reports / "progress.jsonl"
    lines = (progress.read_text() if progress.is_file() else "").splitlines()
    found = []
    for line in lines:
        try:  # the last line may be read while it is being written
            found += [json.loads(line)["record"]] if line.startswith('{"record"') else []
        except ValueError:
            continue
    return sum(1 for record in found if not tested or record.get("outcome") in ("passed", "failed"))


def test_sigterm_to_run_stops_pytest_and_its_workers_and_the_report_is_written(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    proc = start(tmp_path, "run", "--target", "mock", "--api", "h2o3", "--workers", "2", "--max-examples", "3",
                 "--report-dir", str(reports), "--suite-dir", str(ROOT))  # fmt: skip
    pgid = None
    try:
        (pytest_pid,), pgid = child_group(proc)
        wait_for("a finished test", lambda: records(reports) >= 1)
        group = members(pgid)
        assert pytest_pid in group
        assert len(group) >= 3  # the controller and its two xdist workers
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=300) == 143
    finally:
        cleanup(proc, pgid)
    html = reports.resolve() / "conformance.html"
    assert last_line(tmp_path) == f"h2oharness: stopped by SIGTERM; the tests done so far are in {html}"
    assert members(pgid) == []
    collected = re.search(r"(\d+) tests collected", (tmp_path / "stderr").read_text())
    assert collected is not None
    assert 1 <= records(reports) < int(collected[1]), "the tests done before the stop, and not all of them"
    report = json.loads((reports / "conformance.json").read_text())
    assert any(op["outcome"] != "untested" for api in report["apis"] for op in api["operations"])


def test_sigterm_to_a_distributed_load_stops_locust_and_keeps_every_figure(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    # streams of about 3 s, back to back: some are running whenever the signal comes
    proc = start(tmp_path, "load", "h2ogpte.streaming", "-u", "4", "-t", "120s", "--mock-speed", "0.1", "--workers",
                 "2", "--max-time", "300s", "--report-dir", str(reports), "--suite-dir", str(ROOT))  # fmt: skip
    pgid = None
    try:
        locusts, pgid = child_group(proc, count=3)
        assert sorted(members(pgid)) == sorted(locusts)  # the master and both workers share the group
        wait_for("streams in the master's figures", lambda: streams(reports) > 0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=300) == 143
    finally:
        cleanup(proc, pgid)
    load_html = reports.resolve() / "load.html"
    assert last_line(tmp_path) == f"h2oharness: stopped by SIGTERM; the figures until then are in {load_html}"
    assert members(pgid) == []
    report = json.loads((reports / "load.json").read_text())
    # the stop is said, and nothing else: the master's figures are the sum of its workers' (aggregation_errors)
    assert report["errors"] == ["stopped by SIGTERM: the figures are those until then"]
    assert len(list(reports.glob("worker-*.json"))) == 2
    entries = {e["key"]: e["requests"] for e in report["entries"]}
    assert entries["STREAM h2ogpte jsonl stream"] > 0


def test_a_killed_run_s_pytest_stops_after_its_running_tests_and_writes_its_report(tmp_path: Path) -> None:
    # before, a harness killed outright (SIGKILL, the OOM killer, a CI runner's hard timeout) left its pytest
    # sending requests to the target until the whole sweep was done, or forever against a hung target
    reports = tmp_path / "reports"
    # a sweep of many minutes, with no --max-time: only the harness's death can end it early
    proc = start(tmp_path, "run", "--target", "mock", "--api", "h2o3", "--workers", "2", "--all-operations",
                 "--max-examples", "50", "--report-dir", str(reports), "--suite-dir", str(ROOT))  # fmt: skip
    pgid = None
    try:
        _, pgid = child_group(proc)
        wait_for("a tested operation", lambda: records(reports, tested=True) >= 1)
        assert len(members(pgid)) >= 3  # the controller and its two xdist workers
        proc.kill()
        proc.wait(timeout=60)
        wait_for("pytest and its workers stopping", lambda: members(pgid) == [])
    finally:
        cleanup(proc, pgid)
    # written by pytest itself, the harness gone: the tests done, and the stop said per API
    report = json.loads((reports / "conformance.json").read_text())
    (h2o3,) = report["apis"]
    assert any(error.startswith("the run was stopped: ") for error in h2o3["errors"]), h2o3["errors"]
    assert any(op["outcome"] != "untested" for op in h2o3["operations"])


def test_a_killed_load_s_locust_stops_with_it(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    # Locust would load for ten minutes, its hard limit later still: nothing but the harness's death ends it
    proc = start(tmp_path, "load", "h2ogpte.streaming", "-u", "1", "-t", "600s", "--report-dir", str(reports),
                 "--suite-dir", str(ROOT))  # fmt: skip
    pgid = None
    try:
        _, pgid = child_group(proc)
        wait_for("streams in Locust's figures", lambda: streams(reports) > 0)
        proc.kill()
        proc.wait(timeout=60)
        wait_for("Locust stopping", lambda: members(pgid) == [])
    finally:
        cleanup(proc, pgid)
