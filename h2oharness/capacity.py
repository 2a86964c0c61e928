"""``h2oharness load PROFILE --find-capacity``: the highest open-model arrival rate whose SLOs hold.

The search (:func:`next_rate`, a pure function of what was measured so far):

1. Step up: the first rate is ``--min-rate``; while every rate tried passed, the next is twice the highest
   (capped at ``--max-rate``).
2. Bisect: once a rate failed above the highest that passed, try their geometric mean, until the failing rate is
   within ``--rate-resolution`` (10 %) of the passing one. It is a share, above 0 and below 1 (the step's factor
   less 1): a failing rate is one doubling above the highest that passed at most, so a wider one never bisects.
3. Stop: when ``--min-rate`` fails (no capacity in range), when ``--max-rate`` passes (capacity at least that),
   when the bracket is narrow enough, or when ``--max-time`` leaves too little for another rate.

Each rate is one Locust run: a warm-up, then ``--windows`` windows of ``--window`` seconds, each judged on its own
figures (the profile's SLOs and ``--slo``, on the events that ended inside it). A window passes when every SLO holds
on it, at least one arrival ended in it and its p99 dispatch delay is within ``--max-dispatch-delay``. A rate passes
when at least ``--windows-to-pass`` of its windows pass (default: all), an entry's ``min_requests`` and ``min_rps``
hold on its whole run (the profile's draw of tasks, not a window's capacity), and it is not over-saturated
(:func:`saturation`): the generator's dispatch delay blew up, the achieved rate fell below 80 % of the offered one
while arrivals piled up, or the latency grew window over window while they piled up. The queue carries over from one
window to the next within a rate, which is what makes the last two visible.

No locust here: the runs go through :func:`h2oharness.loadrunner.execute`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from h2oharness.arrivals import Arrival, Recorder, percentile, read_recordings, too_many_arrivals
from h2oharness.children import Stopped
from h2oharness.errors import ConfigError, HarnessError
from h2oharness.folders import claim
from h2oharness.report.entrynames import SUBMIT_TO_DONE, TTFT, suffixed
from h2oharness.report.loadsummary import (
    EntryStats,
    LoadSummary,
    Rule,
    histogram_percentile,
    judge,
    load_slos,
    totals_of,
)
from h2oharness.report.loadsummary import merge_rules as _merge_rules
from h2oharness.settings import known_secrets

if TYPE_CHECKING:
    from h2oharness.loadrunner import LoadRun

#: a rate is over-saturated when it achieves less than this share of the offered rate while arrivals pile up
ACHIEVED_SHARE = 0.8
#: ... or when its latency grows every window, to this many times the first window's, while they pile up
LATENCY_GROWTH = 1.5
#: the generator's dispatch delay "blows up" when a window's p99 passes this many times the limit, or the limit in
#: every window of a rate: one late send among a few (a busy machine's hiccup) only fails its own window
BLOWUP = 4.0
#: arrivals "pile up" when those in flight grew by this share of the arrivals offered over the windows (and by at
#: least ``MIN_PILE``): one stream still open at a window's end is not a queue
PILE_SHARE = 0.2
MIN_PILE = 3
#: seconds a rate's Locust run needs beyond its windows (start, stop, writing its figures), for the time budget
RUN_OVERHEAD = 15.0
#: seconds each rate's run goes on past its last window, so the stop never cuts that window short
TAIL = 1.0
#: seconds Locust's --run-time gets beyond a rate's windows: a run (its master, when distributed) ends itself after
#: its last window, judged by the wall clock, and --run-time is only the backstop
RUN_TIME_MARGIN = 30.0
#: seconds the whole search may take when --max-time is not given
DEFAULT_BUDGET = 600.0
#: entries whose p95 the curve reports: time to first token for streams, submit-to-done for jobs
CURVE_SUFFIXES = suffixed(TTFT, SUBMIT_TO_DONE)
#: how the generator's own failures read: a window's late sends, a rate's saturation by them, an empty window
LATE_SENDS = "dispatch delay p99_ms <="
GENERATOR_BEHIND = "the load generator fell behind its schedule"
NOTHING_ENDED = "no arrival ended in the window"
#: the unit of every rate the search tries: an arrival is one paced task (a job submitted, a stream opened), which
#: may send many requests
UNIT = "arrivals/s"


@dataclass(frozen=True)
class Search:
    """The bounds and rules of one capacity search (the ``--find-capacity`` options)."""

    min_rate: float = 1.0
    max_rate: float = 64.0
    window: float = 10.0
    windows: int = 3
    #: windows of a rate that must pass for the rate to pass (None: all of them)
    windows_to_pass: int | None = None
    warmup: float = 5.0
    factor: float = 2.0
    resolution: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.min_rate <= self.max_rate:
            raise ConfigError(f"--min-rate must be above 0 and at most --max-rate, got {self.min_rate:g}")
        if not math.isfinite(self.max_rate):
            raise ConfigError(f"--max-rate must be a finite rate, got {self.max_rate:g}")
        if self.window < 1 or self.windows < 1 or self.warmup < 0:
            raise ConfigError("--window must be at least 1 s, --windows at least 1 and --warmup at least 0")
        if why := too_many_arrivals(self.max_rate, self.warmup + self.windows * self.window, "--max-rate"):
            raise ConfigError(why)
        if self.windows_to_pass is not None and not 1 <= self.windows_to_pass <= self.windows:
            raise ConfigError(f"--windows-to-pass must be between 1 and --windows ({self.windows})")
        if not self.factor > 1:
            raise ConfigError(f"the step factor must be above 1, got {self.factor:g}")
        # a failing rate is at most one step above the highest that passed: a resolution as wide as a step (1,
        # or 5 meant as 5 %) never bisects, and the answer is only the step-up's
        if not 0 < self.resolution < self.factor - 1:
            raise ConfigError(
                f"--rate-resolution is a share of a rate, above 0 and below {self.factor - 1:g} (0.1 is 10 %), got "
                f"{self.resolution:g}: a bracket is one step (x{self.factor:g}) wide at most, so the search would "
                "never bisect it"
            )

    @property
    def needed(self) -> int:
        """How many windows of a rate must pass."""
        return self.windows if self.windows_to_pass is None else self.windows_to_pass

    @property
    def rule(self) -> str:
        """The confidence rule, in words."""
        return (
            f"a rate passes when {self.needed} of its {self.windows} windows of {self.window:g} s (after "
            f"{self.warmup:g} s of warm-up) meet every SLO and keep the dispatch delay, and it is not over-saturated"
        )


@dataclass(frozen=True)
class WindowResult:
    """One window of one rate: what was offered, sent and achieved, the figures the curve shows and the verdict."""

    rate: float
    index: int
    #: arrivals per second asked for, sent (by their send moment) and done (by the moment their last event ended)
    offered: float
    sent: float
    achieved: float
    #: arrivals sent but not done at the window's start and at its end: the queue
    in_flight_start: int
    in_flight: int
    failure_ratio: float
    dispatch_p50_ms: float | None
    dispatch_p99_ms: float | None
    #: p95 ms of each entry the curve shows (time to first token, submit-to-done) that this window recorded
    latency_p95_ms: dict[str, float]
    #: what this window broke (SLO labels and the harness's own checks); empty when it passed
    broken: tuple[str, ...]
    #: the window's length
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when nothing was broken."""
        return not self.broken

    def to_dict(self) -> dict[str, Any]:
        """One row of the capacity curve in ``load.json``."""
        return {**dataclasses.asdict(self), "passed": self.passed}


