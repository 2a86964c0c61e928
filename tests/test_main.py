"""``python -m h2oharness`` runs the same command as the ``h2oharness`` console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_python_m_h2oharness_is_the_command(tmp_path: Path) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "h2oharness", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: h2oharness ")
    # the command's exit code is the process's: 3 for a harness error, as from the console script
    missing = str(tmp_path / "missing.json")
    refused = subprocess.run(
        [sys.executable, "-m", "h2oharness", "report", "diff", missing, missing],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 3
    assert f"cannot read {missing}" in refused.stderr
