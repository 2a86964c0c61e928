"""Wall time of the hermetic suites: the H2O-3 suite with one and two xdist workers, or the whole main job.

Run from anywhere: ``python benchmarks/suite_wall_time.py [--repeat N] [--workers 1,2] [--timeout S]``.
Each run is a fresh ``python -m pytest`` subprocess from the repository root, so the figures include
interpreter start-up, collection and the per-worker mock, as a developer or CI sees them. Each run's CPU time
(its processes' user + system, those it waited for) says how busy it kept the machine's cores.

``--whole`` times the whole suite as CI runs it instead (every test path, ``--harness-target mock,local``).

``--main-job`` times the Quick start's main job instead, ``h2oharness run --target mock`` (all four APIs,
its default workers), once per ``--root`` (checkouts side by side, e.g. a worktree of an older commit), each
run from its own checkout with that checkout's package first on the path.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _table import machine, table

ROOT = Path(__file__).resolve().parent.parent
SUITE = ["contracts/h2o3", "scenarios"]
# what the suite needs before it can say anything about the mock; a missing one is "not runnable", not a figure
REQUIRED_MODULES = ["h2oharness.apis.h2o3.mock", "h2oharness.apis.h2o3.client", "h2oharness.apis.h2o3.payloads"]
RESULT_LINE = re.compile(r"\b(passed|failed|errors?|skipped|xfailed|xpassed|no tests ran)\b.* in [\d.]+s")
BROKEN_LINE = re.compile(r"^(ERROR collecting |E\s+(ModuleNotFoundError|ImportError)\b|ERROR: )")


class SuiteError(Exception):
    """The suite cannot be timed on this checkout (missing pieces, collection errors, a run too long); one line."""


@dataclass(frozen=True)
class Run:
    """One timed pytest invocation."""

    workers: int
    seconds: float
    exit_code: int
    result: str
    cpu_seconds: float = 0.0


#: the whole suite as CI runs it: every test path (pyproject's testpaths) on both targets
WHOLE = ["--harness-target", "mock,local"]


def command(*extra: str, whole: bool = False) -> list[str]:
    """The suite's pytest command line as the brief gives it (or the whole suite's), plus ``extra`` (``-n N`` or
    ``--collect-only``)."""
    suite = WHOLE if whole else [*SUITE, "--harness-target", "mock"]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *suite, *extra]


def children_cpu() -> float:
    """User + system seconds of the processes this one has waited for, so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float, what: str) -> tuple[int, list[str], float]:
    """Run ``cmd`` in its own process group; return exit code, non-blank output lines and wall seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # xdist workers are grandchildren: end the whole group this run started, not just pytest
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SuiteError(f"{what} did not finish within {timeout:.0f} s (see --timeout)") from None
    seconds = time.perf_counter() - start
    return proc.returncode, [line.strip() for line in output.splitlines() if line.strip()], seconds


def pytest_run(extra: list[str], timeout: float, whole: bool = False) -> tuple[int, list[str], float]:
    """Run the suite's pytest with ``extra``; return exit code, non-blank output lines and wall seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return timed(command(*extra, whole=whole), ROOT, env, timeout, f"pytest {' '.join(extra)}")


def broken(code: int, lines: list[str]) -> str | None:
    """Why a run says nothing about speed (an import or usage error, nothing collected), or None."""
    line = next((line for line in lines if BROKEN_LINE.match(line)), None)
    if code not in (0, 1) or line is not None:
        return f"pytest exited {code}: {line or (lines[-1] if lines else 'no output')}"
    return None


def busy(run: Run, cores: int) -> list[str]:
    """A run's CPU seconds, and the share of the machine's cores they kept busy over its wall time."""
    return [f"{run.cpu_seconds:.0f}", f"{run.cpu_seconds / run.seconds / cores:.0%}"]


def preflight(timeout: float, whole: bool = False) -> str:
    """Raise SuiteError when a path or module is missing or collection fails; return pytest's collection line."""
    for rel in SUITE:
        if not (ROOT / rel).exists():
            raise SuiteError(f"the suite is not runnable: {rel}/ does not exist under {ROOT}")
    for module in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise SuiteError(f"the suite is not runnable: module {module} does not exist yet")
    code, lines, _ = pytest_run(["--collect-only"], timeout, whole)
    reason = broken(code, lines)
    if reason is not None:
        raise SuiteError(f"the suite is not runnable: collection failed: {reason}")
    return lines[-1].strip("= ") if lines else "nothing collected"


def run_once(workers: int, timeout: float, whole: bool = False) -> Run:
    """Time one run of the suite with ``workers`` xdist workers."""
    before = children_cpu()
    code, lines, seconds = pytest_run(["-n", str(workers)], timeout, whole)
    reason = broken(code, lines)
    if reason is not None:
        raise SuiteError(f"-n {workers}: {reason}")
    result = next((line.strip("= ") for line in reversed(lines) if RESULT_LINE.search(line)), lines[-1])
    return Run(workers, seconds, code, result, children_cpu() - before)


