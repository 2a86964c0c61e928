"""The benchmarks run as scripts and print the tables they promise; their figures are checked, never their speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "polling_vs_fixed_loop.py"
VARIANTS = ("linear", "queued", "front-loaded", "back-loaded", "stepped", "no-progress")
COLUMNS = 10


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
    done = run("--durations", "0.2,5", "--trials", "1", "--spread", "0", "--rtt", "0", "--mode", "alone")
    assert done.returncode == 0, done.stderr
    tables = sections(done.stdout)
    assert sorted(tables) == sorted(VARIANTS)
    for name, rows in tables.items():
        assert [row[0] for row in rows] == ["0.2", "5", "mix"], name
        for row in rows:
            assert len(row) == COLUMNS, (name, row)
            fixed_req, fixed_lag, ours_req, ours_lag, ours_max = (float(v) for v in row[1:6])
            assert fixed_req >= 1, (name, row)
            assert ours_req >= 1, (name, row)
            assert fixed_lag >= 0, (name, row)
            assert 0 <= ours_lag <= ours_max, (name, row)
            assert row[-1] in {"met", "req", "lag", "req+lag", "extra"}, (name, row)


def test_prints_a_verdict_per_target_and_says_why_short_jobs_cannot_meet_it() -> None:
    done = run("--durations", "0.5,60", "--trials", "3")
    assert done.returncode == 0, done.stderr
    targets = [
        "requests <= 0.9x the fixed loop's, jobs with progress",
        "detection lag <= 0.05x the fixed loop's, jobs with progress",
        "no more requests than the fixed loop, jobs without progress",
    ]
    for mode in ("alone", "kind"):
        verdicts = [line for line in done.stdout.splitlines() if line.startswith(f"{mode}: verdict: ")]
        assert [v.split(":")[2].strip() for v in verdicts] == targets, mode
        assert verdicts[2].split(": ")[3].startswith("MET"), mode
    # alone, a 0.5 s job costs the fixed loop 2 requests, and the harness as many: the miss is named, with its reason
    alone = done.stdout[: done.stdout.index("== kind")]
    assert "NOT MET" in alone.split("alone: verdict: requests")[1].splitlines()[0]
    assert "linear 0.5 s 1.00x" in alone
    assert "why not below 0.9x for jobs under 2 s" in alone
    assert "mean over the mix of durations" in done.stdout


def kind_and_alone(*args: str) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    alone, kind = done.stdout.split("== kind")
    return sections(alone), sections(kind)


def test_a_run_of_jobs_of_one_kind_goes_below_the_two_request_floor_of_a_job_alone() -> None:
    # 21 one-second jobs: alone each costs the fixed loop's 2 requests; as one kind the first polls aim at their end
    alone, kind = kind_and_alone("--durations", "1", "--variants", "linear,back-loaded,no-progress")
    for shape in ("linear", "back-loaded"):
        alone_row, kind_row = alone[shape][0], kind[shape][0]
        assert float(alone_row[3]) == 2.0, alone_row
        assert float(kind_row[3]) < 0.9 * float(kind_row[1]), kind_row  # requests
        assert float(kind_row[4]) < 0.05 * float(kind_row[2]), kind_row  # lag
        assert kind_row[-1] == "met", kind_row
    # and never a request more than the fixed loop on a job without progress
    assert int(kind["no-progress"][0][8]) <= 0


def test_a_stepped_kind_that_misses_is_told_why() -> None:
    done = run("--durations", "5,60", "--variants", "stepped", "--mode", "kind")
    assert done.returncode == 0, done.stderr
    rows = {row[0]: row for row in sections(done.stdout)["stepped"]}
    assert rows["60"][-1] == "met", rows["60"]  # long enough to pin the end at step transitions
    assert "lag" in rows["5"][-1], rows["5"]
    assert "why not for stepped jobs" in done.stdout
    assert "5 s needs ~5 vs 3.60" in done.stdout


def test_fixed_loop_figures_follow_from_its_two_second_grid() -> None:
    # polls at 0, 2, 4, 6 s: a 0.2 s job is seen at 2 s (2 requests, 1.8 s late), a 5 s one at 6 s (4 requests, 1 s)
    done = run(
        "--durations",
        "0.2,5",
        "--trials",
        "1",
        "--spread",
        "0",
        "--rtt",
        "0",
        "--variants",
        "linear",
        "--mode",
        "alone",
    )
    assert done.returncode == 0, done.stderr
    rows = {row[0]: row for row in sections(done.stdout)["linear"]}
    assert rows["0.2"][1:3] == ["2.0", "1.800"]
    assert rows["0.2"][3] == "1.0"  # the harness's first poll, 0.25 s after the submit, already sees it done
    assert rows["5"][1:3] == ["4.0", "1.000"]


def test_an_unknown_variant_is_a_usage_error() -> None:
    done = run("--variants", "linear,sideways")
    assert done.returncode == 2
    assert "unknown variant(s) sideways" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_load_overhead_prints_both_users_and_the_capacity_curve() -> None:
    """benchmarks/load_overhead.py --quick: its tables and its answer line, never its speed."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_overhead.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in done.stdout.split("\n\n") if b.startswith("[")}
    users = next(rows for head, rows in blocks.items() if head.startswith("[open model]"))
    assert users[0].split()[:4] == ["user", "offered", "/s", "achieved"]
    assert [row.split()[0] for row in users[2:]] == ["bare", "harness"]
    for row in users[2:]:
        cells = row.split()
        assert int(cells[-2]) > 0, row  # both really polled
        assert int(cells[-6]) <= int(cells[-5]), row  # dispatch p50 <= p99
    curve = next(rows for head, rows in blocks.items() if head.startswith("[capacity]"))
    assert curve[0].split()[:2] == ["offered", "/s"]
    assert [row.split()[0] for row in curve[2:]] == ["2"]  # --quick: one rate, one window
    assert curve[2].split()[-1] in ("pass", "fail")
    assert done.stdout.strip().splitlines()[-1].startswith("capacity: ")


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


TREES = ROOT / "benchmarks" / "tree_predict.py"


def run_trees(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TREES), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_tree_predict_prints_walked_and_compiled_side_by_side_with_the_same_floats() -> None:
    done = run_trees("--quick")
    assert done.returncode == 0, done.stderr[-2000:]
    tables = [b.splitlines() for b in done.stdout.split("\n\n") if b.startswith("[")]
    assert len(tables) == 5
    for lines in tables:
        assert lines[1].split() == ["rows", "nodes", "deepest", "walked", "s", "predict", "s", "compile", "s", "path",
                                    "speedup", "same"]  # fmt: skip
        rows = [line.split() for line in lines[3:]]
        assert [row[0] for row in rows] == ["2000", "100"], lines[0]
        for row in rows:
            assert row[6] in ("compiled", "walked"), row
            assert (row[5] == "-") == (row[6] == "walked"), row  # a compile time only where it compiled
            assert row[-1] == "yes", row  # both ways gave the same floats, bit for bit
    assert "compiled" in done.stdout  # the fitted ensembles pay at 2000 rows


def test_tree_predict_refuses_rows_it_cannot_use() -> None:
    done = run_trees("--rows", "10,x")
    assert done.returncode == 2
    assert "--rows must be whole numbers" in done.stderr
    assert "Traceback" not in done.stderr


POLL = ROOT / "benchmarks" / "h2ogpte_collection_poll.py"


def test_h2ogpte_collection_poll_prints_scan_and_index_side_by_side() -> None:
    done = subprocess.run(
        [sys.executable, str(POLL), "--documents", "0,200", "--polls", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("documents held"))
    rows = [line.split() for line in lines[header + 2 :] if line.strip()]
    assert [row[0] for row in rows] == ["0", "200"]
    assert all(len(row) == 5 and all(float(cell) > 0 for cell in row[1:]) for row in rows), rows


SUBMIT = ROOT / "benchmarks" / "mock_job_submit.py"


def test_mock_job_submit_prints_both_boards_side_by_side() -> None:
    done = subprocess.run(
        [sys.executable, str(SUBMIT), "--held", "0,200", "--submits", "20"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("finished held"))
    rows = [line.split() for line in lines[header + 2 :] if line.strip()]
    assert [row[0] for row in rows] == ["0", "200"]
    assert all(len(row) == 7 and all(float(cell) > 0 for cell in row[1:]) for row in rows), rows
    refused = subprocess.run([sys.executable, str(SUBMIT), "--held", "1,x"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert refused.returncode == 2
    assert "--held must be whole numbers" in refused.stderr


SUMMARY = ROOT / "benchmarks" / "h2o3_frame_summary.py"


def test_h2o3_frame_summary_prints_every_get_and_kept_side_by_side() -> None:
    done = subprocess.run(
        [sys.executable, str(SUMMARY), "--rows", "200", "--cols", "3", "--gets", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rows "))
    rows = [line.split() for line in lines[header + 2 :] if line.strip()]
    assert [row[0] for row in rows] == ["200"]
    assert all(len(row) == 5 and all(float(cell) >= 0 for cell in row[1:]) for row in rows), rows


POOL = ROOT / "benchmarks" / "arrival_pool.py"


def test_arrival_pool_prints_own_share_and_shared_side_by_side() -> None:
    done = subprocess.run(
        [sys.executable, str(POOL), "--seconds", "120"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    blocks = {b.splitlines()[0]: b.splitlines() for b in done.stdout.split("\n\n")[1:]}
    assert len(blocks) == 3, done.stdout
    for title, lines in blocks.items():
        rows = [line.split() for line in lines[3:-1]]
        assert lines[1].split()[:2] == ["rate", "/s"], lines
        # shared is never later than own share: the first free user takes what its own user could not
        assert all(float(row[6]) <= float(row[3]) for row in rows), (title, rows)
        highest = lines[-1].split(": ")[1]
        own, share = (float(part.split()[-1].rstrip("/s")) for part in highest.split(", "))
        assert share >= own, lines[-1]
        if title.startswith("[jobs"):  # times spread wide: an own share is late long before all users are busy
            assert share >= 2 * own, lines[-1]
        if "fixed" in title:  # every stream ends before its user's next is due: nobody is ever late
            assert all(row[4] == row[7] == "0.0%" for row in rows), rows
