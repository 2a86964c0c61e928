"""Open-model arrivals: when each one was due, when it was sent, when it was done; figures per window.

In an open-model load run (``--arrival-rate``), work is due on a schedule that ignores how long earlier work
took. Each Locust user adds its share of the rate to its process's :class:`ArrivalPool`, and each arrival is sent
by the first user free; every arrival records the moment it was due (``scheduled``) and the moment a user actually
started it (``sent``). The difference is the **dispatch delay**: how far the load
generator fell behind its own schedule. A small one means the figures measure the server; a large one means the
generator was the bottleneck and what it measured is coordinated omission, not the server's latency.

An arrival is *done* when its user's last request or measurement for it ended (the last Locust event its user
fired before pacing its next arrival), and *failed* when any of them failed.

With a window length set (``--find-capacity``), every Locust event is also counted in a histogram per window of
the run (Locust's rounding), so the runner can judge SLOs window by window. No locust here: ``loadtest.py`` feeds a
:class:`Recorder` from Locust's events, each process writes it as JSON, and the runner merges them.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from h2oharness.words import counted

#: arrivals due but never sent that a run counts at most (the earliest ones): a rate times a run time above it would
#: leave the later ones uncounted, and a capacity window judged on them would see no late send at all
MAX_COUNTED = 1_000_000


def too_many_arrivals(rate: float, seconds: float, option: str) -> str:
    """Why ``rate`` arrivals/s for ``seconds`` (the rate named by ``option``) is more than a run can count; empty
    when it is not."""
    if rate * seconds <= MAX_COUNTED:
        return ""
    return (
        f"{option} {rate:g} for {seconds:g} s is more arrivals than the {MAX_COUNTED:,} a run can count (those due "
        "but never sent are counted up to that many): lower the rate"
    )


#: how arrivals are spaced: evenly, or as a Poisson process (exponential gaps) of the same mean rate
PROCESSES = ("constant", "poisson")
#: the file name each Locust process writes its recording to (``{pid}`` filled in)
RECORD_NAME = "arrivals-{pid}.json"
#: default limit on the p99 dispatch delay, milliseconds (see README: why 50 ms)
DEFAULT_MAX_DISPATCH_DELAY_MS = 50.0


def locust_round(ms: float) -> int:
    """Milliseconds rounded as Locust rounds them into its histograms (1 ms below 100, 10 ms below 1000...)."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


class Schedule:
    """The gaps between one user's arrivals: ``interval`` seconds apart on average, evenly or Poisson.

    The first arrival comes after a share of one interval, so users started together do not send together: a random
    one, or ``phase`` when the caller spreads its users evenly (see :func:`user_phase`).

    Example:
        >>> gaps = Schedule(2.0, "poisson", random.Random(7))
        >>> round(sum(gaps.next_gap() for _ in range(10_000)) / 10_000, 1)
        2.0
    """

    def __init__(self, interval: float, process: str = "constant", rng: random.Random | None = None) -> None:
        if process not in PROCESSES:
            raise ValueError(f"arrival process {process!r}: expected one of {', '.join(PROCESSES)}")
        self.interval = interval
        self.process = process
        self.rng = rng or random.Random()

    def first_offset(self, phase: float | None = None) -> float:
        """Seconds from a user's start to its first arrival: ``phase`` (0-1) of an interval when given (constant
        schedule), else a random share of one."""
        if self.process == "poisson":
            return self.rng.expovariate(1.0 / self.interval)
        return (phase % 1.0) * self.interval if phase is not None else self.rng.uniform(0, self.interval)

    def next_gap(self) -> float:
        """Seconds from one arrival's due moment to the next one's."""
        if self.process == "poisson":
            return self.rng.expovariate(1.0 / self.interval)
        return self.interval


