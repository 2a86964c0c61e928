"""The load summary: Locust's final statistics turned into percentiles, throughput, SLO verdicts and a time series.

Locust writes its aggregated figures (the master's, in a distributed run) as JSON;
this module reads that file and the per-second history CSV, and judges the SLOs of
a profile. Nothing here imports locust.

SLO file (``loadtests/<api>.slo.yaml``), one list of rules per profile::

    polling:
      - entry: "JOB h2o3 parse submit-to-done"    # "<type> <name>" of a Locust entry
        p95_ms: 5000
      - failure_ratio: 0.01                       # of the requests, and of the jobs and streams
      - entry: "JOB h2o3 parse submitted"
        min_requests: 1

Overrides on the command line: ``"JOB h2o3 parse submit-to-done:p95_ms=3000"`` or ``failure_ratio=0.05``.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from h2oharness.arrivals import locust_round
from h2oharness.errors import ConfigError
from h2oharness.http.streammetrics import DEFINITIONS as STREAM_DEFINITIONS
from h2oharness.report.entrynames import (
    COUNTS,
    JOB,
    OUTCOMES,
    REFUSED,
    STREAM,
    SUBMIT_TO_DONE,
    UNFINISHED,
    suffixed,
)
from h2oharness.report.loadreasons import FailureReason, Reasons
from h2oharness.report.streamsummary import StreamFigures, stream_figures
from h2oharness.words import counted
from h2oharness.yamlinput import read_yaml

PERCENTILES = (50, 90, 95, 99)
#: entries whose "response time" is a count, not milliseconds (h2oharness/loadtest.py fires them): never plotted as one
COUNT_SUFFIXES = suffixed(*COUNTS)
#: the limits a rule may set, and how each is measured
LIMITS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "failure_ratio", "min_requests", "min_rps")


@dataclass(frozen=True)
class EntryStats:
    """One Locust entry (a request name, a job metric or a stream metric) over the whole run.

    Its latency (``p50`` to ``p99``, ``max``, ``mean``) is that of its successful requests only, as k6's
    ``expected_response:true``: Locust times failures too, and an instant reset or a slow timeout is no latency of
    the service. The failures' own times are ``failed_p50``, ``failed_p95`` and ``failed_max`` (0 without any).
    """

    type: str
    name: str
    requests: int
    failures: int
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    mean: float
    rps: float
    failed_p50: float = 0.0
    failed_p95: float = 0.0
    failed_max: float = 0.0

    @property
    def key(self) -> str:
        """How SLO rules name this entry: ``"<type> <name>"``."""
        return f"{self.type} {self.name}"

    @property
    def failure_ratio(self) -> float:
        """Failed share of this entry's requests."""
        return self.failures / self.requests if self.requests else 0.0

    @property
    def is_latency(self) -> bool:
        """Whether its figures are milliseconds (a request, a job's submit-to-done, a stream) rather than counts."""
        return is_latency(self.key)


def is_latency(key: str) -> bool:
    """Whether the entry named ``"<type> <name>"`` measures milliseconds; a job's "submitted" marker is always 0."""
    return not key.endswith(COUNT_SUFFIXES)


#: entry types that are the harness's measurements (h2oharness/loadtest.py's jobs and streams), not requests
MEASUREMENTS = (JOB, STREAM)
#: the measurement entries fired once per job or stream, failed when it failed; the others (ITL once per token,
#: polls per job, time to first token...) are figures of one and never fail
OUTCOME_SUFFIXES = suffixed(*OUTCOMES)
#: failure reasons the terminal summary shows (load.json and load.html have them all)
SAID_REASONS = 3


def is_outcome(entry: EntryStats) -> bool:
    """Whether ``entry`` counts jobs or streams, one each, as they ended: a ``JOB`` submit-to-done, a ``STREAM``."""
    return entry.type in MEASUREMENTS and entry.name.endswith(OUTCOME_SUFFIXES)