def main_job_once(root: Path, timeout: float, bytecode: bool) -> Run:
    """Time ``h2oharness run --target mock`` from the checkout ``root`` (its package first on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_", "PYTHONPATH"))}
    env["PYTHONPATH"] = str(root)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    reports = Path(tempfile.mkdtemp(prefix="h2oharness-main-job-"))
    cmd = [sys.executable, "-m", "h2oharness.cli", "run", "--target", "mock", "--report-dir", str(reports)]
    code, lines, seconds = timed(cmd, root, env, timeout, f"the main job in {root}")
    verdict = next((line for line in lines if line.startswith(("OK", "FAILED", "ERROR"))), "")
    result = verdict or next((line for line in reversed(lines) if RESULT_LINE.search(line)), lines[-1] if lines else "")
    shutil.rmtree(reports, ignore_errors=True)
    return Run(0, seconds, code, result[:100])


def main_job(roots: list[Path], repeat: int, timeout: float, bytecode: bool) -> int:
    """Time the main job once per root (``repeat`` rounds), side by side."""
    cache = "on" if bytecode else "as the environment says"
    print(f"main job wall time: python -m h2oharness.cli run --target mock   (bytecode cache {cache})")
    print(machine())
    rows = []
    try:
        for round_ in range(repeat):
            for root in roots:
                run = main_job_once(root, timeout, bytecode)
                rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
                rows.append(
                    [str(root), rev.stdout.strip() or "?", round_ + 1, f"{run.seconds:.1f}", run.exit_code, run.result]
                )
                print(f"  {root} ({rows[-1][1]}): {run.seconds:.1f} s, exit {run.exit_code}", flush=True)
    except SuiteError as exc:
        print(f"error: {exc}")
        return 1
    print()
    print(table(["checkout", "commit", "run", "seconds", "exit", "verdict"], rows, align="llrrrl"))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, time the runs, print one row per run and one per worker count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--main-job", action="store_true", help="time `h2oharness run --target mock` instead")
    parser.add_argument(
        "--root", action="append", type=Path, default=[], help="with --main-job: a checkout (repeatable)"
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="with --main-job: let Python write its bytecode cache (unset PYTHONDONTWRITEBYTECODE)",
    )
    parser.add_argument("--whole", action="store_true", help="time the whole suite as CI runs it (mock,local)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (default 1)")
    parser.add_argument("--workers", default="1,2", help="comma-separated xdist worker counts (default 1,2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before one run is killed (default 300)")
    args = parser.parse_args(argv)
    try:
        counts = [int(w) for w in args.workers.split(",") if w.strip()]
    except ValueError:
        parser.error(f"--workers must be comma-separated integers, not {args.workers!r}")
    if args.repeat < 1 or not counts or min(counts) < 1:
        parser.error("--repeat and every --workers count must be at least 1")
    if args.main_job:
        roots = [r.resolve() for r in args.root] or [ROOT]
        for root in roots:
            if not (root / "h2oharness").is_dir() or not (root / "contracts").is_dir():
                parser.error(f"--root {root} is not an h2oharness checkout (no h2oharness/ and contracts/ in it)")
        return main_job(roots, args.repeat, args.timeout, args.bytecode)

    print(f"suite wall time: python {' '.join(command(whole=args.whole)[1:])} -n N   (cwd {ROOT})")
    print(machine())
    runs: list[Run] = []
    try:
        print(f"collected: {preflight(args.timeout, args.whole)}", flush=True)
        for _ in range(args.repeat):
            for workers in counts:
                runs.append(run_once(workers, args.timeout, args.whole))
                print(f"  -n {workers}: {runs[-1].seconds:.1f} s  {runs[-1].result}", flush=True)
    except SuiteError as exc:
        print(f"error: {exc}")
        return 1

    print()
    cores = os.cpu_count() or 1
    rows = [[f"-n {r.workers}", f"{r.seconds:.1f}", *busy(r, cores), r.exit_code, r.result] for r in runs]
    headers = ["workers", "seconds", "CPU s", f"of {cores} cores", "exit", "pytest result"]
    print(table(headers, rows, align="lrrrrl"))
    if args.repeat > 1 or len(counts) > 1:
        print()
        base = statistics.median(r.seconds for r in runs if r.workers == counts[0])
        summary = []
        for workers in counts:
            times = [r.seconds for r in runs if r.workers == workers]
            median = statistics.median(times)
            summary.append([f"-n {workers}", len(times), f"{median:.1f}", f"{min(times):.1f}", f"{base / median:.2f}x"])
        print(table(["workers", "runs", "median s", "min s", f"speed-up vs -n {counts[0]}"], summary))
    if any(r.exit_code != 0 for r in runs):
        print("note: some runs had failing tests; their times are real but cover a suite that did not pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
