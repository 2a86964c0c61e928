"""The harness's ``wait_for_job`` against the seed's fixed 2-second poll loop, on simulated time.

Run: ``python benchmarks/polling_vs_fixed_loop.py [--durations 0.2,5,60] [--trials 21] [--rtt 0.002]``.

Every job is a ``JobBoard`` job on a ``ManualClock``; ``sleep`` advances that clock, so a 60 s job
costs microseconds. For each nominal duration D the figures are means over ``--trials`` jobs whose
durations are spread evenly over D ± ``--spread`` (10 %), so that no strategy looks good or bad only
because D happens to be a multiple of its poll interval. Detection lag is the time from the job's
real end to the moment the client holds the poll that saw it final. Each request takes ``--rtt``
(2 ms by default, a loopback round trip; the server reads the job half way through it). With
``--rtt 0`` the early poll lands exactly on the job's end and, by float rounding, sometimes a hair
before it; the tables then show what such a miss costs.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass

from _table import machine, table

from h2oharness.http.polling import Backoff, JobStatus, wait_for_job
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import Job, JobBoard, JobPhase, JobTiming

DURATIONS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
MAX_POLLS = 100_000  # a bound on every loop, whatever the settings


@dataclass(frozen=True)
class Variant:
    """A kind of job: how its total time splits into queue and run, and how progress grows during the run."""

    name: str
    description: str
    queued_fraction: float = 0.0
    shape: Callable[[float], float | None] = lambda f: f


VARIANTS = {
    "linear": Variant("linear", "runs at once, progress grows linearly (the ETA poll's best case)"),
    "queued": Variant(
        "queued", "waits in the queue for half its time (progress 0), then runs linearly", queued_fraction=0.5
    ),
    "front-loaded": Variant(
        "front-loaded", "fast start, slow finish: progress = sqrt(t) (the ETA comes too early)", shape=math.sqrt
    ),
    "back-loaded": Variant(
        "back-loaded", "slow start, fast finish: progress = t^2 (the ETA comes too late)", shape=lambda f: f * f
    ),
    "no-progress": Variant("no-progress", "reports no progress at all (plain backoff)", shape=lambda f: None),
}


@dataclass(frozen=True)
class Outcome:
    """What one strategy cost on one job: requests sent and seconds between the job's end and seeing it."""

    requests: int
    lag: float


class SimulatedJob:
    """One job on a ManualClock and a fetch function that reads its status as a server would."""

    def __init__(self, duration: float, variant: Variant, rtt: float) -> None:
        self.clock = ManualClock()
        board = JobBoard(self.clock)
        queued = duration * variant.queued_fraction
        self.job: Job = board.submit("bench", JobTiming(queued=queued, running=duration - queued))
        self.variant = variant
        self.rtt = rtt
        self.requests = 0

    @property
    def end(self) -> float:
        """When the job really finishes, on its clock."""
        return self.job.submitted_at + self.job.timing.total

    def fetch(self) -> JobStatus:
        """One status request: half the round trip out, the server reads the job, half the round trip back."""
        self.requests += 1
        if self.requests > MAX_POLLS:
            raise RuntimeError(f"more than {MAX_POLLS} polls of one job: the settings are unreasonable")
        self.clock.advance(self.rtt / 2)
        now = self.clock.now()
        phase = self.job.phase(now)
        raw = self.job.progress(now)
        progress = 1.0 if phase is JobPhase.SUCCEEDED else self.variant.shape(raw)
        status = JobStatus(
            state=phase.value.upper(),
            progress=progress,
            final=phase.final,
            failed=phase in (JobPhase.FAILED, JobPhase.CANCELLED),
        )
        self.clock.advance(self.rtt / 2)
        return status

    def sleep(self, seconds: float) -> None:
        """What the poller's sleep does here: move simulated time."""
        self.clock.advance(seconds)


def harness(sim: SimulatedJob, backoff: Backoff, timeout: float) -> Outcome:
    """Wait with the harness's helper: growing backoff plus one early poll at the estimated finish."""
    wait_for_job(sim.fetch, timeout=timeout, backoff=backoff, clock=sim.clock.now, sleep=sim.sleep)
    return Outcome(sim.requests, sim.clock.now() - sim.end)


