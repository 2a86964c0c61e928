"""The load summary: Locust's final statistics turned into percentiles, throughput, SLO verdicts and a time series.

Locust writes its aggregated figures (the master's, in a distributed run) as JSON;
this module reads that file and the per-second history CSV, and judges the SLOs of
a profile. Nothing here imports locust.

SLO file (``loadtests/<api>.slo.yaml``), one list of rules per profile::

    polling:
      - entry: "JOB h2o3 parse submit-to-done"    # "<type> <name>" of a Locust entry
        p95_ms: 5000
      - failure_ratio: 0.01                       # over every entry
      - entry: "JOB h2o3 parse submitted"
        min_requests: 1

Overrides on the command line: ``"JOB h2o3 parse submit-to-done:p95_ms=3000"`` or ``failure_ratio=0.05``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from h2oharness.errors import ConfigError

PERCENTILES = (50, 90, 95, 99)
#: the limits a rule may set, and how each is measured
LIMITS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "failure_ratio", "min_requests", "min_rps")


@dataclass(frozen=True)
class EntryStats:
    """One Locust entry (a request name, a job metric or a stream metric) over the whole run."""

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

    @property
    def key(self) -> str:
        """How SLO rules name this entry: ``"<type> <name>"``."""
        return f"{self.type} {self.name}"

    @property
    def failure_ratio(self) -> float:
        """Failed share of this entry's requests."""
        return self.failures / self.requests if self.requests else 0.0


def histogram_percentile(histogram: Mapping[str, int] | Mapping[int, int], q: float) -> float:
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


def entries_from_locust(raw: Sequence[Mapping[str, Any]]) -> list[EntryStats]:
    """Per-entry figures from Locust's ``--json-file`` output (a list of stats entries)."""
    out = []
    for e in raw:
        hist = e.get("response_times") or {}
        n = int(e.get("num_requests") or 0)
        span = float(e.get("last_request_timestamp") or 0) - float(e.get("start_time") or 0)
        rps = n / span if span > 0 else float(n)
        out.append(
            EntryStats(
                type=str(e.get("method") or ""),
                name=str(e.get("name") or ""),
                requests=n,
                failures=int(e.get("num_failures") or 0),
                p50=histogram_percentile(hist, 50),
                p90=histogram_percentile(hist, 90),
                p95=histogram_percentile(hist, 95),
                p99=histogram_percentile(hist, 99),
                max=float(e.get("max_response_time") or 0.0),
                mean=float(e.get("total_response_time") or 0.0) / n if n else 0.0,
                rps=rps,
            )
        )
    return sorted(out, key=lambda s: (s.type, s.name))


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


def _rules_from(items: Iterable[Any], where: str) -> list[Rule]:
    rules = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: rule {index} is not a mapping")
        entry = item.get("entry")
        limits = {k: v for k, v in item.items() if k != "entry"}
        unknown = sorted(set(limits) - set(LIMITS))
        if unknown or not limits:
            raise ConfigError(
                f"{where}: rule {index}: limits must be among {', '.join(LIMITS)}, got {unknown or 'none'}"
            )
        for limit, value in limits.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"{where}: rule {index}: {limit} must be a number, got {value!r}")
            rules.append(Rule(limit, float(value), str(entry) if entry is not None else None))
    return rules


def load_slos(path: Path, profile: str) -> list[Rule]:
    """The SLO rules of ``profile`` in an SLO file; none when the file or the profile's section is absent."""
    if not path.is_file():
        return []
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of profile names to rule lists")
    section = doc.get(profile) or []
    if not isinstance(section, list):
        raise ConfigError(f"{path}: {profile}: expected a list of rules")
    return _rules_from(section, f"{path}: {profile}")


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
    return _rules_from([{"entry": entry, limit: number} if colon else {limit: number}], "--slo")[0]


