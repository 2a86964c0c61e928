"""``h2oharness report diff``: what changed between two conformance reports, and whether it is a regression.

Operations and scenarios are compared per API and target. A regression is an operation
or scenario that now fails on something the target's known findings do not explain, a
defect among the new failures that the old report did not have, an error of the run that
the old report did not have (the harness could not run part of it: a target that could not
be used, a module that did not collect), or, when a ``load.json`` sits next to both
reports, an entry whose p95 grew by more than 20 % and 50 ms. What the old report tested
and the new one did not is listed, not counted: a run may choose fewer operations.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from h2oharness.errors import ConfigError
from h2oharness.report.build import known_only, one_line
from h2oharness.report.defects import group_defects
from h2oharness.report.loadsummary import is_latency
from h2oharness.report.model import ApiReport, Conformance, OperationResult, ScenarioResult

__all__ = [
    "REGRESSION_MS",
    "REGRESSION_RATIO",
    "ReadReport",
    "ReportDiff",
    "diff_reports",
    "read_report",
    "render_diff",
]

#: a p95 regresses when it is this much worse, relatively and absolutely
REGRESSION_RATIO = 0.2
REGRESSION_MS = 50.0
_REASON_CHARS = 100


@dataclass(frozen=True)
class ReadReport:
    """A conformance report read from disk, with the p95 of each load entry when a load.json sits next to it."""

    path: Path
    conformance: Conformance
    p95: dict[str, float] | None = None


@dataclass(frozen=True)
class ReportDiff:
    """The changes from an old report to a new one; each item is one line for a terminal."""

    old: str
    new: str
    newly_failing: tuple[str, ...] = ()
    newly_known: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    new_defects: tuple[str, ...] = ()
    new_drift: tuple[str, ...] = ()
    slower: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    new_errors: tuple[str, ...] = ()
    untested: tuple[str, ...] = ()

    @property
    def regressions(self) -> int:
        """Newly failing operations and scenarios, new defects, new errors of the run and latency regressions."""
        return len(self.newly_failing) + len(self.new_defects) + len(self.new_errors) + len(self.slower)


def _load_p95(path: Path) -> dict[str, float] | None:
    """Each entry's p95 from a ``load.json``; None when there is none; ConfigError when it is not one."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable load.json: {exc}") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: not a load.json (no 'entries' list)")
    figures: dict[str, float] = {}
    for index, entry in enumerate(entries):
        key, p95 = (entry.get("key"), entry.get("p95")) if isinstance(entry, dict) else (None, None)
        if not isinstance(key, str) or isinstance(p95, bool) or not isinstance(p95, int | float):
            raise ConfigError(f"{path}: entries[{index}] needs a string 'key' and a number 'p95'")
        if math.isfinite(p95):
            figures[key] = float(p95)
    return figures


def read_report(path: Path) -> ReadReport:
    """A conformance.json (or the folder holding one) and its load figures; ConfigError, one line, if unusable."""
    file = path / "conformance.json" if path.is_dir() else path
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not a conformance report (not UTF-8 text)") from None
    conformance = Conformance.from_json(text, str(file))
    return ReadReport(file, conformance, _load_p95(file.with_name("load.json")))


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
    seen = {(d.check, d.signature) for d in old.defects} if old is not None else set()
    fresh = group_defects(
        (f"{op.method} {op.path}", failure) for op in new.operations for failure in op.failures if not failure.known
    )
    return [
        f"{d.kind.replace('_', ' ')}: {one_line(d.signature, _REASON_CHARS)} "
        f"(seen {d.count}x on {', '.join(d.operations[:3])})"
        for d in fresh
        if (d.check, d.signature) not in seen
    ]