@dataclass(frozen=True)
class RateResult:
    """One rate of the search: its windows, whether it passed and, if it was over-saturated, why."""

    rate: float
    windows: tuple[WindowResult, ...]
    passed: bool
    saturated: str = ""
    note: str = ""
    report_dir: str = ""
    #: it failed only on the load generator's account (late sends), which says nothing of the server at this rate
    by_generator: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A rate of the search in ``load.json`` (its windows are rows of the curve)."""
        passes = sum(w.passed for w in self.windows)
        return {
            "rate": self.rate,
            "passed": self.passed,
            "windows_passed": passes,
            "windows": len(self.windows),
            "saturated": self.saturated,
            "failed_by": ("generator" if self.by_generator else "server") if not self.passed else "",
            "note": self.note,
            "report_dir": self.report_dir,
        }


def _entries(window: dict[str, list[Any]], seconds: float) -> list[EntryStats]:
    """A window's histograms (of the successful requests) as the entries ``judge`` reads."""
    out = []
    for key, (n, failures, hist) in sorted(window.items()):
        kind, _, name = key.partition(" ")
        total = sum(float(ms) * c for ms, c in hist.items())
        timed = sum(int(c) for c in hist.values())
        out.append(
            EntryStats(
                type=kind,
                name=name,
                requests=int(n),
                failures=int(failures),
                p50=histogram_percentile(hist, 50),
                p90=histogram_percentile(hist, 90),
                p95=histogram_percentile(hist, 95),
                p99=histogram_percentile(hist, 99),
                max=max((float(ms) for ms in hist), default=0.0),
                mean=total / timed if timed else 0.0,
                rps=n / seconds,
            )
        )
    return out


