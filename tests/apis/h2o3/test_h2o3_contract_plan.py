"""H2O-3's contract plan: its stateful flow goes as deep as its check asks whatever --max-examples is given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_the_flow_reaches_parse_setup_with_a_single_example(tmp_path: Path) -> None:
    """``run --max-examples 1`` (a quick look) was a new failure of the flow ("no sequence reached ParseSetup"),
    against a mock that conforms: the flow's depth is judged on its own minimum of sequences, not on that."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:locust", "-q"]
    command += ["contracts/h2o3", "-k", "stateful_flow", "--harness-max-examples", "1", "-rA"]
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(tmp_path / ".hypothesis")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "test_h2o3_stateful_flow" in done.stdout, done.stdout[-2000:]
    assert "no sequence reached ParseSetup" not in done.stdout
    assert done.returncode == 0, done.stdout[-2000:]
