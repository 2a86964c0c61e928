"""The stream timing benchmark runs as a script and prints one row per kind and concurrency; never its speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "stream_timing.py"
COLUMNS = 12


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_quick_run_prints_a_row_per_kind_and_concurrency_with_every_stream_read() -> None:
    done = run("--quick")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("kind "))
    assert set(lines[header + 1].replace(" ", "")) == {"-"}
    rows = [line.split() for line in lines[header + 2 :] if line.strip() and not line.startswith("note:")]
    assert [(row[0], row[1]) for row in rows] == [("jsonl", "1"), ("jsonl", "50"), ("sse", "1"), ("sse", "50")]
    for row in rows:
        assert len(row) == COLUMNS, row
        assert row[2] == "0", row  # no stream failed its contract
        assert all(cell != "-" for cell in row[3:]), row  # every figure was measured
        floats = [float(cell) for cell in row[3:]]
        assert floats[5] >= 0, row  # a lag is an arrival after its write stamp: never negative on one clock


def test_bad_options_are_usage_errors() -> None:
    done = run("--kinds", "jsonl,grpc")
    assert done.returncode == 2
    assert "unknown kind(s) grpc" in done.stderr
    assert "Traceback" not in done.stderr