def _in_flight(arrivals: Sequence[Arrival], at: float) -> int:
    return sum(1 for a in arrivals if a.sent < at and (a.done is None or a.done >= at))


def _judged_in_a_window(rule: Rule, present: set[str]) -> bool:
    """Whether ``rule`` is judged on a window that recorded the entries ``present``: the run-wide rules, and the
    latency and failure rules of an entry it recorded. A rule on an entry the window did not record has nothing to
    judge, and an entry's request count is the profile's draw of tasks, not a capacity: in a 2-s window of
    h2ogpte.streaming, ``jsonl stream min_requests >= 1`` failed whenever the draw picked only SSE streams (1 in
    256). They are judged on the whole run; a window in which nothing ended fails all the same."""
    if rule.entry is None:
        return True
    return rule.entry in present and not judged_on_the_run(rule)


def judged_on_the_run(rule: Rule) -> bool:
    """Whether ``rule`` is judged on a rate's whole run rather than on each window: an entry's request count or rate."""
    return rule.entry is not None and rule.limit in ("min_requests", "min_rps")


def window_results(
    recording: Recorder, rules: Sequence[Rule], rate: float, search: Search, limit_ms: float
) -> list[WindowResult]:
    """Judge each of a rate's ``search.windows`` windows on what ``recording`` counted in it."""
    start = (recording.start or 0.0) + search.warmup
    results = []
    for index in range(search.windows):
        begins, ends = start + index * search.window, start + (index + 1) * search.window
        entries = _entries(recording.windows.get(index, {}), search.window)
        present = {e.key for e in entries}
        verdicts = judge([r for r in rules if _judged_in_a_window(r, present)], entries)
        broken = [v.rule for v in verdicts if not v.ok]
        sent = [a for a in recording.arrivals if begins <= a.sent < ends]
        done = [a for a in recording.arrivals if a.done is not None and begins <= a.done < ends]
        due = [a.delay_ms for a in recording.arrivals if begins <= a.scheduled < ends]
        # due here but sent only after the window (or never): late by at least the window's end, or the run's
        last = recording.end if recording.end is not None else ends
        due += [(min(ends, last) - t) * 1000 for t in recording.unsent if begins <= t < ends]
        p99 = percentile(due, 99)
        if not done:
            broken.append(NOTHING_ENDED)
        if p99 is not None and p99 > limit_ms:
            broken.append(f"{LATE_SENDS} {limit_ms:g} (the load generator kept its schedule)")
        results.append(
            WindowResult(
                rate=rate,
                index=index,
                offered=rate,
                sent=len(sent) / search.window,
                achieved=len(done) / search.window,
                in_flight_start=_in_flight(recording.arrivals, begins),
                in_flight=_in_flight(recording.arrivals, ends),
                failure_ratio=totals_of(entries).worst_failure_ratio,  # as the run-wide SLO judges it
                dispatch_p50_ms=percentile(due, 50),
                dispatch_p99_ms=p99,
                latency_p95_ms={
                    e.key: e.p95 for e in entries if e.name.endswith(CURVE_SUFFIXES) and e.requests > e.failures
                },
                broken=tuple(broken),
                seconds=search.window,
            )
        )
    return results


def _primary(windows: Sequence[WindowResult]) -> str | None:
    """The latency the over-saturation rule watches: the first time to first token, else the first submit-to-done."""
    keys = sorted({k for w in windows for k in w.latency_p95_ms})
    for suffix in CURVE_SUFFIXES:
        found = [k for k in keys if k.endswith(suffix)]
        if found:
            return found[0]
    return None