class ArrivalPool:
    """The arrivals due in one Locust process: every user's share of the rate merged into one queue, each arrival
    sent by the first user free to send it (as k6's arrival-rate executors and GuideLLM do).

    Each user adds its own stream of due moments (:meth:`join`); :meth:`claim` hands out the earliest not yet
    claimed, whoever's stream it is on. With a stream per user an arrival due while its own user was still busy went
    out late though other users sat idle: 10 users at 5 arrivals/s of ~1-s jobs (5 busy on average) were reported as
    a generator too slow to keep its schedule. Now an arrival is late only when every user is busy.

    Example:
        >>> pool = ArrivalPool()
        >>> a, b = pool.join(0.0, Schedule(1.0)), pool.join(0.5, Schedule(1.0))
        >>> [pool.claim()[0] for _ in range(4)]  # one user free to take them all takes both streams' arrivals
        [0.0, 0.5, 1.0, 1.5]
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int]] = []
        self._streams: dict[int, Schedule] = {}
        self._owners: dict[Hashable, int] = {}
        #: the next stream's id: never one a stream that left had, while the recorder may still know it by it
        self._next_id = 0

    def join(self, first: float, schedule: Schedule, owner: Hashable | None = None) -> int:
        """Add a stream whose first arrival is due at ``first`` and the next ones ``schedule``'s gaps apart; its id.

        An ``owner`` (a user) that joined before keeps the stream it has: a user whose setup is tried again joins
        again, and a second stream of its share would raise the process's rate by that share each time.
        """
        if owner is not None and owner in self._owners:
            return self._owners[owner]
        stream, self._next_id = self._next_id, self._next_id + 1
        self._streams[stream] = schedule
        heapq.heappush(self._due, (first, stream))
        if owner is not None:
            self._owners[owner] = stream
        return stream

    def leave(self, owner: Hashable) -> int | None:
        """``owner`` (a user that stopped) takes its share out: its stream is due no more. The stream's id, None
        when it had none.

        A stopped user's stream left in the pool was still claimed by the users left, at the rate of the users the
        process had: each user that stopped (a ramp-down, an error) loaded the others with its share.
        """
        stream = self._owners.pop(owner, None)
        if stream is None:
            return None
        del self._streams[stream]
        self._due = [(due, s) for due, s in self._due if s != stream]
        heapq.heapify(self._due)
        return stream

    def __contains__(self, owner: Hashable) -> bool:
        return owner in self._owners

    def claim(self) -> tuple[float, int, float]:
        """The earliest arrival no user has claimed: its due moment, its stream and that stream's next due moment."""
        due, stream = heapq.heappop(self._due)
        following = due + self._streams[stream].next_gap()
        heapq.heappush(self._due, (following, stream))
        return due, stream, following

    def __len__(self) -> int:
        return len(self._streams)


def user_phase(index: int) -> float:
    """The ``index``-th user's share of an interval for its first arrival: the golden-ratio sequence, so however many
    users a process starts, their sends are spread evenly over the interval instead of bunching by chance."""
    return (index * 0.6180339887498949) % 1.0


@dataclass
class Arrival:
    """One unit of open-model work: when it was due, sent, done (epoch seconds) and whether any part failed."""

    scheduled: float
    sent: float
    done: float | None = None
    failed: bool = False

    @property
    def delay_ms(self) -> float:
        """Dispatch delay: how late it was sent, milliseconds (never negative: a user never sends early)."""
        return (self.sent - self.scheduled) * 1000


