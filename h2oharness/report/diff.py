"""``h2oharness report diff``: what changed between two reports, and whether it is a regression.

A report is a ``conformance.json`` (``run``), a ``load.json`` (``load``), or a folder holding either or both.
Operations and scenarios are compared per API and target. A regression is an operation
or scenario that now fails on something the target's known findings do not explain, a
defect among the new failures that the old report did not have, an error of the run that
the old report did not have (the harness could not run part of it: a target that could not
be used, a module that did not collect); and, between two ``load.json``, an entry whose p95
grew by more than 20 % and 50 ms, an entry whose failed share grew by more than a percentage
point, or an SLO the old run met and the new one broke. What the old report tested
and the new one did not is listed, not counted: a run may choose fewer operations.
Two load runs of different profiles are not comparable: their entries and SLOs are
not the same ones, and a diff of what they share would pass a gate on nothing (a
ConfigError; beside two conformance reports, those alone are compared and a note says so).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from h2oharness.errors import ConfigError
from h2oharness.report.build import known_only, one_line
from h2oharness.report.defects import group_defects
from h2oharness.report.entrynames import JOB, REFUSED, SUBMITTED, UNFINISHED
from h2oharness.report.loadsummary import is_latency
from h2oharness.report.model import ApiReport, Conformance, OperationResult, ScenarioResult
from h2oharness.runoptions import SCOPE

__all__ = [
    "REGRESSION_FAILED_SHARE",
    "REGRESSION_MS",
    "REGRESSION_RATIO",
    "LoadFigures",
    "ReadReport",
    "ReportDiff",
    "diff_reports",
    "read_report",
    "render_diff",
]

#: a p95 regresses when it is this much worse, relatively and absolutely
REGRESSION_RATIO = 0.2
REGRESSION_MS = 50.0
#: an entry's failed share regresses when it grows by more than this (a percentage point)
REGRESSION_FAILED_SHARE = 0.01
_REASON_CHARS = 100
#: what kept the harness from running is the one thing to fix before anything else: said in full, or nearly
_ERROR_CHARS = 400


@dataclass(frozen=True)
class LoadFigures:
    """What a ``load.json`` says that two runs can be compared on: each entry's p95, its (requests, failures) where
    it has them, and each SLO rule's verdict."""

    p95: dict[str, float]
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    slos: dict[str, bool] = field(default_factory=dict)
    label: str = ""
    #: the load profile run (``h2o3.polling``): the entries and SLOs of two profiles are not comparable
    profile: str = ""
    #: why its failures failed: (entry, reason) -> (count, its first error word for word)
    reasons: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadReport:
    """A report read from disk: a conformance report, the figures of a load.json, or both (one at least)."""

    path: Path
    conformance: Conformance | None
    load: LoadFigures | None = None


@dataclass(frozen=True)
class ReportDiff:
    """The changes from an old report to a new one; each item is one line for a terminal."""

    old: str
    new: str
    #: how the two runs' scopes differ (what they set out to test): said before anything they are compared on
    scope: tuple[str, ...] = ()
    newly_failing: tuple[str, ...] = ()
    newly_known: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    new_defects: tuple[str, ...] = ()
    new_drift: tuple[str, ...] = ()
    slower: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    new_errors: tuple[str, ...] = ()
    untested: tuple[str, ...] = ()
    more_failures: tuple[str, ...] = ()
    broken_slos: tuple[str, ...] = ()
    improved: tuple[str, ...] = ()
    new_reasons: tuple[str, ...] = ()

    @property
    def regressions(self) -> int:
        """Newly failing operations and scenarios, new defects, new errors of the run, and the load regressions:
        slower p95, a larger failed share, an SLO newly broken."""
        return sum(
            len(items)
            for items in (
                self.newly_failing,
                self.new_defects,
                self.new_errors,
                self.slower,
                self.more_failures,
                self.broken_slos,
            )
        )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _load_figures(path: Path) -> LoadFigures:
    """What ``path`` (a load.json) says per entry and SLO; ConfigError, one line, when it is not a load.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable load.json: {exc}") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(entries, list):
        raise ConfigError(f"{path}: not a load.json (no 'entries' list)")
    p95: dict[str, float] = {}
    counts: dict[str, tuple[int, int]] = {}
    for index, entry in enumerate(entries):
        key, value = (entry.get("key"), entry.get("p95")) if isinstance(entry, dict) else (None, None)
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: entries[{index}] needs a string 'key' and a number 'p95'")
        if math.isfinite(value):
            p95[key] = float(value)
        requests, failures = _count(entry.get("requests")), _count(entry.get("failures"))
        if requests is not None and failures is not None:
            counts[key] = (requests, failures)
    counts = refusals_of_tries(counts)
    slos = {
        str(slo["rule"]): bool(slo["ok"])
        for slo in data.get("slos") or []
        if isinstance(slo, dict) and isinstance(slo.get("rule"), str) and isinstance(slo.get("ok"), bool)
    }
    target = data.get("target")
    target = target if isinstance(target, dict) else {}
    profile = str(data.get("profile", "?"))
    label = f"load {profile} against {target.get('kind', '?')} {target.get('url', '')}".strip()
    return LoadFigures(p95, counts, slos, label, profile, _reasons(data.get("failure_reasons")))


def _reasons(raw: object) -> dict[tuple[str, str], tuple[int, str]]:
    """A load.json's ``failure_reasons`` by (entry, reason); what is not of the layout is left out (a report written
    before it had them has none)."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        entry, reason, count = item.get("entry"), item.get("reason"), _count(item.get("count"))
        if isinstance(entry, str) and isinstance(reason, str) and count is not None:
            out[(entry, reason)] = (count, str(item.get("example") or reason))
    return out


