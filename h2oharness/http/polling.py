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

import httpx

from h2oharness.errors import JobFailed, JobTimeout, NoAnswer, ProgressRegressed, ResponseError
from h2oharness.http.jobkinds import CURVE_SPAN, Finished, JobHistory, Window, coarse_step
from h2oharness.words import counted

#: how far past an estimated finish a poll aims, in s: landing early costs a request, landing late costs lag
AIM_PAST = 0.005
#: the smallest step that makes one job's progress coarse (values seen only in whole steps of it); a kind's
#: coarse steps, read from all its jobs, start at ``jobkinds.COARSE_STEP``
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

    A poll the server puts off (429, 502, 503, 504) or does not answer (a reset, a timeout) is sent again after
    the wait its ``Retry-After`` asks for, else after the overdue pause; ``retries`` such polls in a row are
    borne, the next one's error ends the wait.
    """

    initial: float = 0.25
    factor: float = 1.5
    maximum: float = 2.0
    minimum: float = 0.05
    horizon: float = 8.0
    retries: int = 3


@dataclass
class PollResult:
    """What a wait observed: the final status, how many polls it took (``unanswered`` of them got no answer) and
    how long."""

    status: JobStatus
    polls: int
    elapsed: float
    history: list[tuple[float, JobStatus]] = field(default_factory=list)
    unanswered: int = 0


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
    history: JobHistory | None = None,
) -> PollResult:
    """Poll ``fetch`` until the job is final; raise JobFailed, JobTimeout or ProgressRegressed otherwise.

    ``started`` is when the submit was answered, on ``clock`` (the job's progress was 0 no later); with
    it, the first poll that reports progress already tells when the job should end. Taken before a submit
    that the server answers slowly (a mock training in the request), it makes the job look slower than
    it is and the polls come late. ``history`` holds earlier jobs
    of the same kind (``JobKinds()[kind]``): with ``started`` the polls aim at what they showed, and
    the job, once it ended, is added to it (see ``h2oharness.http.jobkinds``).

    Example:
        job = client.parse(...)
        t0 = time.monotonic()
        result = wait_for_job(lambda: client.job_status(job), timeout=120, what=f"parse {job}", started=t0)
    """
    backoff = backoff or Backoff()
    start = clock()
    deadline = start + timeout
    origin = start if started is None else min(started, start)
    track = ProgressTrack(anchor=origin, exact=started is not None, soft=started is None)
    learn = history if started is not None else None
    warm = learn is not None and learn.warm
    step = learn.step() if learn is not None else None
    observed: list[tuple[float, JobStatus]] = []
    seen: list[tuple[float, float | None]] = []
    best_progress = 0.0
    overdue = backoff.initial
    first, mode = learn.first_poll(backoff.initial, backoff.maximum) if learn is not None else (backoff.initial, "cold")
    aimed = mode in ("gamble", "near", "catch")
    if warm and learn is not None and step is not None and mode not in ("gamble", "catch"):
        # a coarse kind pins its end from the start where that pays: the first pin is the first poll
        window = _window(learn, [], step)
        if _pins_pay(window, start - origin, backoff):
            pin = window.pin(start - origin, step, backoff.minimum)
            if pin is not None:
                first, aimed = pin, True
    estimate: float | None = None
    source = "own"
    pause = origin + first - start if aimed else backoff.initial
    sleep(max(0.0, min(pause, deadline - start)))
    unanswered = 0  # all the polls that got no answer
    in_a_row = 0
    while True:
        sent = clock()
        try:
            status = fetch()
        except (ResponseError, NoAnswer, httpx.TransportError) as exc:
            if isinstance(exc, ResponseError) and not exc.not_answered:
                raise
            unanswered, in_a_row = unanswered + 1, in_a_row + 1
            now = clock()
            if in_a_row > backoff.retries or now >= deadline:
                exc.add_note(f"{what}: {counted(in_a_row, 'poll')} in a row got no answer, {unanswered} in all")
                raise
            asked = exc.retry_after if isinstance(exc, ResponseError) else None
            if asked is None:
                asked = min(backoff.maximum, backoff.initial * backoff.factor ** (in_a_row - 1))
            sleep(max(backoff.minimum, min(asked, deadline - now)))
            continue
        in_a_row = 0
        now = clock()
        observed.append((now - start, status))
        read = (sent + now) / 2  # the server read the job about half way through the request
        if status.progress is not None:
            if status.progress + 1e-9 < best_progress:
                raise ProgressRegressed(
                    f"{what}: progress went back from {best_progress:.3f} to {status.progress:.3f} ({status.state})"
                )
            best_progress = max(best_progress, status.progress)
            track.add(read, status.progress)
        if status.failed:
            reason = status.message or "the server gave no reason"
            raise JobFailed(f"{what} ended {status.state} after {now - start:.1f} s: {reason}")
        if status.final:
            if learn is not None:
                learn.record(
                    Finished(
                        samples=tuple(seen),
                        lo=seen[-1][0] if seen else 0.0,
                        hi=read - origin,
                        estimate=estimate,
                        first=first if mode in ("gamble", "catch") else None,
                        source=source,
                        mode=mode,
                    ),
                    maximum=backoff.maximum,
                    tolerance=2 * backoff.minimum,
                    initial=backoff.initial,
                    minimum=backoff.minimum,
                )
            return PollResult(status, len(observed) + unanswered, now - start, observed, unanswered)
        if now >= deadline:
            raise JobTimeout(
                f"{what} still {status.state} (progress {status.progress}) "
                f"after {timeout:.1f} s and {counted(len(observed) + unanswered, 'poll')}"
            )
        seen.append((read - origin, status.progress))
        coarse = step if step is not None else track.step
        if coarse is None and learn is not None:
            # with a kind to learn from, progress in whole steps is taken for coarse from two values on
            coarse = coarse_step(p for _, p in seen)
        if coarse is not None and status.progress is not None:
            aim = _coarse_aim(learn if warm else None, seen, coarse, now - origin, backoff)
        elif warm and learn is not None:
            aim = _learned_aim(learn, mode, seen, now - origin, backoff)
        else:
            aim = None
        if aim is not None:
            pause = origin + aim.at - now
            overdue = backoff.initial
            estimate, source = aim.end, aim.source
        else:
            estimate, source = None, "own"
            finish = track.finish()
            # a caught kind's jobs are too short for a curve: a second sample to fit one would only cost a poll
            learning = learn is not None and mode != "catch"
            pause, overdue = _own_pause(track, finish, now, origin, len(observed), overdue, backoff, learning=learning)
            if learn is not None and finish is not None and finish > now and len(track.rising) >= 2:
                estimate = finish - origin
        if status.progress is None and learn is not None:
            # without progress never more polls than a fixed loop at ``maximum`` since the submit
            pause = max(pause, origin + (len(observed) + unanswered) * backoff.maximum - now)
        sleep(max(backoff.minimum, min(pause, deadline - now)))


@dataclass(frozen=True)
class _Aim:
    """A poll's time after the submit from what earlier jobs of the kind showed, and the end it aims at, if any.

    ``source``: where the end came from (``curve`` or ``window``; see ``Finished.source``).
    """

    at: float
    end: float | None = None
    source: str = "own"


def _learned_aim(
    learn: JobHistory, mode: str, seen: list[tuple[float, float | None]], now: float, backoff: Backoff
) -> _Aim | None:
    """The next poll from what earlier jobs of the kind showed; None leaves it to the job's own samples.

    ``now`` and every time here are seconds after the submit; ``seen`` are the polls that saw the job running.
    """
    near_end = learn.near_end
    elapsed, progress = seen[-1]
    rising = [p for _, p in seen if p is not None and p > 0]
    if progress is not None and progress > 0 and len(rising) == 1:
        finish = learn.finish(elapsed, progress)
        if finish is not None and (mode != "probe" or len(seen) > 1 or finish < near_end):
            # as far as the kind's jobs have gone, or ``horizon`` times the time seen: a wrong curve is caught soon
            reach = max((1 + learn.margin) * learn.longest, backoff.horizon * now)
            if finish > reach:
                return _Aim(reach)
            return _Aim(max(finish + AIM_PAST, now + backoff.minimum), finish, source="curve")
    if mode == "probe" and len(seen) == 1 and near_end > now + backoff.minimum:
        if learn.curve is None and progress is not None and progress > 0 and elapsed / progress < near_end:
            # even a straight line from the submit ends before the kind's jobs did: this one is faster
            return None
        # the first look found the job no faster than before: the next just before the shortest recent end
        return _Aim(near_end)
    return None


def _window(prior: JobHistory | None, seen: list[tuple[float, float | None]], step: float) -> Window:
    """Where a coarse job's end lies, in s after the submit, after these polls.

    The kind's recent durations (``prior``), where the polls have not ruled them out, stand in for what the
    polls do not tell yet.
    """
    certain = Window(0.0, math.inf)
    for elapsed, progress in seen:
        certain.narrow(elapsed, progress, step)
    if prior is None:
        return certain
    low, high = (1 - prior.margin) * prior.shortest, (1 + prior.margin) * prior.longest
    if max(certain.low, low) >= min(certain.high, high):
        # this job left its kind's durations behind
        return Window(certain.low, certain.high, astray=True)
    return Window(max(certain.low, low), min(certain.high, high))


def _pins_pay(window: Window, now: float, backoff: Backoff) -> bool:
    """Whether halving the window to ``minimum`` and one last poll cost fewer polls than a fixed loop at
    ``maximum`` would still send before the window opens."""
    width = window.high - window.low
    if not math.isfinite(width) or width <= backoff.minimum:
        return False
    return math.log2(width / backoff.minimum) + 1 <= (window.low - now) / backoff.maximum + 1


def _coarse_aim(
    prior: JobHistory | None, seen: list[tuple[float, float | None]], step: float, now: float, backoff: Backoff
) -> _Aim | None:
    """Coarse progress: where the steps (and the kind's durations) put the end, the next poll; None: the job's own.

    In order: halve the window at a step transition where that pays; a window narrower than twice ``minimum`` is
    pinned, poll at its end; no sample near the end yet, one just before the kind's shortest; then the window's end,
    or, for a window wider than ``maximum``, a poll ``maximum`` after its earliest end.
    """
    window = _window(prior, seen, step)
    if not math.isfinite(window.high):
        return None
    if _pins_pay(window, now, backoff):
        pin = window.pin(now, step, backoff.minimum)
        if pin is not None:
            return _Aim(pin)
    certain = _window(None, seen, step)
    if certain.high - certain.low <= 2 * backoff.minimum:
        return _Aim(max(certain.high + AIM_PAST, now + backoff.minimum), certain.high, source="window")
    if prior is None:
        return None
    near_end = prior.near_end
    if not window.astray and certain.low < near_end < certain.high and now + backoff.minimum < near_end:
        return _Aim(near_end)
    if window.high - window.low <= backoff.maximum:
        return _Aim(max(window.high + AIM_PAST, now + backoff.minimum))
    # a wide window: from its earliest end on, a poll every ``maximum`` at most, as a fixed loop would
    return _Aim(max(window.low, now) + backoff.maximum)


def _own_pause(
    track: ProgressTrack,
    finish: float | None,
    now: float,
    origin: float,
    polls: int,
    overdue: float,
    backoff: Backoff,
    *,
    learning: bool,
) -> tuple[float, float]:
    """The pause the job's own samples call for (``finish``: ``track.finish()``), and the next overdue pause.

    ``learning``: the job may teach its kind, so one sample is not trusted to tell the rate (a second
    fits the curve).
    """
    if finish is None:
        grown = min(backoff.maximum, overdue * backoff.factor)
        if learning and track.anchor is not None and track.anchor > origin:
            # a job that teaches its kind and reports progress 0 (queued): a growing backoff finds when it starts
            return overdue, grown
        # no rate to go by: never more polls than a fixed loop at ``maximum`` since the submit
        return max(overdue, origin + polls * backoff.maximum - now), grown
    if finish > now:
        # one jump goes at most ``horizon`` times the time seen since progress 0, once the rate is known;
        # after a poll that saw 0 the run began at some unknown moment, so the first rate is only a bound
        span = max(now - (track.anchor if track.anchor is not None else origin), backoff.minimum)
        pause = finish + AIM_PAST - now
        if not track.sure:
            # the latest finish a steady run allows: go half way there, to learn the rate
            pause = min(pause / 2, span)
        elif learning and len(track.rising) < 2:
            # a second sample soon fits the kind's curve (a queue or a power) where one only gives a line
            pause = min(pause / 2, span / 2)
        elif learning and track.rising[-1][1] - track.rising[0][1] < CURVE_SPAN:
            # samples close together teach no curve: one half way to the end spreads them
            pause = pause / 2
        return min(pause, span * backoff.horizon), backoff.initial
    if track.rising[-1][1] >= 1.0:
        # progress 1 and not final: the server finishing up (H2O-3 publishing a model), soon over
        return max(backoff.minimum, overdue / 4), min(backoff.maximum, overdue * backoff.factor)
    # the estimate has passed and the job still runs: back off until the progress moves on
    return overdue, min(backoff.maximum, overdue * backoff.factor)
