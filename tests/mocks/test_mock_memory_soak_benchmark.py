"""The memory soak benchmark runs as a script, loads a served mock and prints its figures; never its speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "mock_memory_soak.py"


def test_a_round_capped_run_prints_rss_samples_and_the_growth() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--duration", "60", "--warmup", "1", "--sample", "1", "--users", "2",
         "--max-rounds", "2", "--rows", "40"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("t s ")))
    rows = [line.split() for line in lines[header + 2 :] if line and line[0].isdigit()]
    assert len(rows) >= 2
    assert all(float(row[1]) > 0 and int(row[2]) >= 1 for row in rows), rows
    assert re.search(r"^growth after warm-up: [+-]\d+\.\d %", done.stdout, re.MULTILINE), done.stdout
    assert "rounds 4, failed 0" in done.stdout, "two users, two rounds each, every round done"