def saturation(windows: Sequence[WindowResult], limit_ms: float) -> str:
    """Why a rate is over-saturated (empty when it is not), from its windows in order.

    - the generator fell behind its schedule: a window's p99 dispatch delay over ``BLOWUP`` x ``limit_ms``, or over
      ``limit_ms`` in every window (one over it only fails its own window);
    - the server fell behind: the windows together achieved under ``ACHIEVED_SHARE`` of the offered rate while
      the arrivals in flight piled up from the first window's start to the last one's end (by ``PILE_SHARE`` of
      the arrivals offered in them, at least ``MIN_PILE``);
    - the latency grew window over window (to ``LATENCY_GROWTH`` times the first's) while they piled up too.
    """
    if not windows:
        return "no window was measured"
    late = [w for w in windows if w.dispatch_p99_ms is not None and w.dispatch_p99_ms > limit_ms]
    blown = [w for w in late if (w.dispatch_p99_ms or 0.0) > BLOWUP * limit_ms]
    if blown or (len(windows) >= 2 and len(late) == len(windows)):
        w = (blown or late)[0]
        return (
            f"{GENERATOR_BEHIND} in window {w.index + 1} (dispatch delay p99 "
            f"{w.dispatch_p99_ms:.0f} ms > {limit_ms:g} ms{'' if blown else ' in every window'}): it needs more "
            "users (-u), workers or CPU"
        )
    first, last = windows[0], windows[-1]
    offered = sum(w.offered for w in windows) / len(windows)
    achieved = sum(w.achieved for w in windows) / len(windows)
    pile = max(MIN_PILE, PILE_SHARE * sum(w.offered * w.seconds for w in windows))
    grew = last.in_flight - first.in_flight_start >= pile
    if grew and achieved < ACHIEVED_SHARE * offered:
        return (
            f"achieved {achieved:.3g}/s of {offered:.3g}/s offered while the arrivals in flight grew from "
            f"{first.in_flight_start} to {last.in_flight}"
        )
    key = _primary(windows)
    series = [w.latency_p95_ms.get(key) for w in windows] if key else []
    if len(windows) >= 2 and key and all(v is not None for v in series):
        values = [float(v) for v in series if v is not None]
        queue = [w.in_flight for w in windows]
        rising = all(b > a for a, b in itertools.pairwise(values))
        piling = all(b >= a for a, b in itertools.pairwise(queue)) and grew
        if rising and piling and values[-1] >= LATENCY_GROWTH * values[0] > 0:
            return (
                f"{key} p95 grew every window ({values[0]:g} -> {values[-1]:g} ms) while the arrivals in flight "
                f"grew ({first.in_flight_start} -> {queue[-1]})"
            )
    return ""


def early_stop(recording: Recorder, now: float, rate: float, windows: int, limit_ms: float) -> str:
    """Why a run should end before its last window (empty: go on): its complete windows so far are over-saturated.

    A Locust process asks this once per window about its own recording, so a rate that cannot hold does not spend
    its remaining windows proving it.
    """
    if recording.window is None or recording.start is None:
        return ""
    complete = min(recording.window_of(now), windows)
    if complete < 1:
        return ""
    search = Search(window=recording.window, windows=complete, warmup=recording.warmup)
    snapshot = dataclasses.replace(recording, unsent=recording.due_unsent(now), end=now)
    return saturation(window_results(snapshot, (), rate, search, limit_ms), limit_ms)


def judge_rate(
    rate: float, windows: Sequence[WindowResult], search: Search, limit_ms: float, broken_in_run: Sequence[str] = ()
) -> RateResult:
    """A rate's verdict from its windows: enough of them passed, it was not over-saturated, and the rules judged on
    its whole run (``broken_in_run``: those it broke, see ``judged_on_the_run``) held."""
    passes = sum(w.passed for w in windows)
    saturated = saturation(windows, limit_ms)
    passed = passes >= search.needed and len(windows) >= search.windows and not saturated and not broken_in_run
    note = f"{passes} of {len(windows)} windows passed, {search.needed} needed"
    if broken_in_run:
        note += f"; broken on the rate's whole run: {', '.join(broken_in_run)}"
    if saturated:
        note += f"; over-saturated: {saturated}"
    by_generator = not passed and by_the_generator(windows, saturated, broken_in_run)
    return RateResult(rate, tuple(windows), passed, saturated, note, by_generator=by_generator)


def by_the_generator(windows: Sequence[WindowResult], saturated: str, broken_in_run: Sequence[str] = ()) -> bool:
    """Whether a failed rate failed only because the load generator sent late: no window broke an SLO or the
    failure ratio, no whole-run rule broke, and any over-saturation was the generator's. A window that broke a
    latency SLO while sends were late is the server's: late sends under-count latency, so the server did worse."""
    behind = saturated.startswith(GENERATOR_BEHIND)
    if broken_in_run or (saturated and not behind):
        return False
    # the windows after a run ended early have nothing in them: the generator's, when its falling behind ended it
    allowed = (LATE_SENDS, NOTHING_ENDED) if behind else (LATE_SENDS,)
    failing = [w for w in windows if w.broken]
    return bool(failing) and all(b.startswith(allowed) for w in failing for b in w.broken)