def merge_rules(base: Sequence[Rule], overrides: Sequence[Rule]) -> list[Rule]:
    """``base`` with each override replacing the rule on the same entry and limit (or added)."""
    merged = {(r.entry, r.limit): r for r in base}
    for rule in overrides:
        merged[(rule.entry, rule.limit)] = rule
    return list(merged.values())


def _measure(rule: Rule, entry: EntryStats | None, entries: Sequence[EntryStats]) -> float:
    if rule.limit == "failure_ratio":
        if entry is not None:
            return entry.failure_ratio
        total = sum(e.requests for e in entries)
        return sum(e.failures for e in entries) / total if total else 0.0
    if rule.limit == "min_requests":
        return float(entry.requests if entry else sum(e.requests for e in entries))
    if rule.limit == "min_rps":
        return entry.rps if entry else sum(e.rps for e in entries)
    if entry is None:
        raise ConfigError(f"SLO {rule.label}: a latency limit needs an entry")
    return float(getattr(entry, rule.limit.removesuffix("_ms")))


def judge(rules: Sequence[Rule], entries: Sequence[EntryStats]) -> list[Verdict]:
    """Each rule's verdict; a rule on an entry the run never recorded fails and says so."""
    by_key = {e.key: e for e in entries}
    verdicts = []
    for rule in rules:
        entry = by_key.get(rule.entry) if rule.entry else None
        if rule.entry and entry is None:
            verdicts.append(Verdict(rule.label, None, False, f"the run recorded no entry {rule.entry!r}"))
            continue
        observed = _measure(rule, entry, entries)
        ok = observed >= rule.value if rule.limit.startswith("min_") else observed <= rule.value
        verdicts.append(Verdict(rule.label, observed, ok))
    return verdicts


@dataclass(frozen=True)
class SeriesPoint:
    """One second of one entry: when, how many users, its p50/p95 so far in that window, requests per second."""

    t: float
    users: int
    p50: float
    p95: float
    rps: float


def read_history(path: Path, keys: Iterable[str]) -> dict[str, list[SeriesPoint]]:
    """The per-second series of the chosen entries (``"<type> <name>"``) from ``*_stats_history.csv``."""
    wanted = set(keys)
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

    for row in rows:
        key = f"{row.get('Type', '')} {row.get('Name', '')}"
        if key in wanted:
            series[key].append(
                SeriesPoint(
                    float(row["Timestamp"]) - start,
                    int(num(row["User Count"])),
                    num(row["50%"]),
                    num(row["95%"]),
                    num(row["Requests/s"]),
                )
            )
    return series


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

    @property
    def passed(self) -> bool:
        """True when every SLO holds, something was recorded and nothing went wrong."""
        return bool(self.entries) and not self.errors and all(v.ok for v in self.verdicts)

    @property
    def summary(self) -> str:
        """One paragraph for a terminal."""
        total = sum(e.requests for e in self.entries)
        failures = sum(e.failures for e in self.entries)
        broken = [v for v in self.verdicts if not v.ok]
        head = f"load {self.profile} against {self.target.get('kind')} {self.target.get('url')}: "
        head += f"{total} requests and measurements, {failures} failures, "
        head += f"{len(self.verdicts) - len(broken)}/{len(self.verdicts)} SLOs met"
        lines = [head]
        for v in broken:
            seen = "nothing" if v.observed is None else f"{v.observed:g}"
            lines.append(f"  SLO broken: {v.rule} (observed {seen}{'; ' + v.note if v.note else ''})")
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The ``load.json`` layout."""
        return {
            "profile": self.profile,
            "target": self.target,
            "settings": self.settings,
            "passed": self.passed,
            "entries": [{**asdict(e), "key": e.key} for e in self.entries],
            "slos": [asdict(v) for v in self.verdicts],
            "series": {k: [asdict(p) for p in pts] for k, pts in self.series.items()},
            "errors": list(self.errors),
        }

    def to_json(self) -> str:
        """``to_dict()`` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)
