"""Pure functions that turn raw per-test records into the report's view model: merging, ordering, verdicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from h2oharness.errors import EXIT_HARNESS_ERROR, EXIT_NO_TESTS, EXIT_OK, EXIT_VIOLATION
from h2oharness.http.redact import redact
from h2oharness.report.model import ApiReport, Conformance, Failure, OperationOutcome, OperationResult

__all__ = [
    "OperationRecord",
    "build_conformance",
    "dedupe_failures",
    "display_order",
    "exit_code_for",
    "known_only",
    "merge_operations",
    "new_failures",
    "operation_key",
    "summarize",
    "with_answers",
]

# Read order of a REST table: fetch, create, change, remove.
_METHOD_RANK = {m: i for i, m in enumerate(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"))}
_SHOWN_FAILURES = 3
_MESSAGE_CHARS = 80


@dataclass(frozen=True, slots=True)
class OperationRecord:
    """What one test learnt about one operation; a record with failures counts as failed even if ``passed``."""

    method: str
    path: str
    passed: bool
    failures: tuple[Failure, ...] = ()
    cases: int = 0


def operation_key(method: str, path: str) -> tuple[str, int, str]:
    """Sort key: by path, then by method in GET, HEAD, POST, PUT, PATCH, DELETE order (others after, A-Z)."""
    method = method.upper()
    return (path, _METHOD_RANK.get(method, len(_METHOD_RANK)), method)


def dedupe_failures(failures: Iterable[Failure]) -> tuple[Failure, ...]:
    """Fold failures with the same check, message and defect signature into one: counts summed, first curl kept.

    Schema violations fold by check and signature alone (the rules broken and the fields, array items as one):
    their messages quote each answer, so every case of one defect had a line of its own.
    """
    merged: dict[tuple[str, str, str | None], Failure] = {}
    for failure in failures:
        schema = failure.signature is not None and not failure.signature.startswith("HTTP ")
        key = (failure.check, "" if schema else failure.message, failure.signature)
        seen = merged.get(key)
        if seen is None:
            merged[key] = failure
        else:
            curl, response = (seen.curl, seen.response) if seen.curl else (failure.curl, failure.response)
            merged[key] = replace(seen, curl=curl, response=response, count=seen.count + failure.count)
    return tuple(merged.values())


def merge_operations(
    documented: Iterable[tuple[str, str]], records: Iterable[OperationRecord]
) -> tuple[OperationResult, ...]:
    """One result per operation, sorted by path then method.

    Documented operations without a record are ``untested``; an operation is ``failed`` if any record for it
    failed. Records for operations the document does not list are kept, since they were really exercised.
    """
    by_key: dict[tuple[str, str], list[OperationRecord]] = {(m.upper(), p): [] for m, p in documented}
    for record in records:
        by_key.setdefault((record.method.upper(), record.path), []).append(record)
    results = []
    for (method, path), found in by_key.items():
        outcome: OperationOutcome = "untested"
        if found:
            outcome = "failed" if any(not r.passed or r.failures for r in found) else "passed"
        failures = dedupe_failures(f for r in found for f in r.failures)
        results.append(OperationResult(method, path, outcome, sum(r.cases for r in found), failures))
    return tuple(sorted(results, key=lambda op: operation_key(op.method, op.path)))


def with_answers(
    operations: Iterable[OperationResult], answers: Iterable[Mapping[str, Mapping[str, int]]]
) -> tuple[OperationResult, ...]:
    """``operations`` with the status codes their valid requests were answered with, summed over ``answers`` (each
    test's, by ``"METHOD /path"``: an operation's own test, and the stateful flows that went through it)."""
    summed: dict[str, Counter[str]] = {}
    for seen in answers:
        for operation, codes in seen.items():
            summed.setdefault(operation, Counter()).update(codes)
    return tuple(
        replace(op, answers=tuple(sorted(summed.get(f"{op.method} {op.path}", Counter()).items()))) for op in operations
    )


def display_order(operations: Iterable[OperationResult]) -> tuple[tuple[OperationResult, ...], ...]:
    """Split operations for reading: (failed, passed, untested), each keeping path-then-method order."""
    ordered = sorted(operations, key=lambda op: operation_key(op.method, op.path))
    return tuple(tuple(op for op in ordered if op.outcome == outcome) for outcome in ("failed", "passed", "untested"))


def exit_code_for(apis: Iterable[ApiReport]) -> int:
    """3 if the harness could not run somewhere, else 1 on any failed operation or scenario, else 0.

    Untested operations, documentation drift and known findings (failures of the target that its baseline
    already names) are reported but do not fail a run: it fails on what is new.
    """
    apis = tuple(apis)
    if any(api.errors for api in apis):
        return EXIT_HARNESS_ERROR
    if any(new_failures(api) for api in apis):
        return EXIT_VIOLATION
    return EXIT_OK


def known_only(op: OperationResult) -> bool:
    """A failed operation whose every failure is a known finding of its target: reported, not counted."""
    return op.outcome == "failed" and bool(op.failures) and all(f.known for f in op.failures)


def new_failures(api: ApiReport) -> int:
    """How many failed operations and scenarios of ``api`` are not explained by known findings alone."""
    ops = sum(1 for op in api.operations if op.outcome == "failed" and not known_only(op))
    return ops + sum(1 for s in api.scenarios if s.outcome == "failed" and not s.known)


def one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    """``text`` on one line (white space folded), cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _shown(items: list[str]) -> str:
    more = [f"and {len(items) - _SHOWN_FAILURES} more"] if len(items) > _SHOWN_FAILURES else []
    return "; ".join(items[:_SHOWN_FAILURES] + more)