def round_rate(rate: float) -> float:
    """A rate to three significant digits (what the search tries and reports)."""
    return float(f"{rate:.3g}")


def next_rate(search: Search, results: Sequence[RateResult]) -> float | None:
    """The next rate to try given the results so far, or None when the search is over (see the module's rule)."""
    if not results:
        return search.min_rate
    passed = [r.rate for r in results if r.passed]
    if not passed:
        return None  # the lowest rate failed: nothing in range holds
    low = max(passed)
    above = [r.rate for r in results if not r.passed and r.rate > low]
    tried = {r.rate for r in results}
    if not above:
        step = round_rate(min(low * search.factor, search.max_rate))
        return None if low >= search.max_rate or step in tried else step
    high = min(above)
    if high <= low * (1 + search.resolution):
        return None
    middle = round_rate(math.sqrt(low * high))
    return None if middle in tried or not low < middle < high else middle


def capacity_of(results: Sequence[RateResult]) -> float | None:
    """The highest rate that passed, or None when none did."""
    return max((r.rate for r in results if r.passed), default=None)


GENERATOR_ADVICE = "add users (-u), --workers or CPU and search again"


def answer(search: Search, results: Sequence[RateResult], stopped: str = "") -> str:
    """The one-line answer for the terminal.

    A bound that the load generator set (it failed to send on time, the server met every SLO) is no capacity of the
    server's: the answer then says "at least", or "unknown" when even the lowest rate failed that way.
    """
    found = capacity_of(results)
    why = f"; search stopped early: {stopped}" if stopped else ""
    if found is None:
        if not results:
            return f"capacity: unknown, no rate was measured{why}"
        first = results[0]
        if first.by_generator:
            return (
                f"capacity: unknown: the load generator, not the server, failed at the lowest rate tried "
                f"({first.rate:g} {UNIT}, --min-rate {search.min_rate:g}): {first.note}; {GENERATOR_ADVICE}{why}"
            )
        reason = first.saturated or next((", ".join(w.broken) for w in first.windows if w.broken), "")
        return (
            f"capacity: below {first.rate:g} {UNIT}: even the lowest rate tried (--min-rate {search.min_rate:g}) "
            f"failed its SLOs ({first.note}{'; ' + reason if reason and not first.saturated else ''}){why}"
        )
    failed = sorted((r for r in results if not r.passed and r.rate > found), key=lambda r: r.rate)
    rule = f"highest rate meeting SLOs in {search.needed}/{search.windows} windows"
    if failed and failed[0].by_generator:
        return (
            f"capacity: at least {found:g} {UNIT} ({rule}); the load generator, not the server, failed at "
            f"{failed[0].rate:g} {UNIT} ({failed[0].note}): the server's capacity may be higher; "
            f"{GENERATOR_ADVICE}{why}"
        )
    head = f"capacity: {found:g} {UNIT} ({rule}"
    if failed:
        return head + f"; {failed[0].rate:g} {UNIT} failed: {failed[0].note}){why}"
    if found >= search.max_rate:
        return head + f"; --max-rate {search.max_rate:g} reached, the capacity may be higher){why}"
    return head + f"){why}"


def bound_by(search: Search, results: Sequence[RateResult]) -> str:
    """What bounds the answer: ``server`` (a rate above it broke an SLO or saturated the server), ``generator`` (the
    load generator failed first: the server's capacity was not reached), ``max-rate``, or ``""`` (nothing measured,
    or the search stopped before a bound)."""
    found = capacity_of(results)
    above = sorted((r for r in results if not r.passed and (found is None or r.rate > found)), key=lambda r: r.rate)
    if above:
        return "generator" if above[0].by_generator else "server"
    return "max-rate" if found is not None and found >= search.max_rate else ""


