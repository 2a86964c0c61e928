"""The Quick start's main job, as a newcomer runs it: from a clean clone, twice, with the same outcome and its three
reports, writing nothing else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _outcome(report: dict[str, Any]) -> dict[str, Any]:
    """What must not change between two runs: the exit code and every operation's and scenario's outcome."""
    return {
        "exit_code": report["exit_code"],
        "apis": {
            api["slug"]: {
                "operations": {f"{op['method']} {op['path']}": op["outcome"] for op in api["operations"]},
                "scenarios": {s["name"]: s["outcome"] for s in api["scenarios"]},
            }
            for api in report["apis"]
        },
    }


def _three_reports(folder: Path, report: dict[str, Any], proc: subprocess.CompletedProcess[str]) -> None:
    """The run's three reports and its terminal: no pytest argv, a line per test, the table, a verdict that agrees."""
    h2o3 = next(api for api in report["apis"] if api["slug"] == "h2o3")
    assert {"passed", "untested"} <= {op["outcome"] for op in h2o3["operations"]}
    assert len(h2o3["operations"]) >= 295
    assert h2o3["scenarios"], "the scenario did not run"
    assert (folder / "conformance.html").stat().st_size > 1000
    junit = (folder / "junit.xml").read_text()
    assert "<testsuite" in junit
    assert "hypothesis-statistics" not in junit
    assert "--harness-report-dir" not in proc.stderr
    assert "[h2oharness] " in proc.stderr
    assert proc.stdout.splitlines()[0].split()[:3] == ["API", "target", "tested"]
    assert "OK: no new failures (exit 0)" in proc.stdout
    assert "violate" not in proc.stdout
    assert report["exit_code"] == proc.returncode


@pytest.mark.slow
def test_the_main_job_is_green_and_the_same_twice_from_a_clean_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    outcomes = []
    for run in ("first", "second"):
        # the Quick start's command, from the clone; the package is the one installed (this checkout, editable)
        proc = subprocess.run(
            [sys.executable, "-m", "h2oharness.cli", "run", "--target", "mock", "--report-dir", f"reports/{run}"],
            cwd=clone, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert proc.returncode == 0, f"{run} run: " + proc.stdout[-3000:] + proc.stderr[-2000:]
        report = json.loads((clone / "reports" / run / "conformance.json").read_text())
        _three_reports(clone / "reports" / run, report, proc)
        outcomes.append(_outcome(report))
    assert outcomes[0] == outcomes[1]
    h2o3 = outcomes[0]["apis"]["h2o3"]
    assert "passed" in h2o3["operations"].values()
    assert set(outcomes[0]["apis"]) == {"h2o3", "h2ogpte", "coreplexml", "workflows"}
    # nothing but the report folder is written into the checkout (.hypothesis/, caches, stray files)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=clone, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    stray = [line for line in status if not line[3:].startswith("reports/") and "__pycache__" not in line]
    assert stray == []