@dataclass
class Recorder:
    """What one Locust process saw: its arrivals, and with ``window`` set a histogram per window of each entry.

    ``owner`` is whatever tells users apart (the user's greenlet): events between two arrivals of the same owner
    belong to the first of them. Window ``k`` covers ``[start + warmup + k * window, ... + window)``; events before
    that (the warm-up) are window -1 and never judged.
    """

    window: float | None = None
    warmup: float = 0.0
    start: float | None = None
    #: when the run stopped (epoch seconds), None while it runs
    end: float | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    #: window -> entry key -> [requests, failures, {rounded ms of the successful ones: count}]
    windows: dict[int, dict[str, list[Any]]] = field(default_factory=dict)
    #: why this process ended its run early (over-saturated), empty when it ran to the end
    stopped: str = ""
    #: moments arrivals were due that no user sent before the run ended (its users were all still busy)
    unsent: list[float] = field(default_factory=list)
    _current: dict[Hashable, Arrival] = field(default_factory=dict, repr=False)
    #: per owner: when its next arrival is due, and the mean gap after that
    _next: dict[Hashable, tuple[float, float]] = field(default_factory=dict, repr=False)
    _open: bool = field(default=True, repr=False)

    def begin(self, at: float) -> None:
        """The run started at ``at`` (epoch seconds); the first call wins."""
        if self.start is None:
            self.start = at

    def arrive(
        self,
        owner: Hashable,
        scheduled: float,
        sent: float,
        next_due: float | None = None,
        gap: float = 0.0,
        stream: Hashable | None = None,
    ) -> Arrival:
        """``owner`` starts a new arrival, due at ``scheduled``, sent at ``sent``; its previous one is over.

        ``next_due`` and ``gap`` are when the arrival's schedule (``stream``, else the owner's own) has its next one
        due and the mean gap after that: what is due but unsent at the end is counted from them.
        Once the run is over (:meth:`close`) a user finishing its task sends nothing the run counts.
        """
        self.begin(scheduled)
        arrival = Arrival(scheduled, max(sent, scheduled))
        self.expect(owner if stream is None else stream, next_due, gap)
        if not self._open:
            self._current.pop(owner, None)
            return arrival
        self.arrivals.append(arrival)
        self._current[owner] = arrival
        return arrival

    def expect(self, stream: Hashable, next_due: float | None, gap: float) -> None:
        """``stream``'s next arrival is due at ``next_due``, the ones after it ``gap`` apart on average."""
        if next_due is not None and gap > 0:
            self._next[stream] = (next_due, gap)

    def forget(self, stream: Hashable) -> None:
        """``stream`` left its pool (its user stopped): none of its arrivals is due any more, sent or not."""
        self._next.pop(stream, None)

    @property
    def closed(self) -> bool:
        """The run is over (:meth:`close`): an arrival due now is past its end and is not sent."""
        return not self._open

    def due_unsent(self, at: float) -> list[float]:
        """The moments arrivals were due before ``at`` that their (busy) users have not sent yet.

        Past a user's next due moment its later ones are counted at its mean gap: exact for a constant schedule,
        the expected count for a Poisson one.
        """
        due: list[float] = []
        for next_due, gap in self._next.values():
            moment = next_due
            while moment < at and len(due) < MAX_COUNTED:
                due.append(moment)
                moment += gap
        return sorted(due)

    def close(self, at: float | None = None) -> None:
        """The run is over (at ``at``): later events (users cleaning up) no longer extend any arrival, and what was
        due but never sent by then is kept in ``unsent``."""
        if self._open and at is not None:
            self.unsent = self.due_unsent(at)
            self.end = at
        self._open = False

    def measured(self, owner: Hashable, key: str, ms: float, failed: bool, at: float) -> None:
        """A Locust event of ``owner`` ended at ``at``: extend its arrival and count it in its window."""
        arrival = self._current.get(owner) if self._open else None
        if arrival is not None:
            arrival.done = at
            arrival.failed = arrival.failed or failed
        if self.window is None:
            return
        self.begin(at)
        index = self.window_of(at)
        slot = self.windows.setdefault(index, {}).setdefault(key, [0, 0, {}])
        slot[0] += 1
        slot[1] += int(failed)
        if not failed:  # a window's latency is that of its successes, as the whole run's (report/loadsummary.py)
            bucket = locust_round(ms)
            slot[2][bucket] = slot[2].get(bucket, 0) + 1

    def window_of(self, at: float) -> int:
        """The window ``at`` falls in (-1: before the first, in the warm-up)."""
        if self.window is None or self.start is None:
            return 0
        offset = at - self.start - self.warmup
        return -1 if offset < 0 else int(offset // self.window)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (what each Locust process writes)."""
        return {
            "window": self.window,
            "warmup": self.warmup,
            "start": self.start,
            "stopped": self.stopped,
            "end": self.end,
            "unsent": self.unsent,
            "arrivals": [[a.scheduled, a.sent, a.done, a.failed] for a in self.arrivals],
            "windows": {
                str(k): {key: [n, f, {str(ms): c for ms, c in h.items()}] for key, (n, f, h) in v.items()}
                for k, v in self.windows.items()
            },
        }

    def write(self, folder: Path, pid: int) -> Path:
        """Write ``to_dict()`` as ``arrivals-<pid>.json`` into ``folder``."""
        path = folder / RECORD_NAME.format(pid=pid)
        path.write_text(json.dumps(self.to_dict()))
        return path


def merge(recordings: Iterable[Mapping[str, Any]]) -> Recorder:
    """One recording of several processes' (Locust's workers): arrivals together, histograms summed.

    Each process counted windows from its own start; workers start within a spawn message of each other, and the
    merged start is the earliest.
    """
    merged = Recorder()
    for raw in recordings:
        merged.window = raw.get("window") if merged.window is None else merged.window
        merged.warmup = float(raw.get("warmup") or 0.0)
        merged.stopped = merged.stopped or str(raw.get("stopped") or "")
        end = raw.get("end")
        if end is not None:
            merged.end = float(end) if merged.end is None else max(merged.end, float(end))
        start = raw.get("start")
        if start is not None:
            merged.start = start if merged.start is None else min(merged.start, float(start))
        merged.unsent.extend(float(t) for t in raw.get("unsent") or [])
        for scheduled, sent, done, failed in raw.get("arrivals") or []:
            merged.arrivals.append(
                Arrival(float(scheduled), float(sent), None if done is None else float(done), bool(failed))
            )
        for index, keys in (raw.get("windows") or {}).items():
            into = merged.windows.setdefault(int(index), {})
            for key, (n, f, hist) in keys.items():
                slot = into.setdefault(key, [0, 0, {}])
                slot[0] += int(n)
                slot[1] += int(f)
                for ms, count in hist.items():
                    slot[2][int(ms)] = slot[2].get(int(ms), 0) + int(count)
    merged.arrivals.sort(key=lambda a: a.scheduled)
    merged.unsent.sort()
    return merged


def read_recordings(folder: Path) -> Recorder | None:
    """The merged recording of every ``arrivals-*.json`` in ``folder``; None when no process wrote one."""
    files = sorted(folder.glob(RECORD_NAME.format(pid="*")))
    if not files:
        return None
    return merge(json.loads(path.read_text()) for path in files)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values`` by nearest rank; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Dispatch:
    """Dispatch delay over a run: percentiles, the limit, and whether the figures can be trusted.

    ``model`` is "open" (a schedule exists: figures are measured) or "closed" (no schedule: n/a, see ``note``).
    """

    model: str
    limit_ms: float
    count: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    #: False when the p99 is over the limit: the generator, not the server, set the pace
    trustworthy: bool = True
    note: str = ""
    #: arrivals due that no user sent before the run ended
    unsent: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The ``dispatch`` section of ``load.json``."""
        return {
            "model": self.model,
            "limit_ms": self.limit_ms,
            "count": self.count,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "trustworthy": self.trustworthy,
            "note": self.note,
            "unsent": self.unsent,
        }


CLOSED_NOTE = (
    "n/a: closed model (no --arrival-rate). Each user sends its next request when the previous one ended plus its "
    "wait_time, so no request is due at a moment independent of the server and a slow server slows the senders "
    "(coordinated omission by construction). Use --arrival-rate for figures a stalling server cannot hide from."
)


def dispatch_of(
    arrivals: Sequence[Arrival] | None, limit_ms: float, unsent: Sequence[float] = (), end: float | None = None
) -> Dispatch:
    """Dispatch delay p50/p99/max of ``arrivals`` judged against ``limit_ms``; a closed model's (None) is n/a.

    Arrivals due but never sent (``unsent``, due moments) count with their delay up to ``end``, the run's end: a
    lower bound, so a generator that fell far behind cannot look punctual by never sending.
    """
    if arrivals is None:
        return Dispatch("closed", limit_ms, note=CLOSED_NOTE)
    delays = [a.delay_ms for a in arrivals]
    if end is not None:
        delays += [max(end - due, 0.0) * 1000 for due in unsent]
    if not delays:
        return Dispatch("open", limit_ms, note="no arrival was sent: nothing to judge")
    p99 = percentile(delays, 99) or 0.0
    ok = p99 <= limit_ms
    note = (
        ""
        if ok
        else (
            f"figures not trustworthy: the load generator was the bottleneck (p99 dispatch delay {p99:.1f} ms > "
            f"{limit_ms:g} ms): requests went out later than scheduled, so latencies under-count what a steady "
            "stream of arrivals would have met (coordinated omission). Add users (-u) or workers, or lower the rate."
        )
    )
    if unsent:
        was = "was" if len(unsent) == 1 else "were"
        unsent_ones = f"{counted(len(unsent), 'arrival')} due {was} never sent"
        note += f"{' ' if note else ''}{unsent_ones} (counted up to the run's end)."
    return Dispatch("open", limit_ms, len(arrivals), percentile(delays, 50), p99, max(delays), ok, note, len(unsent))