@dataclass(frozen=True)
class Totals:
    """A run's counts, the same in the live line and in ``load.json``: the requests (with the ``TASK`` failures of the
    target that no request recorded) and their failures, apart from the jobs and streams measured and theirs.

    A failed job is a failed ``JOB`` measurement besides the failed request inside it, if any: the two are never
    added up, so a failure is not counted twice nor a job's figures (polls, ITL...) as requests. ``measurements``
    counts each job and stream once (:data:`OUTCOME_SUFFIXES`), not each figure of one: a stream of 200 tokens is
    one measurement, not 200 ITL samples that would make its failure read as 0.5%.

    ``refused`` counts the job submissions the target refused or never answered apart (no job was made, so none
    is a failed job): they are not among the ``measurements`` and their failures, and count against the run-wide
    ``failure_ratio`` all the same (the user's submission failed; its request's failure is among ``failures``).
    """

    requests: int
    failures: int
    rps: float
    measurements: int
    measurement_failures: int
    refused: int = 0

    @property
    def failure_ratio(self) -> float:
        """Failed share of the requests."""
        return self.failures / self.requests if self.requests else 0.0

    @property
    def measurement_failure_ratio(self) -> float:
        """Failed or refused share of the jobs and streams tried (a refused submission is a try that failed)."""
        tried = self.measurements + self.refused
        return (self.measurement_failures + self.refused) / tried if tried else 0.0

    @property
    def worst_failure_ratio(self) -> float:
        """What the run-wide ``failure_ratio`` SLO judges: the failed share of the requests or of the jobs and
        streams, whichever is higher (a job that ends FAILED after polls that all answered fails no request)."""
        return max(self.failure_ratio, self.measurement_failure_ratio)


def totals_of(entries: Iterable[EntryStats]) -> Totals:
    """The :class:`Totals` of ``entries``."""
    entries = list(entries)
    requests = [e for e in entries if e.type not in MEASUREMENTS]
    measured = [e for e in entries if is_outcome(e)]
    return Totals(
        requests=sum(e.requests for e in requests),
        failures=sum(e.failures for e in requests),
        rps=sum(e.rps for e in requests),
        measurements=sum(e.requests for e in measured),
        measurement_failures=sum(e.failures for e in measured),
        refused=sum(e.requests for e in entries if e.type == JOB and e.name.endswith(f" {REFUSED}")),
    )


def histogram_percentile(histogram: Mapping[str, int] | Mapping[int, int] | Mapping[float, int], q: float) -> float:
    """The ``q``-th percentile (0-100) of a Locust response-time histogram ({rounded ms: count}), nearest rank."""
    counts = sorted((float(k), int(v)) for k, v in histogram.items() if int(v) > 0)
    total = sum(c for _, c in counts)
    if total == 0:
        return 0.0
    rank = max(1, math.ceil(q / 100 * total))
    seen = 0
    for value, count in counts:
        seen += count
        if seen >= rank:
            return value
    return counts[-1][0]


#: the file each Locust process that runs users writes its :class:`Outcomes` to (``{pid}`` filled in)
OUTCOMES_NAME = "outcomes-{pid}.json"