def find_capacity(run: LoadRun, search: Search) -> tuple[LoadSummary, float | None]:
    """Search the capacity of ``run``'s profile and target; the summary (written as load.json/html) and the rate.

    Each rate's full report goes to ``<report_dir>/capacity/rate-<rate>/``; the top-level one is the capacity
    rate's (or the last rate's when none passed), with the curve in its ``capacity`` section.
    """
    from h2oharness.loadrunner import _write, execute

    rules = _merge_rules(load_slos(run.profile.slo_file, run.profile.kind), run.slo_overrides)
    budget = run.max_time or DEFAULT_BUDGET
    started = time.monotonic()
    out = run.report_dir.resolve()
    claim(out, "load", "--report-dir", "h2oharness load --find-capacity")
    per_rate = search.warmup + search.windows * search.window + TAIL
    results: list[RateResult] = []
    summaries: dict[float, LoadSummary] = {}
    stopped = ""
    interrupted: Stopped | None = None
    while (rate := next_rate(search, results)) is not None:
        left = budget - (time.monotonic() - started)
        if left < per_rate + RUN_OVERHEAD:
            stopped = f"--max-time leaves {max(left, 0):.0f} s, a rate needs about {per_rate + RUN_OVERHEAD:.0f} s"
            break
        folder = out / "capacity" / f"rate-{rate:g}"
        sub = dataclasses.replace(
            run,
            arrival_rate=rate,
            run_time=per_rate + RUN_TIME_MARGIN,
            spawn_rate=max(run.spawn_rate, float(run.users)),
            report_dir=folder,
            max_time=left,
            window=search.window,
            warmup=search.warmup,
            windows=search.windows,
            stop_timeout=min(run.stop_timeout, 2.0),
        )
        print(f"capacity search: {rate:g} {UNIT} for {per_rate:g} s", file=sys.stderr, flush=True)
        try:
            summary = execute(sub)
        except Stopped as exc:
            if not results:
                raise
            # Ctrl-C left the rates already judged in their folders alone: no load.json had the curve until then
            interrupted = exc
            stopped = f"stopped by {signal.Signals(exc.signum).name} during the run at {rate:g} {UNIT}"
            break
        except HarnessError as exc:
            if not results:
                raise
            stopped = f"the run at {rate:g} {UNIT} ended in an error: {exc}"
            break
        summaries[rate] = summary
        recording = read_recordings(folder) or Recorder(window=search.window, warmup=search.warmup)
        windows = window_results(recording, rules, rate, search, run.max_dispatch_delay)
        # before, left out of the windows and judged nowhere: a rate passed whose own summary broke them
        on_the_run = judge([r for r in rules if judged_on_the_run(r)], summary.entries)
        broken = [v.rule for v in on_the_run if not v.ok]
        result = judge_rate(rate, windows, search, run.max_dispatch_delay, broken)
        if recording.stopped:  # the Locust process ended the rate early: it was over-saturated
            same = recording.stopped == result.saturated
            note = f"{result.note}; ended early" + ("" if same else f": {recording.stopped}")
            saturated = result.saturated or recording.stopped
            result = dataclasses.replace(
                result,
                passed=False,
                saturated=saturated,
                note=note,
                by_generator=by_the_generator(result.windows, saturated, broken),
            )
        result = dataclasses.replace(result, report_dir=str(folder.relative_to(out)))
        results.append(result)
        print(
            f"capacity search: {rate:g} {UNIT} {'passed' if result.passed else 'failed'}: {result.note}",
            file=sys.stderr,
        )
    found = capacity_of(results)
    line = answer(search, results, stopped)
    base = summaries.get(found) if found is not None else None
    if base is None and results:
        base = summaries[results[-1].rate]
    if base is None:
        raise HarnessError(f"the capacity search measured nothing: {stopped or 'no rate to try'}")
    capacity = {
        "capacity_rate": found,
        "bound_by": bound_by(search, results),
        "answer": line,
        "rule": search.rule,
        "stopped": stopped,
        "search": dataclasses.asdict(search) | {"max_dispatch_delay_ms": run.max_dispatch_delay},
        "rates": [r.to_dict() for r in results],
        "curve": [w.to_dict() for r in results for w in r.windows],
    }
    summary = dataclasses.replace(
        base,
        settings={**base.settings, "find_capacity": True, "budget_s": budget},
        capacity=capacity,
        errors=(*base.errors, f"{stopped}: the search is the rates judged until then") if interrupted else base.errors,
    )
    _write(summary, out, known_secrets(run.password, run.token))
    if interrupted is not None:
        raise Stopped(interrupted.signum, f"the search until then is in {out / 'load.html'}; {line}")
    return summary, found


__all__ = [
    "RateResult",
    "Search",
    "WindowResult",
    "answer",
    "bound_by",
    "by_the_generator",
    "capacity_of",
    "find_capacity",
    "judge_rate",
    "judged_on_the_run",
    "next_rate",
    "saturation",
    "window_results",
]