def _new_reasons(old: LoadFigures, new: LoadFigures) -> list[str]:
    """The reasons the new run's failures failed for that the old run's did not, the most frequent first."""
    fresh = [(count, entry, example) for (entry, reason), (count, example) in new.reasons.items()
             if (entry, reason) not in old.reasons]  # fmt: skip
    return [f"{count}× {entry}: {example}" for count, entry, example in sorted(fresh, key=lambda r: (-r[0], r[1]))]


def is_load_report(text: str) -> bool:
    """Whether ``text`` is a load run's report (a JSON object with a ``profile`` and ``entries``), whatever its file
    is called: a ``load.json`` kept as ``before.json`` was read as a conformance report, "unexpected field"."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and "profile" in data and "entries" in data


def unreadable(file: Path, exc: OSError) -> ConfigError:
    """Why a conformance.json cannot be read: a run that was stopped before writing it is said as such."""
    from h2oharness.runoptions import PROGRESS

    if not file.exists() and (file.parent / PROGRESS).is_file():
        return ConfigError(
            f"{file.parent} holds a run that did not finish ({PROGRESS}, no {file.name}): finish it with "
            f"`h2oharness run --resume --report-dir {file.parent}` and the options it was started with"
        )
    return ConfigError(f"cannot read {file}: {exc.strerror or exc}")


def read_report(path: Path) -> ReadReport:
    """A conformance.json, a load.json, or a folder holding either or both; ConfigError, one line, if unusable."""
    folder = path if path.is_dir() else None
    file = path / "conformance.json" if folder is not None else path
    if folder is not None and not file.exists() and (folder / "load.json").is_file():
        return ReadReport(folder / "load.json", None, _load_figures(folder / "load.json"))
    if folder is None and path.name == "load.json":
        return ReadReport(path, None, _load_figures(path))
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise unreadable(file, exc) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not a conformance report (not UTF-8 text)") from None
    if folder is None and is_load_report(text):
        return ReadReport(path, None, _load_figures(path))
    conformance = Conformance.from_json(text, str(file))
    beside = file.with_name("load.json")
    return ReadReport(file, conformance, _load_figures(beside) if beside.is_file() else None)


def _op_state(op: OperationResult) -> str:
    """passed, untested, known (fails only on known findings) or failed (fails on something new)."""
    if op.outcome != "failed":
        return op.outcome
    return "known" if known_only(op) else "failed"


def _scenario_state(scenario: ScenarioResult) -> str:
    if scenario.outcome == "failed":
        return "known" if scenario.known else "failed"
    return scenario.outcome


def _op_reason(op: OperationResult) -> str:
    failure = next((f for f in op.failures if not f.known), op.failures[0] if op.failures else None)
    return one_line(f"{failure.check}: {failure.message}", _REASON_CHARS) if failure is not None else "failed"


def _new_defects(old: ApiReport | None, new: ApiReport) -> list[str]:
    """Defects among ``new``'s failures that are not known findings and that ``old`` did not have at all."""
    before = old.defects if old is not None else ()
    seen = {(d.check, d.signature) for d in before}
    # a report written before the harness named the fields a violation at an anyOf/oneOf broke has its site alone
    sites = {(d.check, m["operation"], m["site"]) for d in before if (m := _LEGACY_SITE.match(d.signature))}
    fresh = group_defects(
        (f"{op.method} {op.path}", failure) for op in new.operations for failure in op.failures if not failure.known
    )
    return [
        f"{_named(d.kind, d.signature)} (seen {d.count}x on {', '.join(d.operations[:3])})"
        for d in fresh
        if (d.check, d.signature) not in seen and not _under_a_legacy_site(d.check, d.signature, sites)
    ]


