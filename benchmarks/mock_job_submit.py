"""Time a mock's job board takes to take one job as the jobs it holds pile up.

Run: ``python benchmarks/mock_job_submit.py [--held 1000,10000,20000] [--submits 2000]``.

Every mock submits its asynchronous jobs (parses, ingestions, runs) to a ``JobBoard`` under the mock's lock, and
the board drops its oldest finished jobs past ``keep_finished`` (10,000 by default). Each count is measured twice,
side by side: **every submit**, the board read whole at each submission to find what to drop (as before), and
**amortized**, read once the board has grown a tenth of ``keep_finished`` past its last trim (as now). The board
first holds ``--held`` finished jobs (or ``keep_finished`` of them, when more are asked: it keeps no more); then
``--submits`` jobs are submitted one after another, each finished before the next, on a manual clock.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _table import machine, table

from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import JobBoard, JobTiming

TIMING = JobTiming(queued=0.0, running=1.0)


class EverySubmit(JobBoard):
    """The board as it was: every submission reads every job held."""

    def _trim(self) -> None:
        now = self.clock.now()
        finished = [jid for jid, job in self._jobs.items() if job.phase(now).final]
        for jid in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[jid]


def measure(board: JobBoard, clock: ManualClock, held: int, submits: int) -> list[float]:
    """Seconds each of ``submits`` submissions took with about ``held`` finished jobs on ``board``."""
    filled = JobBoard(clock, keep_finished=board.keep_finished)  # as fast for both: only the submits are timed
    for _ in range(held):
        filled.submit("k", TIMING)
        clock.advance(2.0)
    board._jobs.update((job.id, job) for job in filled.all())
    board._ids = filled._ids
    spent = []
    for _ in range(submits):
        start = time.perf_counter()
        board.submit("k", TIMING)
        spent.append(time.perf_counter() - start)
        clock.advance(2.0)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", default="1000,10000,20000", help="finished jobs held first, comma-separated")
    parser.add_argument("--submits", type=int, default=2000)
    args = parser.parse_args()
    try:
        counts = [int(n) for n in args.held.split(",")]
    except ValueError:
        parser.error("--held must be whole numbers, comma-separated")
    print("JobBoard.submit, one job after another, each finished before the next (keep_finished 10,000)")
    print(machine())
    rows = []
    for held in counts:
        row: list[object] = [f"{held:,}"]
        for kind in (EverySubmit, JobBoard):
            clock = ManualClock()
            spent = sorted(measure(kind(clock), clock, held, args.submits))
            row += [f"{statistics.mean(spent) * 1e6:.1f}", f"{spent[int(0.99 * (len(spent) - 1))] * 1e6:.1f}"]
            row += [f"{spent[-1] * 1e6:.0f}"]
        rows.append(row)
    print("every submit: the board read whole at each submission (before); amortized: once it grew a tenth")
    headers = ["finished held", "every mean us", "p99", "max", "amortized mean us", "p99", "max"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
