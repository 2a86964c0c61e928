"""A load run against a mock that injects faults counts them as failures, ends on time and still writes its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = """
seed: 3
rules:
  - {path: /3/Frames, fault: reset}
  - {path: /3/Jobs, fault: drip=0.2}
"""


def test_faults_under_load_are_counted_and_reported(tmp_path: Path) -> None:
    plan = tmp_path / "faults.yaml"
    plan.write_text(PLAN)
    out = tmp_path / "report"
    command = [sys.executable, "-m", "h2oharness.cli", "load", "h2o3.mixed", "--suite-dir", str(ROOT)]
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
    # Locust's failures CSV may miss the last second of a run: only the final JSON statistics are checked
    assert (out / "locust.html").is_file()