def _named(kind: str, signature: str) -> str:
    """A defect as one line: its kind, then its signature, which may begin with the kind ("server crash: POST /x")."""
    words = kind.replace("_", " ")
    shown = one_line(signature, _REASON_CHARS)
    return shown if shown.startswith(f"{words}: ") else f"{words}: {shown}"


#: a schema violation's signature as reports wrote it before they named the fields it broke ("POST /x: anyOf at /")
_LEGACY_SITE = re.compile(r"^(?P<operation>[A-Z]+ \S+): (?:anyOf|oneOf) at (?P<site>/\S*)$")


def _under_a_legacy_site(check: str, signature: str, sites: set[tuple[str, str, str]]) -> bool:
    """Whether every field a schema violation names lies under the anyOf/oneOf site where an old report had one."""
    operation, _, rules = signature.partition(": ")
    paths = [rule.rpartition(" at ")[2] for rule in rules.split("; ")]
    return any(
        check == seen_check and operation == seen_operation and all(_within(path, site) for path in paths)
        for seen_check, seen_operation, site in sites
    )


def _within(path: str, site: str) -> bool:
    return site == "/" or path == site or path.startswith(site.rstrip("/") + "/")


def _was(state: str) -> str:
    return " (was failing)" if state == "failed" else ""


def _compare_api(old: ApiReport | None, new: ApiReport, out: dict[str, list[str]]) -> None:
    where = f"{new.slug} on {new.target}"
    before = {(op.method, op.path): _op_state(op) for op in old.operations} if old is not None else {}
    for op in new.operations:
        was, now = before.get((op.method, op.path), "untested"), _op_state(op)
        if now == "untested" and was != "untested":
            out["untested"].append(f"{where}: {op.method} {op.path} (was {was})")
        elif now == "failed" and was != "failed":
            out["newly_failing"].append(f"{where}: {op.method} {op.path}: {_op_reason(op)}")
        elif now == "known" and was != now:
            # from failing too: a baseline written in between excused it, which a reviewer of that file wants to see
            out["newly_known"].append(f"{where}: {op.method} {op.path}: {_op_reason(op)}{_was(was)}")
        elif now == "passed" and was in ("failed", "known"):
            out["fixed"].append(f"{where}: {op.method} {op.path}")
    runs = {s.name: _scenario_state(s) for s in old.scenarios} if old is not None else {}
    for scenario in new.scenarios:
        was, now = runs.get(scenario.name, "skipped"), _scenario_state(scenario)
        reason = f": {one_line(scenario.message, _REASON_CHARS)}" if scenario.message else ""
        if now == "skipped" and was != "skipped":
            out["untested"].append(f"{where}: {scenario.label} (was {was})")  # the run's error says why
        elif now == "failed" and was != "failed":
            out["newly_failing"].append(f"{where}: {scenario.label}{reason}")
        elif now == "known" and was != now:
            out["newly_known"].append(f"{where}: {scenario.label}{reason}{_was(was)}")
        elif now == "passed" and was in ("failed", "known"):
            out["fixed"].append(f"{where}: {scenario.label}")
    out["new_defects"] += [f"{where}: {line}" for line in _new_defects(old, new)]
    errors = set(old.errors) if old is not None else set()
    out["new_errors"] += [
        f"{where}: the harness could not run: {one_line(e, _ERROR_CHARS)}" for e in new.errors if e not in errors
    ]
    drift = set(old.drift) if old is not None else set()
    out["new_drift"] += [
        f"{where}: {d.source}: {one_line(d.what, _REASON_CHARS)} "
        f"(documented {one_line(d.expected, _REASON_CHARS)}, observed {one_line(d.observed, _REASON_CHARS)})"
        for d in new.drift
        if d not in drift
    ]


def _slower(old: dict[str, float], new: dict[str, float], worse: bool = True) -> list[str]:
    """Entries whose p95 grew past the regression rule (with ``worse`` False: shrank by as much)."""
    lines = []
    for key in sorted(set(old) & set(new)):
        if " per " in key or not is_latency(key):
            continue  # counts and rates (polls per job, output tokens, tokens per second), not latencies
        before, after = old[key], new[key]
        high, low = (after, before) if worse else (before, after)
        if high > low * (1 + REGRESSION_RATIO) and high - low > REGRESSION_MS:
            change = f"{(after - before) / before:+.0%}" if before else "from 0"
            lines.append(f"{key}: p95 {before:g} ms -> {after:g} ms ({change})")
    return lines


