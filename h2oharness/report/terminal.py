"""The end of ``h2oharness run`` on a terminal: a table per API, the verdict, then each new failure with its curl.

The wording follows the exit code: known findings are counted as known, never as
violations, and a run that exits 0 says it has no new failures.
"""

from __future__ import annotations

from collections.abc import Iterable

from h2oharness.errors import EXIT_HARNESS_ERROR, EXIT_NO_TESTS, EXIT_OK, EXIT_VIOLATION
from h2oharness.http.redact import redact
from h2oharness.report.build import known_only, new_failures, one_line
from h2oharness.report.model import ApiReport, Conformance, Failure, ScenarioResult
from h2oharness.words import counted

__all__ = ["new_failure_lines", "render_terminal", "scenario_tally"]

_SHOWN_FAILURES = 20
_CURL_CHARS = 400
_REASON_CHARS = 100
#: what kept the harness from running is the one thing to fix before anything else: said in full, or nearly
_ERROR_CHARS = 400
_COLUMNS = ("API", "target", "tested", "conform", "new failures", "known", "untested", "scenarios", "drift")


def scenario_tally(scenarios: Iterable[ScenarioResult]) -> str:
    """``"3 passed, 1 known, 1 FAILED"``: scenario outcomes, known findings apart from new failures."""
    scenarios = tuple(scenarios)
    counts = {
        "passed": sum(1 for s in scenarios if s.outcome == "passed"),
        "FAILED": sum(1 for s in scenarios if s.outcome == "failed" and not s.known),
        "known": sum(1 for s in scenarios if s.outcome == "failed" and s.known),
        "skipped": sum(1 for s in scenarios if s.outcome == "skipped"),
    }
    return ", ".join(f"{n} {word}" for word, n in counts.items() if n) or "none"


def _row(api: ApiReport) -> tuple[str, ...]:
    counts = api.counts
    failed = [op for op in api.operations if op.outcome == "failed"]
    known = sum(1 for op in failed if known_only(op))
    return (
        api.slug,
        api.target,
        f"{counts.tested}/{counts.operations}",
        str(counts.passed),
        str(len(failed) - known),
        str(known),
        str(counts.untested),
        scenario_tally(api.scenarios),
        str(counts.drift),
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    numeric = {2, 3, 4, 5, 6, 8}
    return [
        "  ".join(
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _curl(failure: Failure) -> str:
    if not failure.curl:
        return ""
    curl = " ".join(failure.curl.split())
    return curl if len(curl) <= _CURL_CHARS else curl[: _CURL_CHARS - 1] + "… (whole command in conformance.json)"


def new_failure_lines(apis: Iterable[ApiReport]) -> list[tuple[str, str]]:
    """Each new failure as (``"<api> <what>: <reason>"``, curl or ``""``): requests that killed the server first (the
    report's first section; a sweep's crash would otherwise come after dozens of lesser failures, past those shown),
    then the other failures of operations, then scenarios and flows."""
    crashes: list[tuple[str, str]] = []
    out: list[tuple[str, str]] = []
    for api in apis:
        for op in api.operations:
            if op.outcome != "failed" or known_only(op):
                continue
            fresh = [f for f in op.failures if not f.known]
            if not fresh:
                out.append((f"{api.slug} {op.method} {op.path}: failed", ""))
            for failure in fresh:
                reason = one_line(
                    f"{failure.check}: {failure.message}" if failure.message else failure.check, _REASON_CHARS
                )
                times = f" (x{failure.count})" if failure.count > 1 else ""
                line = (f"{api.slug} {op.method} {op.path}: {reason}{times}", _curl(failure))
                (crashes if failure.check == "server_crash" else out).append(line)
        for scenario in api.scenarios:
            if scenario.outcome == "failed" and not scenario.known:
                reason = one_line(scenario.message, _REASON_CHARS) if scenario.message else "failed"
                out.append((f"{api.slug} {scenario.label}: {reason}", ""))
    return crashes + out


def _verdict(report: Conformance, fresh: int) -> str:
    known_ops = sum(1 for api in report.apis for op in api.operations if known_only(op))
    known_runs = sum(1 for api in report.apis for s in api.scenarios if s.outcome == "failed" and s.known)
    known = known_ops + known_runs
    aside = f"; {known} known finding{'s' if known != 1 else ''} reported, not counted" if known else ""
    if report.exit_code == EXIT_HARNESS_ERROR:
        return f"ERROR: the harness could not run everything (exit {report.exit_code}){aside}"
    if report.exit_code == EXIT_OK:
        return f"OK: no new failures (exit 0){aside}"
    if report.exit_code != EXIT_VIOLATION:  # pytest's own end: the session did not run whole
        what = {EXIT_NO_TESTS: "no test ran", 2: "pytest was interrupted"}.get(report.exit_code, "pytest failed")
        return f"ERROR: {what} (exit {report.exit_code}){aside}"
    return f"FAILED: {fresh} new failure{'s' if fresh != 1 else ''} (exit {report.exit_code}){aside}"


def render_terminal(report: Conformance, secrets: Iterable[str] = ()) -> str:
    """The run's end for a terminal: table, harness errors, verdict, new failures with their curl; redacted."""
    if not report.apis:
        return (
            report.summary if report.exit_code == EXIT_NO_TESTS else f"No APIs were tested (exit {report.exit_code})."
        )
    lines = _table([_COLUMNS, *(_row(api) for api in report.apis)])
    for api in report.apis:
        lines += [
            f"{api.slug} on {api.target}: the harness could not run: {one_line(e, _ERROR_CHARS)}" for e in api.errors
        ]
    for api in report.apis:
        unreached = sum(1 for op in api.operations if op.success_untested)
        if unreached:
            lines.append(
                f"{api.slug}: {counted(unreached, 'conforming operation')} never answered a valid request with 2xx: "
                "only their error answers were checked (listed in the report)"
            )
    failures = new_failure_lines(report.apis)
    lines += ["", _verdict(report, sum(new_failures(api) for api in report.apis))]
    for what, curl in failures[:_SHOWN_FAILURES]:
        lines.append(f"  {what}")
        if curl:
            lines.append(f"    {curl}")
    if len(failures) > _SHOWN_FAILURES:
        lines.append(f"  and {len(failures) - _SHOWN_FAILURES} more in the report")
    return redact("\n".join(lines), secrets)