def _operations(api: ApiReport) -> str:
    counts = api.counts
    if not counts.operations:
        return "no operations tested"
    text = f"{counts.tested} of {_plural(counts.operations, 'operation', 'operations')} tested"
    if counts.tested:
        text += f", {counts.passed} {'conforms' if counts.passed == 1 else 'conform'}"
    failed = list(display_order(api.operations)[0])
    fresh = [op for op in failed if not known_only(op)]
    if fresh:
        reasons = [
            f"{op.method} {op.path}: {one_line(next((f.message for f in op.failures if not f.known), 'failed'))}"
            for op in fresh
        ]
        verb = "violates" if len(fresh) == 1 else "violate"
        text += f", {len(fresh)} {verb} the contract ({_shown(reasons)})"
    if len(failed) > len(fresh):
        text += f", {_plural(len(failed) - len(fresh), 'known finding', 'known findings')}"
    return text


def _scenarios(api: ApiReport) -> str:
    fresh = [s for s in api.scenarios if s.outcome == "failed" and not s.known]
    known = sum(1 for s in api.scenarios if s.outcome == "failed" and s.known)
    if len(api.scenarios) == 1 and not known:
        (only,) = api.scenarios
        why = f" ({one_line(only.message)})" if fresh and only.message else ""
        return f"{only.label} {only.outcome}{why}"
    counts = api.counts
    parts = [f"{counts.scenarios_passed} passed"]
    parts += [f"{len(fresh)} failed"] if fresh else []
    parts += [f"{known} known findings" if known != 1 else "1 known finding"] if known else []
    parts += [f"{counts.scenarios_skipped} skipped"] if counts.scenarios_skipped else []
    told = _shown([f"{s.name}: {one_line(s.message)}" if s.message else s.name for s in fresh])
    return f"{_plural(len(api.scenarios), 'scenario', 'scenarios')}: {', '.join(parts)}" + (
        f" ({told})" if fresh else ""
    )


def _api_sentence(api: ApiReport) -> str:
    counts = api.counts
    where = ", ".join(part for part in (api.target_url, api.target_version) if part)
    parts = [_operations(api)]
    if api.scenarios:
        parts.append(_scenarios(api))
    if counts.drift:
        parts.append(_plural(counts.drift, "documentation drift", "documentation drifts"))
    if api.errors:
        more = f" (and {_plural(len(api.errors) - 1, 'other error', 'other errors')})" if len(api.errors) > 1 else ""
        parts.append(f"the harness could not run: {one_line(api.errors[0])}{more}")
    return f"{api.title} on {api.target}" + (f" ({where})" if where else "") + ": " + "; ".join(parts) + "."


def summarize(report: Conformance | Iterable[ApiReport], secrets: Iterable[str] = ()) -> str:
    """One human paragraph: per API, what was tested, what conforms, what is new and why, known findings, drift.

    Only new failures "violate the contract"; failures that the target's known findings explain are counted
    as known findings, so the words agree with the exit code.

    Example:
        "H2O-3 REST on local (http://127.0.0.1:54321, 3.46.0.12): 41 of 295 operations tested, 39 conform,
        1 violates the contract (POST /3/Parse: 500 server error), 1 known finding; scenario
        parse→train→predict passed; 3 documentation drifts."
    """
    apis = report.apis if isinstance(report, Conformance) else tuple(report)
    if not apis:
        return "No APIs were tested."
    # Redacted here too, not only in the writers: the CLI prints this paragraph to CI logs.
    return redact(" ".join(_api_sentence(api) for api in apis), secrets)


#: what a pytest exit status the records cannot show says of the session, for its report's summary
_PYTEST_ENDS = {
    2: "pytest was interrupted (exit 2): the run is not whole.",
    3: "pytest met an internal error (exit 3): the run is not whole.",
    4: "pytest was called wrongly (exit 4): the run is not whole.",
    EXIT_NO_TESTS: "No test ran: pytest collected none, or selected none of those it collected (exit 5).",
}


def build_conformance(
    apis: Iterable[ApiReport],
    harness_version: str,
    started_at: str,
    duration: float,
    secrets: Iterable[str] = (),
    pytest_status: int = EXIT_OK,
    scope: Mapping[str, str] | None = None,
) -> Conformance:
    """A ``Conformance`` whose exit code and summary are derived from ``apis``.

    ``pytest_status`` is the exit status of the session the records come from: one that says it did not run whole
    (interrupted, or no test selected and none resumed) where the records alone would earn a pass is the report's
    exit code, and its summary says so.
    """
    apis = tuple(apis)
    summary, code = summarize(apis, secrets), exit_code_for(apis)
    # a session that ran nothing (pytest exits 5) conformed in nothing: its report read as a pass; a resumed one
    # whose tests had all run before (pytest selects none of them again) reports theirs, as a whole run
    ran_none = pytest_status != EXIT_NO_TESTS or not apis
    if code == EXIT_OK and pytest_status in _PYTEST_ENDS and ran_none:
        told = _PYTEST_ENDS[pytest_status]
        summary, code = told if not apis else f"{told} {summary}", pytest_status
    return Conformance(harness_version, started_at, duration, apis, code, summary, dict(scope or {}))