@dataclass
class Timings:
    """The times of one entry's requests of one outcome: how many, their sum and maximum, and their histogram
    ({ms rounded as Locust rounds them: count}). A request without a time (Locust allows None) is counted only."""

    count: int = 0
    total: float = 0.0
    max: float = 0.0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, ms: float | None) -> None:
        """Count one request that took ``ms`` milliseconds."""
        self.count += 1
        if ms is None:
            return
        self.total += ms
        self.max = max(self.max, ms)
        bucket = locust_round(ms)
        self.histogram[bucket] = self.histogram.get(bucket, 0) + 1

    def merge(self, other: Timings) -> None:
        """Add ``other``'s requests to these."""
        self.count += other.count
        self.total += other.total
        self.max = max(self.max, other.max)
        for bucket, n in other.histogram.items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + n

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100), nearest rank; 0 without any timed request."""
        return histogram_percentile(self.histogram, q)

    @property
    def mean(self) -> float:
        """The mean time of the timed requests; 0 without any."""
        timed = sum(self.histogram.values())
        return self.total / timed if timed else 0.0

    def to_list(self) -> list[Any]:
        """``[count, total, max, {ms: count}]`` for JSON."""
        return [self.count, self.total, self.max, {str(k): v for k, v in self.histogram.items()}]

    @classmethod
    def from_list(cls, raw: Sequence[Any]) -> Timings:
        """The inverse of :meth:`to_list`."""
        count, total, most, hist = raw
        return cls(int(count), float(total), float(most), {int(float(k)): int(v) for k, v in hist.items()})


@dataclass
class Outcomes:
    """What the harness itself recorded of every Locust event: per entry (``"<type> <name>"``), the times of its
    successful requests apart from its failed ones; what Locust's statistics, one histogram for both, cannot give.

    Each Locust process that runs users records its own (h2oharness/loadtest.py) and writes it when it quits; the
    runner merges them (a distributed run's workers). Example::

        outcomes = Outcomes()
        outcomes.add("GET /3/Cloud", 12.0, failed=False)
        outcomes.add("GET /3/Cloud", 1.0, failed=True)   # a reset: no latency of the service
        outcomes.ok["GET /3/Cloud"].percentile(95)       # 12.0
    """

    ok: dict[str, Timings] = field(default_factory=dict)
    failed: dict[str, Timings] = field(default_factory=dict)
    #: why the failures failed, folded by entry and reason
    reasons: Reasons = field(default_factory=Reasons)

    def add(self, key: str, ms: float | None, failed: bool, why: BaseException | str | None = None) -> None:
        """Count one event of ``key`` that took ``ms`` and failed (for the reason ``why``) or not."""
        (self.failed if failed else self.ok).setdefault(key, Timings()).add(ms)
        if failed and why is not None:
            self.reasons.add(key, why, time.time())

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per entry: (requests, failures)."""
        keys = set(self.ok) | set(self.failed)
        none = Timings()
        return {k: (self.ok.get(k, none).count + self.failed.get(k, none).count, self.failed.get(k, none).count)
                for k in keys}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (what each Locust process writes)."""
        return {
            "ok": {k: t.to_list() for k, t in self.ok.items()},
            "failed": {k: t.to_list() for k, t in self.failed.items()},
            "reasons": self.reasons.to_list(),
        }

    def merge(self, raw: Mapping[str, Any]) -> None:
        """Add a :meth:`to_dict` (another process's) to this record."""
        for name, into in (("ok", self.ok), ("failed", self.failed)):
            for key, timings in (raw.get(name) or {}).items():
                into.setdefault(key, Timings()).merge(Timings.from_list(timings))
        self.reasons.merge(raw.get("reasons"))

    def write(self, folder: Path, pid: int) -> Path:
        """Write ``to_dict()`` as ``outcomes-<pid>.json`` into ``folder``, whole or not at all: the live line reads
        the snapshots while the processes still write them."""
        path = folder / OUTCOMES_NAME.format(pid=pid)
        part = folder / f".{path.name}.part"
        part.write_text(json.dumps(self.to_dict()))
        os.replace(part, path)
        return path

    @classmethod
    def read(cls, folder: Path) -> Outcomes:
        """Every ``outcomes-*.json`` in ``folder`` merged (empty when there is none)."""
        merged = cls()
        for path in sorted(folder.glob(OUTCOMES_NAME.format(pid="*"))):
            merged.merge(json.loads(path.read_text()))
        return merged


def keep_written(
    outcomes: Outcomes,
    folder: Path,
    pid: int,
    every: float,
    sleep: Callable[[float], object],
    running: Callable[[], bool],
) -> int:
    """Write ``outcomes`` into ``folder`` every ``every`` seconds while ``running()`` (a Locust process's snapshots,
    which the live line reads: Locust's own CSV times failures as latency); how many times it wrote."""
    written = 0
    while running():
        sleep(every)
        if not running():
            break  # the process wrote its final record as it quit: a snapshot now would only repeat it
        outcomes.write(folder, pid)
        written += 1
    return written


def _with_successes(entry: EntryStats, ok: Timings, failed: Timings) -> EntryStats:
    """``entry`` with the latency of its successful requests, and its failures' times apart."""
    return dataclasses.replace(
        entry,
        p50=ok.percentile(50),
        p90=ok.percentile(90),
        p95=ok.percentile(95),
        p99=ok.percentile(99),
        max=ok.max,
        mean=ok.mean,
        failed_p50=failed.percentile(50),
        failed_p95=failed.percentile(95),
        failed_max=failed.max,
    )


def with_outcomes(entries: Sequence[EntryStats], outcomes: Outcomes) -> list[EntryStats]:
    """``entries`` (Locust's figures so far, failures timed with the rest) with the latency of the successful
    requests wherever the harness's record has the entry; the others keep Locust's until a snapshot holds them."""
    none = Timings()
    out = []
    for entry in entries:
        ok, failed = outcomes.ok.get(entry.key), outcomes.failed.get(entry.key)
        if ok is None and failed is None:
            out.append(entry)
        else:
            out.append(_with_successes(entry, ok or none, failed or none))
    return out


def _span(raw: Sequence[Mapping[str, Any]]) -> float:
    """Seconds from the first entry's start to the last request of any entry in Locust's JSON figures."""
    starts = [float(e["start_time"]) for e in raw if e.get("start_time")]
    lasts = [float(e["last_request_timestamp"]) for e in raw if e.get("last_request_timestamp")]
    return max(lasts) - min(starts) if starts and lasts else 0.0


def entries_from_locust(raw: Sequence[Mapping[str, Any]], outcomes: Outcomes | None = None) -> list[EntryStats]:
    """Per-entry figures from Locust's ``--json-file`` output (a list of stats entries).

    With the harness's own ``outcomes`` the latency figures are those of the successful requests and the failures'
    times are apart (an entry the record lacks has no latency); without it they are Locust's, failures included.
    """
    out = []
    none = Timings()
    # over the run's span, as Locust's own rate is: an entry's own (its first to its last request) makes three
    # cleanups in the last 10 ms a rate of 300/s, and the totals, their sum, thousands
    span = _span(raw)
    for e in raw:
        hist = e.get("response_times") or {}
        n = int(e.get("num_requests") or 0)
        rps = n / span if span > 0 else float(n)
        kind, name = str(e.get("method") or ""), str(e.get("name") or "")
        figures: dict[str, float] = {
            "p50": histogram_percentile(hist, 50),
            "p90": histogram_percentile(hist, 90),
            "p95": histogram_percentile(hist, 95),
            "p99": histogram_percentile(hist, 99),
            "max": float(e.get("max_response_time") or 0.0),
            "mean": float(e.get("total_response_time") or 0.0) / n if n else 0.0,
        }
        failures = int(e.get("num_failures") or 0)
        entry = EntryStats(type=kind, name=name, requests=n, failures=failures, rps=rps, **figures)
        if outcomes is not None:
            key = f"{kind} {name}"
            entry = _with_successes(entry, outcomes.ok.get(key, none), outcomes.failed.get(key, none))
        out.append(entry)
    return sorted(out, key=lambda s: (s.type, s.name))


def outcome_errors(entries: Sequence[EntryStats], outcomes: Outcomes) -> list[str]:
    """Where the harness's own record does not count what Locust counted (empty when they agree): those entries'
    latency figures are not those of all their successful requests."""
    counts = outcomes.counts()
    return [
        f"{e.key}: Locust counted {counted(e.requests, 'request')} ({e.failures} failed), the harness timed "
        f"{counts.get(e.key, (0, 0))[0]} ({counts.get(e.key, (0, 0))[1]} failed): its latency figures are not those of "
        "all its successful requests"
        for e in entries
        if counts.get(e.key, (0, 0)) != (e.requests, e.failures)
    ]


@dataclass(frozen=True)
class Rule:
    """One SLO: a limit on one entry's figure, or on the whole run (``entry`` None)."""

    limit: str
    value: float
    entry: str | None = None

    @property
    def label(self) -> str:
        """How the rule reads in a summary: ``"JOB h2o3 parse submit-to-done p95_ms <= 5000"``."""
        op = ">=" if self.limit.startswith("min_") else "<="
        return f"{self.entry + ' ' if self.entry else ''}{self.limit} {op} {self.value:g}"


@dataclass(frozen=True)
class Verdict:
    """A rule and what the run measured for it."""

    rule: str
    observed: float | None
    ok: bool
    note: str = ""


def _rules_from(items: Iterable[Any], where: str, numbered: bool = True) -> list[Rule]:
    """The rules of ``items``; a refusal names each by its number from 1 (``numbered``), else by ``where`` alone."""
    rules = []
    for number, item in enumerate(items, 1):
        at = f"{where}: rule {number}" if numbered else where  # the first rule of a file was called rule 0
        if not isinstance(item, dict):
            raise ConfigError(f"{at} is not a mapping")
        entry = item.get("entry")
        limits = {k: v for k, v in item.items() if k != "entry"}
        unknown = sorted(set(limits) - set(LIMITS))
        if unknown or not limits:
            raise ConfigError(
                f"{at}: limits must be among {', '.join(LIMITS)}, got {', '.join(map(str, unknown)) or 'none'}"
            )
        for limit, value in limits.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"{at}: {limit} must be a number, got {value!r}")
            # a NaN limit is never met, a negative one never either: refused before the run, not judged after it
            if not value >= 0:
                raise ConfigError(f"{at}: {limit} must be a number of 0 or more, got {value:g}")
            if value == math.inf:  # a limit no run can break, or a minimum none can meet
                raise ConfigError(f"{at}: {limit} must be finite, got {value:g}")
            if limit == "failure_ratio" and value > 1:
                # a percentage given as one ("failure_ratio=2" for 2 %) made an SLO that no run could break
                raise ConfigError(f"{at}: failure_ratio is a share from 0 to 1 (0.02 is 2 %), got {value:g}")
            if limit.endswith("_ms") and not entry:
                raise ConfigError(f"{at}: {limit} is a latency limit: it needs an entry")
            rules.append(Rule(limit, float(value), str(entry) if entry else None))
    return rules


def load_slos(path: Path, profile: str, kinds: Sequence[str] | None = None) -> list[Rule]:
    """The SLO rules of ``profile`` in an SLO file; none when the file or the profile's section is absent. With
    ``kinds`` (the profiles of the file's API), a section naming none of them is refused."""
    if not path.is_file():
        return []
    doc = read_yaml(path, ConfigError) or {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of profile names to rule lists")
    # a misspelt section ("pollling:") left its profile without SLOs, and every run of it passed on none
    for section in doc:
        if kinds is not None and section not in kinds:
            close = difflib.get_close_matches(str(section), list(kinds), n=1, cutoff=0.6)
            raise ConfigError(
                f"{path}: a section {section!r} names no profile of {path.name.removesuffix('.slo.yaml')}.py"
                f" (its profiles: {', '.join(kinds)})" + (f"; did you mean {close[0]!r}?" if close else "")
            )
    section = doc.get(profile) or []
    if not isinstance(section, list):
        raise ConfigError(f"{path}: {profile}: expected a list of rules")
    return refuse_repeated(_rules_from(section, f"{path}: {profile}"), f"{path}: {profile}")


def parse_override(text: str) -> Rule:
    """A rule from the command line: ``"ENTRY:limit=value"`` or ``"limit=value"``."""
    head, sep, value = text.rpartition("=")
    if not sep or not head:
        raise ConfigError(f"--slo takes [ENTRY:]LIMIT=VALUE, got {text!r}")
    entry, colon, limit = head.rpartition(":")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"--slo {text!r}: {value!r} is not a number") from None
    rule = {"entry": entry, limit: number} if colon else {limit: number}
    return _rules_from([rule], f"--slo {text!r}", numbered=False)[0]


def refuse_repeated(rules: Sequence[Rule], where: str) -> list[Rule]:
    """``rules``; ConfigError when two limit the same figure of the same entry (only the last one was judged)."""
    seen: dict[tuple[str | None, str], Rule] = {}
    for rule in rules:
        first = seen.setdefault((rule.entry, rule.limit), rule)
        if first is not rule:
            name = f"{rule.entry}:{rule.limit}" if rule.entry else rule.limit
            raise ConfigError(f"{where}: {name} is given twice ({first.value:g} and {rule.value:g}): give one")
    return list(rules)


def merge_rules(base: Sequence[Rule], overrides: Sequence[Rule]) -> list[Rule]:
    """``base`` with each override replacing the rule on the same entry and limit (or added)."""
    merged = {(r.entry, r.limit): r for r in base}
    for rule in overrides:
        merged[(rule.entry, rule.limit)] = rule
    return list(merged.values())


def _measure(rule: Rule, entry: EntryStats | None, entries: Sequence[EntryStats]) -> float:
    # run-wide, as the live line and load.json's totals count: requests, not a stream's ITL samples or a job's polls
    if rule.limit == "failure_ratio":
        return entry.failure_ratio if entry is not None else totals_of(entries).worst_failure_ratio
    if rule.limit == "min_requests":
        return float(entry.requests if entry else totals_of(entries).requests)
    if rule.limit == "min_rps":
        return entry.rps if entry else totals_of(entries).rps
    if entry is None:
        raise ConfigError(f"SLO {rule.label}: a latency limit needs an entry")
    return float(getattr(entry, rule.limit.removesuffix("_ms")))


def unfinished_note(entry: EntryStats | None) -> str:
    """What an ``<job> unfinished at stop`` entry says: ``"2 jobs submitted had not ended when the run stopped, the
    longest after 18.2 s"``; empty without one."""
    if entry is None or not entry.requests:
        return ""
    jobs = "1 job" if entry.requests == 1 else f"{entry.requests} jobs"
    return f"{jobs} submitted had not ended when the run stopped, the longest after {entry.max / 1000:.3g} s"


def judge(rules: Sequence[Rule], entries: Sequence[EntryStats]) -> list[Verdict]:
    """Each rule's verdict; a rule on an entry the run never recorded fails and says so, and so does a latency
    limit on an entry whose every request failed."""
    by_key = {e.key: e for e in entries}
    verdicts = []
    for rule in rules:
        entry = by_key.get(rule.entry) if rule.entry else None
        if rule.entry and entry is None:
            note = f"the run recorded no entry {rule.entry!r}"
            if still := unfinished_note(by_key.get(_unfinished_key(rule.entry))):
                note += f": {still}"
            verdicts.append(Verdict(rule.label, None, False, note))
            continue
        if entry is not None and rule.limit.endswith("_ms") and entry.requests and entry.failures == entry.requests:
            # Locust times a failure too: a reset answered in 5 ms would read as a fast, met p95
            note = (
                f"every one of its {counted(entry.requests, 'request')} failed: no latency to judge"
                if entry.requests != 1
                else "its one request failed: no latency to judge"
            )
            verdicts.append(Verdict(rule.label, None, False, note))
            continue
        observed = _measure(rule, entry, entries)
        note = _failure_note(entries) if _run_wide(rule) else ""
        unfinished = by_key.get(_unfinished_key(rule.entry)) if rule.entry else None
        if unfinished is not None and rule.limit.endswith("_ms") and unfinished.requests:
            # the finished jobs' figures leave out the ones still running at the stop: said with the verdict, and
            # a job already older than a max_ms limit surely broke it
            note = unfinished_note(unfinished)
            if rule.limit == "max_ms":
                observed = max(observed, unfinished.max)
        ok = observed >= rule.value if rule.limit.startswith("min_") else observed <= rule.value
        verdicts.append(Verdict(rule.label, observed, ok, note))
    return verdicts


def _unfinished_key(key: str) -> str:
    """The key of the jobs still running at the stop beside a ``JOB <job> submit-to-done`` key ('' for another)."""
    ends = f" {SUBMIT_TO_DONE}"
    return key.replace(ends, f" {UNFINISHED}") if key.endswith(ends) else ""


def _run_wide(rule: Rule) -> bool:
    return rule.entry is None and rule.limit == "failure_ratio"


def _failure_note(entries: Sequence[EntryStats]) -> str:
    totals = totals_of(entries)
    note = f"requests {totals.failures}/{totals.requests} failed"
    if totals.measurements:
        note += f", jobs and streams {totals.measurement_failures}/{totals.measurements}"
    if totals.refused:
        note += f", {counted(totals.refused, 'job submission')} refused"
    return note


@dataclass(frozen=True)
class SeriesPoint:
    """One second of one entry: when, how many users, Locust's p50/p95 and rate, and what that second itself saw.

    Locust's p50/p95 cover a sliding window of about 10 s and read 0 until it has one; ``count`` and ``mean`` are
    the requests of this interval alone and their mean time, from the difference of the cumulative totals.
    """

    t: float
    users: int
    p50: float
    p95: float
    rps: float
    mean: float = 0.0
    count: int = 0


def read_history(path: Path, keys: Iterable[str]) -> dict[str, list[SeriesPoint]]:
    """The per-second series of the chosen entries (``"<type> <name>"``) from ``*_stats_history.csv``.

    Entries that count rather than time (``COUNT_SUFFIXES``) have no series: a job's "submitted" is always 0.
    """
    wanted = {key for key in keys if is_latency(key)}
    series: dict[str, list[SeriesPoint]] = {k: [] for k in wanted}
    if not path.is_file():
        return series
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    start = min((float(r["Timestamp"]) for r in rows), default=0.0)

    def num(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return 0.0

    before: dict[str, tuple[float, float]] = {}  # per entry: requests and total milliseconds so far
    for row in rows:
        key = f"{row.get('Type', '')} {row.get('Name', '')}"
        if key in wanted:
            total = num(row.get("Total Request Count", ""))
            spent = total * num(row.get("Total Average Response Time", ""))
            seen, spent_before = before.get(key, (0.0, 0.0))
            before[key] = (total, spent)
            count = int(total - seen)
            series[key].append(
                SeriesPoint(
                    float(row["Timestamp"]) - start,
                    int(num(row["User Count"])),
                    num(row["50%"]),
                    num(row["95%"]),
                    num(row["Requests/s"]),
                    (spent - spent_before) / count if count > 0 else 0.0,
                    max(count, 0),
                )
            )
    return series


#: the columns of Locust's ``*_stats.csv``, in its order
STATS_COLUMNS = (
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
    "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
)  # fmt: skip
_CSV_PERCENTILES = (50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100)


def _ms(value: float) -> int | float:
    """A histogram's milliseconds as Locust writes them: whole numbers without a decimal point."""
    return int(value) if value.is_integer() else value


def _stats_row(kind: str, name: str, entries: Sequence[Mapping[str, Any]], span: float) -> list[object]:
    """One row of ``*_stats.csv`` for ``entries`` merged (one entry, or all of them for "Aggregated"), its rates over
    the run's ``span`` in seconds."""
    histogram: dict[float, int] = {}
    for entry in entries:
        for value, count in (entry.get("response_times") or {}).items():
            histogram[float(value)] = histogram.get(float(value), 0) + int(count)
    requests = sum(int(e.get("num_requests") or 0) for e in entries)
    failures = sum(int(e.get("num_failures") or 0) for e in entries)
    timed = [e for e in entries if e.get("num_requests")]
    minimum = min((float(e.get("min_response_time") or 0) for e in timed), default=0.0)
    total_time = sum(float(e.get("total_response_time") or 0) for e in entries)
    content = sum(int(e.get("total_content_length") or 0) for e in entries)
    percentiles = [_ms(histogram_percentile(histogram, q)) if requests else "N/A" for q in _CSV_PERCENTILES]
    return [
        kind, name, requests, failures,
        _ms(histogram_percentile(histogram, 50)), total_time / requests if requests else 0.0, minimum,
        max((float(e.get("max_response_time") or 0) for e in entries), default=0.0),
        content / requests if requests else 0.0,
        requests / span if span > 0 else float(requests), failures / span if span > 0 else float(failures),
        *percentiles,
    ]  # fmt: skip


def stats_csv(raw: Sequence[Mapping[str, Any]]) -> str:
    """Locust's ``*_stats.csv`` (same columns, one row per entry, then "Aggregated") from its final JSON figures.

    Locust rewrites that file every second and not at the end, so it lags the final figures that ``load.json`` is
    made of; this text is written over it after the run, so the two agree.
    """
    import io

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(STATS_COLUMNS)
    ordered = sorted(raw, key=lambda e: (str(e.get("name") or ""), str(e.get("method") or "")))  # as Locust orders
    span = _span(raw)
    for entry in ordered:
        writer.writerow(_stats_row(str(entry.get("method") or ""), str(entry.get("name") or ""), [entry], span))
    writer.writerow(_stats_row("", "Aggregated", ordered, span))
    return text.getvalue()


@dataclass(frozen=True)
class LoadSummary:
    """What one load run did and whether it met its SLOs; JSON-serialisable."""

    profile: str
    target: dict[str, str]
    settings: dict[str, Any]
    entries: tuple[EntryStats, ...]
    verdicts: tuple[Verdict, ...]
    series: dict[str, list[SeriesPoint]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    #: dispatch delay of the load generator (``h2oharness.arrivals.Dispatch.to_dict()``), None when not measured
    dispatch: dict[str, Any] | None = None
    #: the capacity search's curve and answer (``h2oharness.capacity``), None for a plain run
    capacity: dict[str, Any] | None = None
    #: why its failures failed, the most frequent first (``h2oharness.report.loadreasons``)
    reasons: tuple[FailureReason, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every SLO holds, something was recorded and nothing went wrong."""
        return bool(self.entries) and not self.errors and all(v.ok for v in self.verdicts)

    @property
    def streams(self) -> list[StreamFigures]:
        """The streams' TTFT, ITL, TPOT, E2E and output tokens per stream name (h2oharness/http/streammetrics.py)."""
        run_time = self.settings.get("run_time")
        seconds = float(run_time) if isinstance(run_time, int | float) and not isinstance(run_time, bool) else None
        return stream_figures(self.entries, seconds)

    @property
    def stream_definitions(self) -> dict[str, str]:
        """What each stream metric means (TTFT, ITL, TPOT, E2E, output tokens...)."""
        return dict(STREAM_DEFINITIONS)

    @property
    def totals(self) -> Totals:
        """The run's requests and failures apart from its job and stream measurements (as the live line counts)."""
        return totals_of(self.entries)

    @property
    def summary(self) -> str:
        """One paragraph for a terminal."""
        broken = [v for v in self.verdicts if not v.ok]
        head = f"load {self.profile} against {self.target.get('kind')} {self.target.get('url')}: "
        head += f"{count_line(self.totals)}; {len(self.verdicts) - len(broken)}/{len(self.verdicts)} SLOs met"
        lines = [head]
        for v in broken:
            seen = "nothing" if v.observed is None else f"{v.observed:g}"
            lines.append(f"  SLO broken: {v.rule} (observed {seen}{'; ' + v.note if v.note else ''})")
        if self.reasons:
            more = f"; all {len(self.reasons)} in load.json" if len(self.reasons) > SAID_REASONS else ""
            lines.append(f"  why they failed, the most frequent first{more}:")
            lines += [f"    {r.line}" for r in self.reasons[:SAID_REASONS]]
        lines += [figures.line for figures in self.streams]
        for e in self.entries:
            if e.type == JOB and e.name.endswith(f" {UNFINISHED}"):
                lines.append(f"  {e.type} {e.name.removesuffix(f' {UNFINISHED}')}: {unfinished_note(e)}")
        lines += [f"  error: {e}" for e in self.errors]
        lines += dispatch_lines(self.dispatch)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The ``load.json`` layout."""
        return {
            "profile": self.profile,
            "target": self.target,
            "settings": self.settings,
            "passed": self.passed,
            "totals": asdict(self.totals),
            "entries": [{**asdict(e), "key": e.key} for e in self.entries],
            "slos": [asdict(v) for v in self.verdicts],
            "series": {k: [asdict(p) for p in pts] for k, pts in self.series.items()},
            "errors": list(self.errors),
            "failure_reasons": [r.to_dict() for r in self.reasons],
            "dispatch": self.dispatch,
            **({"capacity": self.capacity} if self.capacity is not None else {}),
            "streams": [asdict(f) for f in self.streams],
            "stream_definitions": self.stream_definitions if self.streams else {},
        }

    def to_json(self) -> str:
        """``to_dict()`` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def count_line(counts: Totals, rate: bool = False) -> str:
    """The counts as the live line and the summary say them: ``"385 requests, 2 failures (0.5%)"`` (with ``rate``,
    the requests per second after the requests), then the failed job and stream measurements and the refused job
    submissions when there are any."""
    line = f"{counted(counts.requests, 'request')}, " + (f"{counts.rps:.1f} req/s, " if rate else "")
    line += f"{counts.failures} failure{'' if counts.failures == 1 else 's'}"
    line += f" ({counts.failure_ratio:.1%})"
    if counts.measurement_failures:
        n = counts.measurement_failures
        line += f", {n} failed job/stream measurement{'' if n == 1 else 's'}"
    if counts.refused:
        line += f", {counted(counts.refused, 'job submission')} refused"
    return line


def dispatch_lines(dispatch: Mapping[str, Any] | None) -> list[str]:
    """The summary's lines on the generator's dispatch delay (none when it was not measured)."""
    if not dispatch:
        return []
    if dispatch.get("model") != "open":
        return ["  dispatch delay: n/a (closed model: no request is due on a schedule of its own)"]
    if dispatch.get("p99_ms") is None:
        return [f"  dispatch delay: {dispatch.get('note') or 'not measured'}"]
    line = f"  dispatch delay p50 {dispatch['p50_ms']:.1f} ms, p99 {dispatch['p99_ms']:.1f} ms"
    line += f" over {counted(dispatch['count'], 'arrival')} (limit p99 {dispatch['limit_ms']:g} ms)"
    if not dispatch.get("trustworthy", True):
        return [line, f"  NOT TRUSTWORTHY: {dispatch.get('note')}"]
    return [line]