def _compare_api(old: ApiReport | None, new: ApiReport, out: dict[str, list[str]]) -> None:
    where = f"{new.slug} on {new.target}"
    before = {(op.method, op.path): _op_state(op) for op in old.operations} if old is not None else {}
    for op in new.operations:
        was, now = before.get((op.method, op.path), "untested"), _op_state(op)
        if now == "untested" and was != "untested":
            out["untested"].append(f"{where}: {op.method} {op.path} (was {was})")
        elif now == "failed" and was != "failed":
            out["newly_failing"].append(f"{where}: {op.method} {op.path}: {_op_reason(op)}")
        elif now == "known" and was in ("passed", "untested") and was != now:
            out["newly_known"].append(f"{where}: {op.method} {op.path}: {_op_reason(op)}")
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
        elif now == "known" and was not in ("known", "failed"):
            out["newly_known"].append(f"{where}: {scenario.label}{reason}")
        elif now == "passed" and was in ("failed", "known"):
            out["fixed"].append(f"{where}: {scenario.label}")
    out["new_defects"] += [f"{where}: {line}" for line in _new_defects(old, new)]
    errors = set(old.errors) if old is not None else set()
    out["new_errors"] += [
        f"{where}: the harness could not run: {one_line(e, _REASON_CHARS)}" for e in new.errors if e not in errors
    ]
    drift = set(old.drift) if old is not None else set()
    out["new_drift"] += [
        f"{where}: {d.source}: {one_line(d.what, _REASON_CHARS)} "
        f"(documented {one_line(d.expected, _REASON_CHARS)}, observed {one_line(d.observed, _REASON_CHARS)})"
        for d in new.drift
        if d not in drift
    ]


def _slower(old: dict[str, float], new: dict[str, float]) -> list[str]:
    lines = []
    for key in sorted(set(old) & set(new)):
        if " per " in key or not is_latency(key):
            continue  # counts and rates (polls per job, output tokens, tokens per second), not latencies
        before, after = old[key], new[key]
        if after > before * (1 + REGRESSION_RATIO) and after - before > REGRESSION_MS:
            grew = f"+{(after - before) / before:.0%}" if before else "from 0"
            lines.append(f"{key}: p95 {before:g} ms -> {after:g} ms ({grew})")
    return lines


def diff_reports(old: ReadReport, new: ReadReport) -> ReportDiff:
    """What changed from ``old`` to ``new``, per API and target."""
    kinds = ("newly_failing", "newly_known", "fixed", "new_defects", "new_drift", "new_errors", "untested")
    out: dict[str, list[str]] = {k: [] for k in kinds}
    notes: list[str] = []
    earlier = {(api.slug, api.target): api for api in old.conformance.apis}
    for api in new.conformance.apis:
        before = earlier.pop((api.slug, api.target), None)
        if before is None:
            notes.append(f"{api.slug} on {api.target} is not in the old report: all of it counts as new")
        _compare_api(before, api, out)
    notes += [f"{slug} on {target} is only in the old report" for slug, target in sorted(earlier)]
    slower: list[str] = []
    if old.p95 is not None and new.p95 is not None:
        slower = _slower(old.p95, new.p95)
    elif old.p95 is not None or new.p95 is not None:
        notes.append("only one report has a load.json next to it: latencies not compared")
    return ReportDiff(
        old=_label(old),
        new=_label(new),
        newly_failing=tuple(out["newly_failing"]),
        newly_known=tuple(out["newly_known"]),
        fixed=tuple(out["fixed"]),
        new_defects=tuple(out["new_defects"]),
        new_drift=tuple(out["new_drift"]),
        slower=tuple(slower),
        notes=tuple(notes),
        new_errors=tuple(out["new_errors"]),
        untested=tuple(out["untested"]),
    )


def _label(report: ReadReport) -> str:
    c = report.conformance
    return f"{report.path} ({c.started_at}, h2oharness {c.harness_version})"


def render_diff(diff: ReportDiff) -> str:
    """The diff for a terminal: a section per kind of change that has any, then the verdict."""
    lines = [f"old: {diff.old}", f"new: {diff.new}"]
    sections = (
        ("newly failing", diff.newly_failing),
        ("new defects", diff.new_defects),
        ("new errors of the run", diff.new_errors),
        ("latency regressions", diff.slower),
        ("now failing only on known findings (not counted)", diff.newly_known),
        ("no longer tested (not counted)", diff.untested),
        ("fixed", diff.fixed),
        ("new documentation drift", diff.new_drift),
        ("notes", diff.notes),
    )
    for title, items in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
    count = diff.regressions
    verdict = f"{count} regression{'s' if count != 1 else ''} (exit 1)" if count else "no regressions (exit 0)"
    return "\n".join([*lines, verdict])