def fixed_loop(sim: SimulatedJob, interval: float, timeout: float) -> Outcome:
    """Wait like the seed: poll, and ``sleep 2`` until the job is final."""
    deadline = sim.clock.now() + timeout
    while not sim.fetch().final:
        if sim.clock.now() >= deadline:
            raise RuntimeError(f"the fixed loop did not see the job end within {timeout} s")
        sim.sleep(interval)
    return Outcome(sim.requests, sim.clock.now() - sim.end)


def spread(duration: float, trials: int, fraction: float) -> list[float]:
    """``trials`` durations evenly spaced over ``duration`` ± ``fraction``; just ``duration`` for one trial."""
    if trials == 1:
        return [duration]
    low, high = duration * (1 - fraction), duration * (1 + fraction)
    return [low + (high - low) * i / (trials - 1) for i in range(trials)]


def measure(variant: Variant, duration: float, args: argparse.Namespace) -> list[str]:
    """One table row: mean requests and lags of both strategies over the spread of durations, and their ratios."""
    backoff = Backoff()
    fixed: list[Outcome] = []
    ours: list[Outcome] = []
    for d in spread(duration, args.trials, args.spread):
        timeout = 3 * d + 60
        fixed.append(fixed_loop(SimulatedJob(d, variant, args.rtt), args.interval, timeout))
        ours.append(harness(SimulatedJob(d, variant, args.rtt), backoff, timeout))
    f_req = statistics.fmean(o.requests for o in fixed)
    h_req = statistics.fmean(o.requests for o in ours)
    f_lag = statistics.fmean(o.lag for o in fixed)
    h_lag = statistics.fmean(o.lag for o in ours)
    return [
        f"{duration:g}",
        f"{f_req:.1f}",
        f"{f_lag:.3f}",
        f"{h_req:.1f}",
        f"{h_lag:.3f}",
        f"{max(o.lag for o in ours):.3f}",
        f"{h_req / f_req:.2f}",
        f"{h_lag / f_lag:.2f}" if f_lag > 0 else "n/a",
    ]


HEADERS = [
    "job s",
    "fixed req",
    "fixed lag s",
    "harness req",
    "harness lag s",
    "harness max lag",
    "req ratio",
    "lag ratio",
]


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, not {text!r}") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError("every duration must be a positive number of seconds")
    return values


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and print one table per job variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", type=_floats, default=list(DURATIONS), help="job durations in seconds")
    parser.add_argument("--trials", type=int, default=21, help="jobs per duration, spread over D ± spread")
    parser.add_argument("--spread", type=float, default=0.1, help="relative spread of durations (default 0.1)")
    parser.add_argument("--interval", type=float, default=2.0, help="the fixed loop's sleep (default 2, as the seed)")
    parser.add_argument(
        "--rtt", type=float, default=0.002, help="simulated round trip per request in s (default 0.002)"
    )
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {', '.join(VARIANTS)}"
    )
    args = parser.parse_args(argv)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        parser.error(f"unknown variant(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(VARIANTS)}")
    if args.trials < 1 or not 0 <= args.spread < 1 or args.interval <= 0 or args.rtt < 0:
        parser.error("need --trials >= 1, 0 <= --spread < 1, --interval > 0 and --rtt >= 0")

    b = Backoff()
    print("polling: harness wait_for_job vs a fixed loop, simulated time (ManualClock)")
    print(machine())
    print(
        f"fixed loop: poll, sleep {args.interval:g} s, repeat.  harness: Backoff(initial={b.initial}, "
        f"factor={b.factor}, maximum={b.maximum}) + one early poll at the progress-estimated finish."
    )
    print(
        f"each row: mean over {args.trials} job(s) with durations spread over D ± {args.spread:.0%}; "
        f"round trip {args.rtt * 1000:g} ms per request.  ratios are harness / fixed (below 1: harness is better)."
    )
    for name in names:
        variant = VARIANTS[name]
        rows = [measure(variant, d, args) for d in args.durations]
        print(f"\n[{name}] {variant.description}")
        print(table(HEADERS, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
