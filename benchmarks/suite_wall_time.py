"""Wall time of the hermetic H2O-3 suite (contracts + scenarios against the mock) with one and with two xdist workers.

Run from anywhere: ``python benchmarks/suite_wall_time.py [--repeat N] [--workers 1,2] [--timeout S]``.
Each run is a fresh ``python -m pytest`` subprocess from the repository root, so the figures include
interpreter start-up, collection and the per-worker mock, as a developer or CI sees them.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import signal
import statistics
import subprocess
import sys
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


class NotRunnable(Exception):
    """The suite cannot run on this checkout yet; the message is one line saying why."""


@dataclass(frozen=True)
class Run:
    """One timed pytest invocation."""

    workers: int
    seconds: float
    exit_code: int
    result: str


def command(workers: int) -> list[str]:
    """The pytest command line of one run, as the brief gives it plus ``-n``."""
    return [
        sys.executable,
        "-m",
        "pytest",
        *SUITE,
        "-p",
        "no:cacheprovider",
        "-q",
        "--harness-target",
        "mock",
        "-n",
        str(workers),
    ]


def preflight() -> None:
    """Raise NotRunnable when a path or module the suite needs is missing."""
    for rel in SUITE:
        if not (ROOT / rel).exists():
            raise NotRunnable(f"{rel}/ does not exist under {ROOT}")
    for module in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise NotRunnable(f"module {module} does not exist yet")


def run_once(workers: int, timeout: float) -> Run:
    """Time one pytest run in its own process group, killed as a whole when it outlives ``timeout``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        command(workers),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # xdist workers are grandchildren: end the whole group this run started, not just pytest
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise NotRunnable(f"pytest -n {workers} did not finish within {timeout:.0f} s") from None
    seconds = time.perf_counter() - start
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    broken = next((line for line in lines if BROKEN_LINE.match(line)), None)
    if proc.returncode not in (0, 1) or broken is not None:
        reason = broken or (lines[-1] if lines else "no output")
        raise NotRunnable(f"pytest -n {workers} exited {proc.returncode}: {reason}")
    result = next((line.strip("= ") for line in reversed(lines) if RESULT_LINE.search(line)), lines[-1])
    return Run(workers, seconds, proc.returncode, result)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, time the runs, print one row per run and one per worker count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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

    print(f"suite wall time: python {' '.join(command(0)[1:-1])} N   (cwd {ROOT})")
    print(machine())
    runs: list[Run] = []
    try:
        preflight()
        for _ in range(args.repeat):
            for workers in counts:
                runs.append(run_once(workers, args.timeout))
                print(f"  -n {workers}: {runs[-1].seconds:.1f} s  {runs[-1].result}", flush=True)
    except NotRunnable as exc:
        print(f"error: the suite is not runnable: {exc}")
        return 1

    print()
    rows = [[f"-n {r.workers}", f"{r.seconds:.1f}", r.exit_code, r.result] for r in runs]
    print(table(["workers", "seconds", "exit", "pytest result"], rows, align="lrrl"))
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