def _more_failures(old: dict[str, tuple[int, int]], new: dict[str, tuple[int, int]], worse: bool = True) -> list[str]:
    """Entries whose failed share grew by more than a point (with ``worse`` False: fell by as much)."""
    lines = []
    for key in sorted(set(old) & set(new)):
        (sent, failed), (sent_now, failed_now) = old[key], new[key]
        if not sent_now:
            continue
        before, after = failed / sent if sent else 0.0, failed_now / sent_now
        if (after - before if worse else before - after) > REGRESSION_FAILED_SHARE:
            lines.append(f"{key}: failed {failed}/{sent} -> {failed_now}/{sent_now} ({before:.1%} -> {after:.1%})")
    return lines


def refusals_of_tries(counts: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """``counts`` with each job's refused submissions counted as the failed share of its tries (submitted or
    refused), 0 of them for a job none of whose submissions was refused.

    Every refused submission is a failure of its own entry: its share was 100 % in any run that had one, so ten
    times the refusals never read as a regression, nor the first ones in a run that had none.
    """
    out = dict(counts)
    ends = (f" {SUBMITTED}", f" {REFUSED}")
    jobs = {key.rsplit(" ", 1)[0] for key in counts if key.startswith(f"{JOB} ") and key.endswith(ends)}
    for job in sorted(jobs):
        submitted = counts.get(f"{job} {SUBMITTED}", (0, 0))[0]
        refused = counts.get(f"{job} {REFUSED}", (0, 0))[0]
        out[f"{job} {REFUSED}"] = (submitted + refused, refused)
    return out


def _not_recorded(old: dict[str, tuple[int, int]], new: dict[str, tuple[int, int]]) -> str:
    """The entries with a success in ``old`` that ``new`` has no record of, one string ('' when none)."""
    gone = [
        k
        for k, (sent, failed) in old.items()
        if sent > failed and k not in new and not k.endswith((UNFINISHED, REFUSED))
    ]
    return ", ".join(sorted(gone))


def _broken_slos(old: dict[str, bool], new: dict[str, bool]) -> list[str]:
    return [f"{rule}: met before, broken now" for rule in sorted(set(old) & set(new)) if old[rule] and not new[rule]]


def _improved(old: LoadFigures, new: LoadFigures) -> list[str]:
    """What got better by the same rules a regression is found by: faster p95, fewer failures, SLOs now met."""
    both = sorted(set(old.slos) & set(new.slos))
    met = [f"{rule}: broken before, met now" for rule in both if new.slos[rule] and not old.slos[rule]]
    return [*_slower(old.p95, new.p95, worse=False), *_more_failures(old.counts, new.counts, worse=False), *met]


def diff_reports(old: ReadReport, new: ReadReport) -> ReportDiff:
    """What changed from ``old`` to ``new``: per API and target where both have a conformance report, per load
    entry and SLO where both have a load.json."""
    both_conformance = old.conformance is not None and new.conformance is not None
    if not both_conformance and (old.load is None or new.load is None):
        # a gate comparing nothing would pass whatever the new run did
        raise ConfigError(
            f"nothing to compare: {_label(old)} is {_kind(old)} and {_label(new)} {_kind(new)}; "
            "compare two runs of the same kind (two conformance reports, or two load runs)"
        )
    other_profiles = old.load is not None and new.load is not None and old.load.profile != new.load.profile
    if other_profiles and not both_conformance:
        # it was a note and "no regressions": a gate given runs of two profiles passed whatever the new one did
        raise ConfigError(
            f"not comparable: {_label(old)} and {_label(new)} are runs of different load profiles; compare two runs "
            "of the same profile"
        )
    kinds = ("newly_failing", "newly_known", "fixed", "new_defects", "new_drift", "new_errors", "untested")
    out: dict[str, list[str]] = {k: [] for k in kinds}
    notes: list[str] = []
    scope: list[str] = []
    if old.conformance is not None and new.conformance is not None:
        scope = _scope_changes(old.conformance.scope, new.conformance.scope)
        if _began(new.conformance) < _began(old.conformance):
            # given the other way round, every fixed operation reads as newly failing and the other way about
            notes.append(
                f"the new report's run began before the old one's ({new.conformance.started_at}, "
                f"{old.conformance.started_at}): were they given in the other order?"
            )
        earlier = {(api.slug, api.target): api for api in old.conformance.apis}
        for api in new.conformance.apis:
            before = earlier.pop((api.slug, api.target), None)
            if before is None:
                notes.append(f"{api.slug} on {api.target} is not in the old report: all of it counts as new")
            _compare_api(before, api, out)
        notes += [f"{slug} on {target} is only in the old report" for slug, target in sorted(earlier)]
    elif old.conformance is not None or new.conformance is not None:
        notes.append("only one report has a conformance.json: operations and scenarios not compared")
    slower: list[str] = []
    more_failures: list[str] = []
    improved: list[str] = []
    broken: list[str] = []
    new_reasons: list[str] = []
    if old.load is not None and new.load is not None and other_profiles:
        notes.append(
            f"the load runs are of different profiles ({old.load.profile}, {new.load.profile}): latencies, failures "
            "and SLOs not compared"
        )
    elif old.load is not None and new.load is not None:
        slower = _slower(old.load.p95, new.load.p95)
        more_failures = _more_failures(old.load.counts, new.load.counts)
        broken = _broken_slos(old.load.slos, new.load.slos)
        improved = _improved(old.load, new.load)
        new_reasons = _new_reasons(old.load, new.load)
        if gone := _not_recorded(old.load.counts, new.load.counts):
            # not counted: a mixed profile draws its tasks by weight, and a short run may not draw a rare one
            notes.append(f"recorded by the old run only (a task not drawn, or never ending, in the new): {gone}")
    elif old.load is not None or new.load is not None:
        notes.append("only one report has a load.json: latencies, failures and SLOs not compared")
    return ReportDiff(
        old=_label(old),
        new=_label(new),
        scope=tuple(scope),
        newly_failing=tuple(out["newly_failing"]),
        newly_known=tuple(out["newly_known"]),
        fixed=tuple(out["fixed"]),
        new_defects=tuple(out["new_defects"]),
        new_drift=tuple(out["new_drift"]),
        slower=tuple(slower),
        notes=tuple(notes),
        new_errors=tuple(out["new_errors"]),
        untested=tuple(out["untested"]),
        more_failures=tuple(more_failures),
        broken_slos=tuple(broken),
        improved=tuple(improved),
        new_reasons=tuple(new_reasons),
    )


def _scope_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """One line per option of the runs' scopes that differs (``--max-examples: 10 then, 50 now``); one line when
    a report does not say its scope (an older h2oharness wrote it) while the other does."""
    if not old or not new:
        unsaid = "old" if not old else "new"
        return [f"the {unsaid} report does not record its scope (an older h2oharness wrote it)"] if old or new else []
    names = [*SCOPE, *sorted((set(old) | set(new)) - set(SCOPE))]
    return [
        f"{SCOPE.get(name, name)}: {old.get(name) or 'none'} then, {new.get(name) or 'none'} now"
        for name in names
        if old.get(name, "") != new.get(name, "")
    ]


def _began(report: Conformance) -> datetime:
    """When the report's run began; the earliest time for a report that does not say, so no note is made of it."""
    try:
        began = datetime.fromisoformat(report.started_at)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return began if began.tzinfo is not None else began.replace(tzinfo=UTC)


def _kind(report: ReadReport) -> str:
    if report.conformance is not None and report.load is not None:
        return "a conformance report with a load run"
    return "a conformance report" if report.conformance is not None else "a load run's report"


def _label(report: ReadReport) -> str:
    c = report.conformance
    if c is None:
        return f"{report.path} ({report.load.label if report.load is not None else 'no figures'})"
    return f"{report.path} ({c.started_at}, h2oharness {c.harness_version})"


def render_diff(diff: ReportDiff) -> str:
    """The diff for a terminal: a section per kind of change that has any, then the verdict."""
    lines = [f"old: {diff.old}", f"new: {diff.new}"]
    sections = (
        # before all: runs of another scope tested other things, which every line below then reads as a change
        ("the scope changed: the runs set out to test different things", diff.scope),
        ("notes", diff.notes),  # first: they say how to read what follows (an API not in the old report is all new)
        ("newly failing", diff.newly_failing),
        ("new defects", diff.new_defects),
        ("new errors of the run", diff.new_errors),
        ("latency regressions", diff.slower),
        ("more failures", diff.more_failures),
        ("SLOs newly broken", diff.broken_slos),
        ("failing for new reasons (not counted: the failed share is)", diff.new_reasons),
        ("now failing only on known findings (not counted)", diff.newly_known),
        ("no longer tested (not counted)", diff.untested),
        ("fixed", diff.fixed),
        ("load figures improved (not counted)", diff.improved),
        ("new documentation drift", diff.new_drift),
    )
    for title, items in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
    count = diff.regressions
    verdict = f"{count} regression{'s' if count != 1 else ''} (exit 1)" if count else "no regressions (exit 0)"
    return "\n".join([*lines, verdict])
