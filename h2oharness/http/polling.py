"""Wait for an asynchronous job: one deadline, polls aimed at the progress-estimated finish, fail fast.

The schedule, in short: the first poll waits ``Backoff.initial``; once two samples of progress
exist (the submit time counts as one, progress 0, when the caller passes ``started``), the next
poll goes just past the moment the job should finish, re-estimated after every poll that still
sees it running. Without progress the polls never outnumber a fixed loop's at ``Backoff.maximum``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from h2oharness.errors import JobFailed, JobTimeout, ProgressRegressed

#: how far past an estimated finish a poll aims, in s: landing early costs a request, landing late costs lag
AIM_PAST = 0.005
#: the smallest step that makes progress coarse (values seen only in whole steps of it)
COARSE_STEP = 0.02
#: the exponents a fitted progress curve ``p = (t / T) ** k`` may take (a stall or a jump is not a curve)
CURVE_EXPONENTS = (0.25, 4.0)


@dataclass(frozen=True)
class JobStatus:
    """One observation of a job, in API-neutral terms."""

    state: str
    progress: float | None = None
    final: bool = False
    failed: bool = False
    message: str = ""


@dataclass(frozen=True)
class Backoff:
    """The polling schedule's knobs, in seconds.

    ``initial`` is the wait before the first poll (a job that ends sooner costs one request) and the
    first pause once a job has overrun its estimate, growing by ``factor`` up to ``maximum``. A job
    that reports no progress is never polled more often than a fixed loop that sleeps ``maximum``.
    One estimate never sends the next poll further ahead than ``horizon`` times the time observed
    since the job's progress was last 0, so a wild extrapolation is checked again soon. No pause is
    shorter than ``minimum`` (but the last one before the deadline).
    """

    initial: float = 0.25
    factor: float = 1.5
    maximum: float = 2.0
    minimum: float = 0.05
    horizon: float = 8.0


@dataclass
class PollResult:
    """What a wait observed: the final status, how many polls it took and how long."""

    status: JobStatus
    polls: int
    elapsed: float
    history: list[tuple[float, JobStatus]] = field(default_factory=list)


@dataclass
class ProgressTrack:
    """Progress samples of one job and the finish they predict (times on the waiter's clock).

    ``anchor`` is the last moment the job is known to have had progress 0: its submit time
    (``exact``), the wait's own start when the submit time is unknown (``soft``), or the last poll that
    saw 0, after which the run began at some unknown moment.
    ``rising`` holds each new progress value above 0 with the first time it was seen. With the exact
    anchor and two rising samples the finish comes from the curve ``p = ((t - anchor) / T) ** k``
    through both (``k`` = 1 is a straight line; the benchmark's front- and back-loaded jobs are
    k = 1/2 and 2); otherwise from the straight line through the last two samples, or with one
    sample, through the anchor and it.
    """

    anchor: float | None = None
    exact: bool = False
    #: the anchor is the wait's own start, the submit's latest possible moment (no ``started`` was given)
    soft: bool = False
    rising: list[tuple[float, float]] = field(default_factory=list)
    #: polls that saw the same value above 0 as the poll before them: a plateau, as coarse progress shows
    repeats: int = 0

    def add(self, at: float, progress: float) -> None:
        """Record the progress seen at ``at``."""
        if progress <= 0:
            self.anchor, self.exact, self.soft, self.rising = at, False, False, []
        elif not self.rising or progress > self.rising[-1][1]:
            self.rising.append((at, progress))
        elif progress == self.rising[-1][1]:
            self.repeats += 1

    @property
    def step(self) -> float | None:
        """The step of a coarse progress (10 % in 0.1, 0.2, 0.7...): a value seen twice running, at least three
        values, all whole multiples of their smallest rise, a step of 2 % or more that divides 1; None otherwise.
        """
        values = [p for _, p in self.rising]
        if len(values) < 3 or not self.repeats:
            return None
        step = min(b - a for a, b in zip([0.0, *values], values, strict=False))

        def whole(x: float) -> bool:
            return abs(x - round(x)) < 1e-6 * max(1.0, x)

        if step < COARSE_STEP or not whole(1.0 / step) or not all(whole(v / step) for v in values):
            return None
        return step

    @property
    def sure(self) -> bool:
        """Whether the rate is known: two rising samples, or one and the submit time."""
        return len(self.rising) >= 2 or (self.exact and len(self.rising) == 1)

    def finish(self) -> float | None:
        """When the job should reach progress 1, or None while there is nothing to extrapolate from."""
        if not self.rising:
            return None
        if self.rising[-1][1] >= 1.0:
            return self.rising[-1][0]
        step = self.step
        # a coarse value only says the job is somewhere within its step: take the middle of it
        rising = [(t, p + step / 2) for t, p in self.rising] if step else self.rising
        t2, p2 = rising[-1]
        if len(rising) == 1:
            if self.anchor is None or t2 <= self.anchor:
                return None
            return self.anchor + (t2 - self.anchor) / p2
        t1, p1 = rising[-2]
        line = t2 + (1.0 - p2) * (t2 - t1) / (p2 - p1)
        if self.anchor is None or t1 <= self.anchor:
            return line
        if not self.exact and not self.soft:
            # the run began after the anchor, so the line from it is late for a steady job: it only bounds
            # a line whose slope coarse progress steps made too shallow
            return min(line, self.anchor + (t2 - self.anchor) / p2)
        k = math.log(p2 / p1) / math.log((t2 - self.anchor) / (t1 - self.anchor))
        k = min(max(k, CURVE_EXPONENTS[0]), CURVE_EXPONENTS[1])
        curve = self.anchor + (t2 - self.anchor) * float(p2 ** (-1.0 / k))
        # from the wait's start the curve is only as good as the guess that the job was just submitted: of the
        # two views, the earlier (landing early costs one request, landing late costs lag)
        return curve if self.exact else min(line, curve)


def wait_for_job(
    fetch: Callable[[], JobStatus],
    *,
    timeout: float,
    backoff: Backoff | None = None,
    what: str = "job",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    started: float | None = None,
) -> PollResult:
    """Poll ``fetch`` until the job is final; raise JobFailed, JobTimeout or ProgressRegressed otherwise.

    ``started`` is when the job was submitted, on ``clock`` (progress 0 then); with it, the first
    poll that reports progress already tells when the job should end.

    Example:
        t0 = time.monotonic()
        job = client.parse(...)
        result = wait_for_job(lambda: client.job_status(job), timeout=120, what=f"parse {job}", started=t0)
    """
    backoff = backoff or Backoff()
    start = clock()
    deadline = start + timeout
    origin = start if started is None else min(started, start)
    track = ProgressTrack(anchor=origin, exact=started is not None, soft=started is None)
    history: list[tuple[float, JobStatus]] = []
    best_progress = 0.0
    overdue = backoff.initial
    sleep(max(0.0, min(backoff.initial, deadline - start)))
    while True:
        sent = clock()
        status = fetch()
        now = clock()
        history.append((now - start, status))
        if status.progress is not None:
            if status.progress + 1e-9 < best_progress:
                raise ProgressRegressed(
                    f"{what}: progress went back from {best_progress:.3f} to {status.progress:.3f} ({status.state})"
                )
            best_progress = max(best_progress, status.progress)
            # the server read the job about half way through the request
            track.add((sent + now) / 2, status.progress)
        if status.failed:
            reason = status.message or "the server gave no reason"
            raise JobFailed(f"{what} ended {status.state} after {now - start:.1f} s: {reason}")
        if status.final:
            return PollResult(status, len(history), now - start, history)
        if now >= deadline:
            raise JobTimeout(
                f"{what} still {status.state} (progress {status.progress}) "
                f"after {timeout:.1f} s and {len(history)} polls"
            )
        finish = track.finish()
        if finish is None:
            # no rate to go by: never more polls than a fixed loop at ``maximum`` since the submit
            pause = max(overdue, origin + len(history) * backoff.maximum - now)
            overdue = min(backoff.maximum, overdue * backoff.factor)
        elif finish > now:
            # one jump goes at most ``horizon`` times the time seen since progress 0, once the rate is known;
            # after a poll that saw 0 the run began at some unknown moment, so the first rate is only a bound
            span = max(now - (track.anchor if track.anchor is not None else origin), backoff.minimum)
            pause = finish + AIM_PAST - now
            if not track.sure:
                # the latest finish a steady run allows: go half way there, to learn the rate
                pause = min(pause / 2, span)
            pause = min(pause, span * backoff.horizon)
            overdue = backoff.initial
        else:
            # the estimate has passed and the job still runs: back off until the progress moves on
            pause = overdue
            overdue = min(backoff.maximum, overdue * backoff.factor)
        sleep(max(backoff.minimum, min(pause, deadline - now)))
