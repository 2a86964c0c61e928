"""The polling benchmark runs as a script and prints the table it promises; its figures are checked, never its speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "polling_vs_fixed_loop.py"
VARIANTS = ("linear", "queued", "front-loaded", "back-loaded", "no-progress")
COLUMNS = 8


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def sections(stdout: str) -> dict[str, list[list[str]]]:
    """Each ``[variant]`` table's data rows, split into cells."""
    found: dict[str, list[list[str]]] = {}
    for block in stdout.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith("["):
            name = lines[0][1 : lines[0].index("]")]
            assert lines[1].split()[:2] == ["job", "s"], lines[1]
            assert set(lines[2].replace(" ", "")) == {"-"}, lines[2]
            found[name] = [line.split() for line in lines[3:]]
    return found


def test_prints_one_row_per_duration_for_every_variant() -> None:
    done = run("--durations", "0.2,5", "--trials", "1", "--spread", "0", "--rtt", "0")
    assert done.returncode == 0, done.stderr
    tables = sections(done.stdout)
    assert sorted(tables) == sorted(VARIANTS)
    for name, rows in tables.items():
        assert [row[0] for row in rows] == ["0.2", "5"], name
        for row in rows:
            assert len(row) == COLUMNS, (name, row)
            fixed_req, fixed_lag, ours_req, ours_lag, ours_max = (float(v) for v in row[1:6])
            assert fixed_req >= 1, (name, row)
            assert ours_req >= 1, (name, row)
            assert fixed_lag >= 0, (name, row)
            assert 0 <= ours_lag <= ours_max, (name, row)


def test_fixed_loop_figures_follow_from_its_two_second_grid() -> None:
    # polls at 0, 2, 4, 6 s: a 0.2 s job is seen at 2 s (2 requests, 1.8 s late), a 5 s one at 6 s (4 requests, 1 s)
    done = run("--durations", "0.2,5", "--trials", "1", "--spread", "0", "--rtt", "0", "--variants", "linear")
    assert done.returncode == 0, done.stderr
    rows = {row[0]: row for row in sections(done.stdout)["linear"]}
    assert rows["0.2"][1:3] == ["2.0", "1.800"]
    assert rows["5"][1:3] == ["4.0", "1.000"]


def test_an_unknown_variant_is_a_usage_error() -> None:
    done = run("--variants", "linear,sideways")
    assert done.returncode == 2
    assert "unknown variant(s) sideways" in done.stderr
    assert "Traceback" not in done.stderr


YIELD = ROOT / "benchmarks" / "sweep_yield.py"
YIELD_ROWS = (
    "seconds sending",
    "requests answered",
    "requests without an answer",
    "distinct 5xx throw sites",
    "node deaths",
    "distinct death root causes",
    "distinct defects",
    "distinct defects per hour",
)


def test_sweep_yield_prints_both_runs_side_by_side_on_the_mock() -> None:
    # the mock, not a real H2O-3: the table's shape and arithmetic are checked here, a real node's figures never
    done = subprocess.run(
        [sys.executable, str(YIELD), "--target", "mock", "--budget", "5s", "--paths", "^/3/(Cloud|Jobs)$"],
        cwd=ROOT, capture_output=True, text=True, timeout=170, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("budget 5 s each, run at once; ours: exit 0; plain: 1 runs, exit")
    assert lines[1].split() == ["figure", "ours", "plain", "ours/plain"]
    rows = {line[:26].strip(): line[26:].split() for line in lines[3 : 3 + len(YIELD_ROWS)]}
    assert tuple(rows) == YIELD_ROWS
    # how many each sent depends on the machine: only that the ratio follows from them
    ours, plain = int(rows["requests answered"][0]), int(rows["requests answered"][1])
    assert rows["requests answered"][2] == (f"{ours / plain:.2f}x" if plain else "-")
    for column in (0, 1):
        sites, causes = int(rows["distinct 5xx throw sites"][column]), int(rows["distinct death root causes"][column])
        assert int(rows["distinct defects"][column]) == sites + causes
    assert any(line.startswith("ours/plain, distinct defects per hour: ") for line in lines)
