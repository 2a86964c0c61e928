"""The run's progress: the report folder's progress.jsonl (for resuming) and a line per finished test."""

from __future__ import annotations

from typing import Any

from h2oharness.report.build import one_line
from h2oharness.runoptions import PROGRESS as PROGRESS
from h2oharness.runoptions import read_progress as read_progress

_REASON_CHARS = 70


def outcome_text(record: dict[str, Any]) -> str:
    """How a test's record reads at a glance: passed, known finding, FAILED with its reason, skipped, error."""
    if record.get("error"):
        return f"ERROR: {one_line(str(record['error']), _REASON_CHARS)}"
    outcome = record.get("outcome")
    if outcome == "failed" and record.get("known"):
        return "known finding"
    if outcome == "failed":
        reasons = [str(f.get("message") or f.get("check") or "") for f in record.get("failures") or []]
        # a test that killed the server has no failure of its own: the crash record is its finding
        reasons += [str(record.get("crash") or record.get("skip_reason") or "")]
        first = next((r for r in reasons if r.strip()), "")
        return "FAILED" + (f": {one_line(first, _REASON_CHARS)}" if first else "")
    if outcome == "skipped" and record.get("skip_reason"):
        return f"skipped: {one_line(str(record['skip_reason']).removeprefix('Skipped: '), _REASON_CHARS)}"
    return str(outcome)


def finished_line(record: dict[str, Any], done: int, total: int) -> str:
    """One finished test for the terminal: ``[ 12/143] h2o3  GET /3/Cloud  passed  0.4 s``."""
    width = len(str(total)) if total else 1
    count = f"[{done:>{width}}/{total}]" if total else f"[{done}]"
    if "method" in record:
        what = f"{record['method']} {record['path']}"
    else:
        what = f"{'scenario' if record.get('suite') == 'scenario' else 'flow'} {record['name']}"
    seconds = float(record.get("duration") or 0)
    cases = f"{record['cases']} cases, " if record.get("cases") else ""
    return f"{count} {record['api']:<10} {what:<44} {outcome_text(record)} ({cases}{seconds:.1f} s)"


def sweep_line(
    done: int,
    total: int,
    resumed: int,
    crashes: int,
    spent: float,
    defects: int | None = None,
    left: float | None = None,
    round_number: int | None = None,
) -> str:
    """A sweep's progress: tests done, distinct defects and crashes so far, time spent and an estimate left.

    A budgeted sweep (``left`` given: seconds of its budget left) says its round and the budget left instead
    of an estimate: ``[h2oharness] round 3, 412 tests done, 17 distinct defects, 2 server crashes, 12.3 min so
    far, 17.7 min of the budget left``.
    """
    found = f"{defects} distinct defects, " if defects is not None else ""
    if left is not None:
        where = f"round {round_number or 0}, {done} tests done"
        return f"[h2oharness] {where}, {found}{crashes} server crashes, {spent / 60:.1f} min so far, " + (
            f"{left / 60:.1f} min of the budget left"
        )
    before = f" (and {resumed} before the resume)" if resumed else ""
    line = f"[h2oharness] {done}/{total} tests done{before}, {found}{crashes} server crashes"
    line += f", {spent / 60:.1f} min so far"
    # the first tests carry the servers' start: no estimate from them
    estimate = spent / max(1, done) * max(0, total - done)
    return line + (f", about {estimate / 60:.1f} min left" if done >= 10 else "")
