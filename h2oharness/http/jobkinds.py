"""What earlier jobs of one kind showed, so that the next one's polls land where it ends.

A load run submits the same kind of job (a parse, a GBM, an ingestion) again and again. Polled cold,
a job needs one poll to learn its rate and one to see its end; a job of a kind seen before does not:

- a kind whose jobs end before their first poll (a small parse, 0.06 s on a real H2O-3, against a first
  poll at ``Backoff.initial``): the first poll moves earlier, halving down to ``Backoff.minimum`` while
  every job has ended by it; once one outlasts it, the first poll stays at the last time they all had
  ended by (one request each, seen within that time);
- a kind whose jobs end within ``Backoff.maximum`` (where a fixed loop needs two polls): the first
  poll goes at a tracked quantile (``FIRST_QUANTILE``) of the kind's durations, so that share of its
  jobs costs one request; the others give a sample close to their end, and one more poll sees it;
- a longer kind: the first poll goes just before the shortest recent duration, then one at the
  estimated end; for kinds longer than ``PROBE_AFTER`` x ``Backoff.maximum`` a look at
  ``Backoff.initial`` comes first, to notice a job much faster than before;
- one sample then tells the finish through the kind's progress curve (a queue, a power curve and a
  tail, fitted to the samples of earlier jobs), where the job's own samples would need two;
- coarse progress (whole steps, as a GBM's trees): the end lies in the window the steps allow, and
  polls timed at a step's transition halve that window while the job surely still runs, until it is
  narrower than ``Backoff.minimum``; then one poll at its end.

Only the submit time anchors these (``wait_for_job(started=...)``); without it a kind learns nothing.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

#: the share of a short kind's jobs the first poll should find already ended
FIRST_QUANTILE = 0.4
#: how fast the first poll's time follows the kind's durations (a log step per job)
LEARNING_RATE = 0.1
#: kinds whose shortest jobs end later than this many ``Backoff.maximum`` are looked at early first
PROBE_AFTER = 2.0
#: the jobs of a kind that are remembered
KEEP = 16
#: a job's end known within this share of its duration teaches its progress curve
PRECISE = 0.02
#: a coarse job's end bracketed within this share of it is learned from (it only places the first polls)
COARSE_PRECISE = 0.25
#: the smallest step of a coarse progress: finer steps (a 50-tree GBM's 2 %) are read as a curve, for a real
#: job's steps come at uneven times and a window pinned at them only costs polls
COARSE_STEP = 0.05
#: the points a curve is fitted to: the most recent
FIT_POINTS = 64
#: the least progress the points of a curve span
CURVE_SPAN = 0.1
#: the exponents the curve may take (a stall or a jump is not a curve)
CURVE_EXPONENTS = (0.25, 4.0)
#: at most this many kinds are kept by one ``JobKinds``
MAX_KINDS = 64
#: how far past a job that outlasted it a settled catch moves
CATCH_MARGIN = 0.1


@dataclass(frozen=True)
class Finished:
    """One job of a kind seen to its end, times in seconds since its submit.

    ``samples`` are the polls that saw it running with their progress (None: none reported), ``lo`` the
    last of them (0 if none), ``hi`` the poll that saw it final; ``estimate`` is the end the last jump
    aimed at when it came from a fit of two samples or from the kind's curve; ``first`` is the time of a
    first poll aimed at the kind's durations, ``None`` when it was not.
    """

    samples: tuple[tuple[float, float | None], ...]
    lo: float
    hi: float
    estimate: float | None = None
    first: float | None = None
    #: where the estimate came from: the job's ``own`` samples, the kind's ``curve``, or a coarse job's narrow
    #: ``window`` (only an own estimate may teach the curve: the curve would confirm itself)
    source: str = "own"
    #: how its first poll was timed (``JobHistory.mode``)
    mode: str = "cold"

    def duration(self, tolerance: float) -> float | None:
        """How long the job took, when known well enough to learn from (its end bracketed within ``PRECISE`` of it or
        within ``tolerance`` s, or the end its own samples predicted lies in the bracket); None otherwise.
        """
        step = coarse_step(p for _, p in self.samples)
        trusted = self.source == "window" if step is not None else self.source in ("own", "curve")
        if self.estimate is not None and trusted and self.lo < self.estimate <= self.hi:
            return self.estimate
        if self.lo > 0 and self.hi - self.lo <= max(PRECISE * self.hi, tolerance):
            return (self.lo + self.hi) / 2
        if step is not None:
            # a coarse job's steps bound its end too: good enough for where the first polls go
            window = Window(self.lo, self.hi)
            for elapsed, progress in self.samples:
                window.narrow(elapsed, progress, step)
            if window.low < window.high and window.high - window.low <= COARSE_PRECISE * window.high:
                return (window.low + window.high) / 2
        return None


@dataclass
class JobHistory:
    """Recent jobs of one kind: their durations, their progress curve, whether progress is coarse."""

    durations: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP))
    #: (share of the run, progress) from jobs whose end is known
    points: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=8 * KEEP))
    values: Counter[float] = field(default_factory=Counter)
    #: the time of a short kind's first poll, after the submit
    first: float | None = None
    #: the first poll of a kind whose jobs end before it: halved while every job has ended by it, then
    #: ``settled`` at the last time they all had
    catch: float | None = None
    settled: bool = False
    #: the last first poll that every job of such a kind had ended by
    ended_by: float = 0.0
    #: a job of the kind outlasted its catch without reporting progress: the kind is not caught again
    uncatchable: bool = False
    #: the previous job ended before a first poll that was not meant to catch it: start cold once
    surprised: bool = False
    #: (queue share, exponent, tail share) of the progress curve fitted to ``points``
    curve: tuple[float, float, float] | None = None

    @property
    def warm(self) -> bool:
        """Whether a job of this kind ended with a duration known well enough."""
        return bool(self.durations) and not self.surprised

    @property
    def shortest(self) -> float:
        """The shortest recent duration."""
        return min(self.durations)

    @property
    def longest(self) -> float:
        """The longest recent duration."""
        return max(self.durations)

    def mode(self, maximum: float) -> str:
        """How a job of this kind is polled first: ``catch`` (its jobs end before their first poll: at ``catch``),
        ``cold`` (nothing known), ``gamble`` (the kind's jobs end within
        ``maximum``: a first poll that a share of them has ended by), ``near`` (just before the shortest recent end)
        or ``probe`` (a look at ``Backoff.initial`` first, for kinds so long that a faster job would cost much lag).
        """
        if self.catch is not None:
            return "catch"
        if not self.warm:
            return "cold"
        if self.longest < maximum:
            return "gamble"
        return "near" if self.near_end <= PROBE_AFTER * maximum else "probe"

    @property
    def margin(self) -> float:
        """How far (a share) a next job may fall outside the recent durations: wider while few are known, and at
        least as wide as they spread (a real server's jobs of one kind differ by a quarter and more)."""
        spread = (self.longest - self.shortest) / self.longest
        return min(0.5, max(0.1, 0.3 / math.sqrt(len(self.durations)), spread))

    @property
    def near_end(self) -> float:
        """Just before the shortest recent end: a poll then sees the job late in its run."""
        return (1 - self.margin) * self.shortest

    def first_poll(self, initial: float, maximum: float) -> tuple[float, str]:
        """When the first poll goes, in s after the submit (``initial``: after the wait's start), and the mode."""
        mode = self.mode(maximum)
        if mode == "catch" and self.catch is not None:
            return self.catch, mode
        if mode == "gamble":
            if self.first is None:
                self.first = self.shortest
            return max(initial, self.first), mode
        if mode == "near":
            return self.near_end, mode
        return initial, mode

    def _catch(self, job: Finished, initial: float, minimum: float, tolerance: float) -> None:
        """Move the first poll of a kind whose jobs end before it: halve it while they all have ended by it, settle
        at the last time they all had once one outlasts it, move past a slower one, let go past ``initial``."""
        ended = not job.samples and job.hi > 0  # seen final at its first poll
        if job.mode == "catch" and self.catch is not None:
            if not ended and all(p is None for _, p in job.samples):
                # no progress: the next poll waits a fixed loop's pause, a miss costs far more than a catch saves
                self.catch, self.settled, self.uncatchable = None, False, True
            elif self.settled:
                if not ended:
                    # a job slower than the kind was: just past its end where that is known; let go at ``initial``
                    known = job.duration(tolerance)
                    grown = max(self.catch, known) * (1 + CATCH_MARGIN) if known is not None else 2 * self.catch
                    self.catch = grown if grown < initial else None
                    self.settled = self.catch is not None
            elif ended:
                self.ended_by, self.catch = self.catch, max(minimum, self.catch / 2)
                self.settled = self.catch == self.ended_by
            else:
                self.catch, self.settled = self.ended_by, True
        elif ended and job.mode == "cold" and job.hi <= initial + tolerance:
            if self.durations or self.uncatchable:
                return
            self.ended_by, self.catch = job.hi, max(minimum, job.hi / 2)

    def step(self) -> float | None:
        """The step of the kind's coarse progress (every value seen a whole multiple of it, three values or more)."""
        if len(self.values) < 3:
            return None
        return coarse_step(self.values)

    def share(self, progress: float) -> float | None:
        """The share of its run a job of the kind has behind it at ``progress`` (its curve); None if unknown."""
        if self.curve is None:
            return None
        start, k, tail = self.curve
        return float(start + (1 - start - tail) * progress ** (1 / k))

    def _fit(self) -> None:
        """Fit ``progress = ((x - start) / (1 - start - tail)) ** k`` to the points: a queue (``start``), a power
        curve, and a tail after progress 1 before the job is final (H2O-3 finishing a model)."""
        recent = list(self.points)[-FIT_POINTS:]
        points = [(x, p) for x, p in recent if 0 < x < 1 and 0 < p < 1]
        full = [x for x, p in recent if 0 < x < 1 and p >= 1]
        # a curve through points close together is an extrapolation waiting to go wrong
        if len(points) < 2 or max(p for _, p in points) - min(p for _, p in points) < CURVE_SPAN:
            self.curve = None
            return
        last = max(x for x, _ in points)
        best: tuple[float, float, float, float] | None = None
        # a short queue is common and its share matters most near the end: finer steps there
        for start in [i / 100 for i in range(0, 10)] + [i / 100 for i in range(10, 91, 4)]:
            if any(x <= start for x, _ in points):
                break
            for tail in [i / 100 for i in range(0, 21, 2)]:
                if start + tail >= last or any(x >= 1 - tail for x, _ in points if x > start):
                    continue
                span = 1 - start - tail
                logs = [(math.log(p), math.log((x - start) / span)) for x, p in points]
                inverse = sum(lp * ly for lp, ly in logs) / sum(lp * lp for lp, _ in logs)
                k = min(max(1 / inverse, CURVE_EXPONENTS[0]), CURVE_EXPONENTS[1]) if inverse > 0 else CURVE_EXPONENTS[1]
                error = sum((start + span * p ** (1 / k) - x) ** 2 for x, p in points)
                # a poll that saw progress 1 while the job ran lies in the tail: at least 1 - tail
                error += sum((1 - tail - x) ** 2 for x in full if x < 1 - tail)
                if best is None or error < best[0] - 1e-12:
                    best = (error, start, k, tail)
        self.curve = (best[1], best[2], best[3]) if best is not None else None

    def finish(self, elapsed: float, progress: float) -> float | None:
        """The end, in s after the submit, that one sample predicts along the kind's curve; None if unknown."""
        if not 0 < progress < 1:
            return None
        x = self.share(progress)
        if x is None or x <= 0:
            return None
        return elapsed / x

    def record(
        self, job: Finished, *, maximum: float, tolerance: float, initial: float = 0.25, minimum: float = 0.05
    ) -> None:
        """Learn from one job that ended; ``maximum``, ``initial`` and ``minimum`` are the wait's ``Backoff``'s,
        ``tolerance`` how well (in s) an end must be bracketed to be learned from.
        """
        self._catch(job, initial, minimum, tolerance)
        if job.mode == "gamble" and job.first is not None and self.first is not None:
            hit = not job.samples
            # a stochastic quantile: after a hit the first poll moves earlier, after a miss later
            self.first *= math.exp(-LEARNING_RATE * (1 - FIRST_QUANTILE) if hit else LEARNING_RATE * FIRST_QUANTILE)
        unaimed = job.mode in ("cold", "near", "probe")
        self.surprised = bool(self.durations) and not job.samples and unaimed and job.hi > 0
        for _, p in job.samples:
            if p is not None and 0 < p < 1:
                self.values[round(p, 6)] += 1
        if len(self.values) > 4 * KEEP:
            self.values = Counter(dict(self.values.most_common(2 * KEEP)))
        duration = job.duration(tolerance)
        if duration is None:
            return
        self.durations.append(duration)
        if self.first is not None and self.mode(maximum) != "gamble":
            self.first = None
        if job.source == "own" and coarse_step(p for _, p in job.samples) is None:
            added = [(e / duration, p) for e, p in job.samples if p is not None and 0 < p <= 1 and e < duration]
            if added:
                self.points.extend(added)
                self._fit()


def coarse_step(values: Iterable[float | None]) -> float | None:
    """The step two or more distinct progress values are whole multiples of, if at least ``COARSE_STEP`` and a
    whole fraction of 1 (0.1 for 0.2 and 0.3; none for 0.2137 and 0.4); None otherwise.

    A kind's steps, read from all its jobs; one job's own samples have ``polling.ProgressTrack.step`` (finer steps,
    a repeat required).
    """
    units = {round(v * 1_000_000) for v in values if v is not None and 0 < v < 1}
    if len(units) < 2:
        return None
    unit = 0
    for u in units:
        unit = math.gcd(unit, u)
    step = unit / 1_000_000
    if step < COARSE_STEP or abs(1.0 / step - round(1.0 / step)) > 1e-6:
        return None
    return step


@dataclass
class Window:
    """Where a coarse job's end can be, in s after the submit: after ``low``, at or before ``high``."""

    low: float
    high: float
    #: the polls ruled out every recent duration of the job's kind: only they bound it
    astray: bool = False

    def narrow(self, elapsed: float, progress: float | None, step: float) -> None:
        """What one poll that saw the job running at ``elapsed`` with ``progress`` says of its end."""
        self.low = max(self.low, elapsed)
        if progress is None:
            return
        self.low = max(self.low, elapsed / min(1.0, progress + step))
        if progress > 0:
            self.high = min(self.high, elapsed / progress)

    def pin(self, now: float, step: float, minimum: float) -> float | None:
        """When to poll to halve the window at a step's transition the job surely has not ended by; None if none."""
        middle = (self.low + self.high) / 2
        for k in range(1, round(1 / step)):
            at = k * step * middle
            # the job cannot have ended by then (before the window opens), and the poll lies ahead
            if k * step * self.high < self.low and at > now + minimum:
                return at
        return None


class JobKinds:
    """One ``JobHistory`` per kind of job, made on first use; at most ``MAX_KINDS`` (the oldest go)."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobHistory] = {}

    def __getitem__(self, kind: str) -> JobHistory:
        history = self._kinds.get(kind)
        if history is None:
            if len(self._kinds) >= MAX_KINDS:
                del self._kinds[next(iter(self._kinds))]
            history = self._kinds[kind] = JobHistory()
        return history

    def __len__(self) -> int:
        return len(self._kinds)
