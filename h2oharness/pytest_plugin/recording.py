"""Recording: what each test's report carries for the conformance report (API, operation, target, failures).

``pytest_runtest_makereport`` attaches a record to the deciding phase of every test
under ``contracts/`` and ``scenarios/``; ``KnownFindings`` lets a contract test accept
the failures its API's baseline already knows; drift entries ride on the same report.
A failed test's report text (what junit.xml carries) is its failures, one line each, in
place of pytest's traceback: the traceback is kept only for an error of the harness itself.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from h2oharness.apis import APIS
from h2oharness.baseline import Baseline
from h2oharness.budget import BudgetSpent
from h2oharness.errors import HarnessError, TargetUnusable
from h2oharness.report.build import one_line
from h2oharness.targets import Target

if TYPE_CHECKING:
    from h2oharness.report.model import Failure

RECORD = "h2oharness"
DRIFT = "h2oharness-drift"


def api_of(rootpath: Path, path: Path) -> tuple[str, str] | None:
    """(api slug, suite) of a test file: ``contracts/<slug>/...`` or ``scenarios/test_<slug>_*.py``."""
    try:
        parts = path.relative_to(rootpath).parts
    except ValueError:
        return None
    if len(parts) >= 2 and parts[0] == "contracts" and parts[1] in APIS:
        return parts[1], "contract"
    if len(parts) == 2 and parts[0] == "scenarios":
        for slug in APIS:
            if parts[1].startswith(f"test_{slug}_"):
                return slug, "scenario"
    return None


KNOWN = "h2oharness-known"


def property_text(entry: Mapping[str, Any]) -> str:
    """A test's user property (a known finding, drift) as JSON text: pytest writes the value into junit.xml with
    ``str``, which made a dict its Python repr there."""
    return json.dumps(entry, ensure_ascii=False, default=str)


def property_entry(value: object) -> dict[str, Any] | None:
    """The entry ``property_text`` wrote, or None when ``value`` is not one."""
    try:
        found = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


_KNOWN_CAP = 25
LAST_RESPONSE = pytest.StashKey[list[Any]]()
#: the unusable targets' reasons this process has shown in full: the next test they keep from running says "as above"
_SHOWN_UNUSABLE = pytest.StashKey[set[tuple[str, str, str]]]()


class KnownFindings:
    """Lets a contract test accept failures that its API's baseline already knows for the target's kind."""

    def __init__(self, node: pytest.Item, baseline: Baseline) -> None:
        self.node = node
        self.baseline = baseline
        self.seen = 0

    def absorb(
        self,
        group: BaseExceptionGroup[BaseException],
        target: Target,
        operation: str | None = None,
        response: Any = None,
    ) -> None:
        """Re-raise ``group`` unless every failure in it is a known finding for this target's kind.

        ``operation`` ("METHOD /path") defaults to the one the test's id names. ``response`` (what the server
        answered, with ``status_code``, ``headers`` and ``text``) goes into the report with the failures, and
        names the defect behind a server error.
        """
        from h2oharness.report.failures import failures_from_exception, operation_of, with_response

        named = operation_of(self.node.nodeid)
        label = operation or (f"{named[0]} {named[1]}" if named else None)
        failures = with_response(failures_from_exception(group), response)
        # the last answer before a raise is the one hypothesis replays for the failure it reports
        self.node.stash[LAST_RESPONSE] = failures
        if label is None:
            raise group
        # the group's own text carries the response's status and body, which an entry's ``match`` may name
        seen = str(group)
        checks = [(f.check.split(" ", 1)[0], f"{f.message}\n{f.curl or ''}\n{seen}") for f in failures]
        if not checks or self.baseline.unknown(label, checks, target.kind):
            raise group
        self.seen += 1
        if self.seen <= _KNOWN_CAP:
            for failure, (code, text) in zip(failures, checks, strict=True):
                entry = {**failure.to_dict(), "reason": self.baseline.reason(label, code, text, target.kind)}
                self.node.user_properties.append((KNOWN, property_text(entry)))


def _with_last_response(item: pytest.Item, failures: list[Failure]) -> list[Failure]:
    """``failures`` with the answer ``absorb`` saw last for the same check, where they lack one."""
    from dataclasses import replace

    seen = {f.check: f for f in item.stash.get(LAST_RESPONSE, [])}
    out = []
    for failure in failures:
        last = seen.get(failure.check)
        if last is not None and failure.response is None:
            failure = replace(failure, response=last.response, signature=failure.signature or last.signature)
        out.append(failure)
    return out


def _target_of(item: pytest.Item) -> dict[str, str] | None:
    funcargs = getattr(item, "funcargs", {})
    for slug in APIS:
        target = funcargs.get(f"{slug}_target")
        if isinstance(target, Target):
            return {"kind": target.kind, "url": target.url, "version": target.version}
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach what the report needs (API, operation, target, failures) to the test's own report."""
    report = yield
    where = api_of(Path(str(item.config.rootpath)), Path(str(item.path)))
    if call.excinfo is not None and isinstance(call.excinfo.value, BudgetSpent):
        # the budget ran out during the test: what it sent so far stands, it did not fail
        sent = item.stash.get(_cases_key(), 0)
        report.outcome = "passed" if sent else "skipped"
        report.longrepr = None if sent else (str(item.path), 0, f"Skipped: {call.excinfo.value}")
    final_phase = call.when == "call" or (call.when == "setup" and report.outcome != "passed")
    if where is not None and call.when == "teardown" and report.failed and call.excinfo is not None:
        # a fixture's cleanup the target failed (a DELETE reset): no record of its own, the same readable text
        report.longrepr = _cleanup_failure(item, where, call.excinfo.value, str(report.longrepr))
    if where is None and final_phase and call.excinfo is not None and isinstance(call.excinfo.value, TargetUnusable):
        # a test of the user's own asking for a target that cannot be used: the reason, not the fixture's source
        from h2oharness.report.failures import next_step

        exc = call.excinfo.value
        why = f"the {exc.kind} target could not be used: {exc}"
        if _shown_before(item, exc):
            report.longrepr = f"{item.nodeid}: not run, {_as_before(exc)}"
        else:
            report.longrepr = f"{item.nodeid}: {one_line(why, _LINE_CHARS)} -> {next_step('', why)}"
    if where is None or not final_phase:
        return report
    from h2oharness.report.failures import operation_of

    slug, suite = where
    record: dict[str, Any] = {
        "api": slug,
        "suite": suite,
        "name": item.name,
        "nodeid": item.nodeid,
        "outcome": report.outcome,
        "duration": report.duration,
        "target": _target_of(item),
        "failures": [],
        "error": None,
    }
    from h2oharness.sweep import ANSWERS, CASES, operation_test

    # only a schemathesis item stands for an operation; other ids may look like one
    operation = operation_of(item.nodeid) if operation_test(item) else None

    if operation is not None:
        record["method"], record["path"] = operation
        record["cases"] = item.stash.get(CASES, 0)
    if ANSWERS in item.stash:  # an operation's own test, or a stateful flow through several
        record["answers"] = {op: dict(sorted(codes.items())) for op, codes in sorted(item.stash[ANSWERS].items())}
    known = [entry for k, v in item.user_properties if k == KNOWN and (entry := property_entry(v)) is not None]
    if known and report.outcome == "passed":
        _known(record, report, known)
    elif call.excinfo is not None and report.outcome == "failed":
        _failed(record, item, call.excinfo.value, operation)
    elif report.outcome == "skipped" and isinstance(report.longrepr, tuple):
        record["error"] = None
        record["skip_reason"] = str(report.longrepr[2])
    if report.failed and call.excinfo is not None:
        raised = call.excinfo.value
        if isinstance(raised, TargetUnusable) and _shown_before(item, raised):
            report.longrepr = f"NOT RUN {slug} {_what(record)}: {_as_before(raised)}"
        else:
            report.longrepr = readable_failure(record, raised, str(report.longrepr))
    # a copy: item.user_properties is shared with the teardown report, which must not repeat the record
    report.user_properties = [*report.user_properties, (RECORD, record)]
    return report


#: how much of the reason a test after the first one a target kept from running repeats
_REASON_CHARS = 160


def _as_before(exc: TargetUnusable) -> str:
    """The reason short, without what to do, for each test after the first a target kept from running: CI shows each
    junit.xml case on its own, where "for the reason given in full above" gave none."""
    return f"the {exc.kind} target could not be used: {one_line(str(exc), _REASON_CHARS)}"


def _shown_before(item: pytest.Item, exc: TargetUnusable) -> bool:
    """Whether this process already showed this target's reason: 70 tests kept from running by one missing URL read
    as one reason and 69 short lines, not 70 copies of it."""
    shown = item.config.stash.setdefault(_SHOWN_UNUSABLE, set())
    key = (exc.kind, exc.url, str(exc))
    if key in shown:
        return True
    shown.add(key)
    return False


def _what(record: dict[str, Any]) -> str:
    """What a record is of: an operation (``GET /path``), or a scenario or flow by name."""
    if "method" in record:
        return f"{record['method']} {record['path']}"
    return f"{'scenario' if record.get('suite') == 'scenario' else 'flow'} {record['name']}"


def _cleanup_failure(item: pytest.Item, where: tuple[str, str], exc: BaseException, longrepr: str) -> str:
    """The report text of a test whose cleanup (a fixture's teardown) failed: as :func:`readable_failure` says it."""
    from h2oharness.report.failures import failures_from_exception

    slug, suite = where
    failures = [f.to_dict() for f in failures_from_exception(exc)]
    record = {"api": slug, "suite": suite, "name": f"{item.name} (its cleanup)", "target": _target_of(item)}
    return readable_failure({**record, "failures": failures}, exc, longrepr)


def _cases_key() -> pytest.StashKey[int]:
    from h2oharness.sweep import CASES

    return CASES


def _known(record: dict[str, Any], report: pytest.TestReport, known: list[dict[str, Any]]) -> None:
    """A real server's known defects: listed as failures in the report, an expected failure for pytest."""
    record["outcome"] = "failed"
    record["failures"] = [{**{k: v for k, v in f.items() if k != "reason"}, "known": str(f["reason"])} for f in known]
    record["known"] = True
    report.outcome = "skipped"
    report.wasxfail = "known finding: " + "; ".join(sorted({str(f["reason"]) for f in known}))


def _failed(record: dict[str, Any], item: pytest.Item, exc: BaseException, operation: tuple[str, str] | None) -> None:
    """A harness error, a crash the sweep recorded, or the API's failures (with the answer absorb saw last)."""
    from h2oharness.report.failures import failures_from_exception
    from h2oharness.sweep import ServerCrash

    if isinstance(exc, TargetUnusable):
        # not tested, not failed: the API's error says why, once
        record["target"] = record["target"] or {"kind": exc.kind, "url": exc.url, "version": ""}
        record["outcome"] = "skipped"
        record["error"] = f"the {exc.kind} target could not be used: {exc}"
        record["unrun"] = True  # a resumed run runs it, once the target is back
    elif isinstance(exc, HarnessError):
        record["error"] = f"{type(exc).__name__}: {exc}"
    elif isinstance(exc, ServerCrash):
        # the finding is a crash record (h2oharness/sweep.py); an operation that only saw the outage is untested
        if operation is not None and exc.operation != f"{operation[0]} {operation[1]}":
            record["outcome"], record["skip_reason"] = "skipped", str(exc)
        elif operation is None:
            record["skip_reason"] = str(exc)  # a flow: the crash is what its scenario line says
        else:
            # the failure is the crash record, merged into the report at its end: the test's line says it now
            record["crash"] = str(exc)
    elif internal_error(exc):
        # a bug of the harness is no failure of the API: the report says the harness could not run this test
        why = one_line(f"{type(exc).__name__}: {exc}", _LINE_CHARS)
        record["error"] = f"internal error of h2oharness: {why} (a bug of the harness; its traceback is in junit.xml)"
    else:
        record["failures"] = [f.to_dict() for f in _with_last_response(item, failures_from_exception(exc))]


#: what a test raises when the target, or the harness's input, is at fault; anything else is a bug of the harness
_NOT_OURS: tuple[type[BaseException], ...] = (AssertionError, HarnessError, OSError, pytest.fail.Exception)
_LINE_CHARS = 400


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def internal_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an error of the harness itself: not a failed check, a transport error or a harness error.

    The official clients' own errors for what the server did count as transport errors (the ``openai`` client's
    ``APIError``: no connection, a timeout, an unexpected status), when the test imported that client; so does an
    answer whose body is not JSON, raised by the response's own ``json()`` (the ``openai`` client lets that
    ``JSONDecodeError`` through as it is).
    """
    import sys

    import httpx

    from h2oharness.sweep import ServerCrash

    theirs: tuple[type[BaseException], ...] = (*_NOT_OURS, httpx.HTTPError, ServerCrash)
    openai = sys.modules.get("openai")
    if isinstance(getattr(openai, "APIError", None), type):
        theirs += (openai.APIError,)  # type: ignore[union-attr]
    return not all(isinstance(leaf, theirs) or _unparsable_answer(leaf) for leaf in _leaves(exc))


def _unparsable_answer(exc: BaseException) -> bool:
    """Whether ``exc`` is an HTTP answer's body failing to parse as JSON, raised inside that response's ``json()``."""
    import json
    import sys

    if not isinstance(exc, json.JSONDecodeError):
        return False
    # httpx, requests, and the httpx fork the openai client may bring: whichever the test loaded
    responses = tuple(
        kind
        for kind in (getattr(sys.modules.get(name), "Response", None) for name in ("httpx", "requests", "httpx2"))
        if isinstance(kind, type)
    )
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_name == "json" and isinstance(frame.tb_frame.f_locals.get("self"), responses):
            return True
        frame = frame.tb_next
    return False


def readable_failure(record: dict[str, Any], exc: BaseException, longrepr: str) -> str:
    """A failed test's report text: one line per failure (what failed, against what, why, what to do).

    An error of the harness itself keeps pytest's traceback, under a line that says it is one.
    """
    what = _what(record)
    target = record.get("target") or {}
    against = f"{target.get('url')} ({target.get('kind')})" if target.get("url") else "the target"
    if internal_error(exc):
        why = one_line(f"{type(exc).__name__}: {exc}", _LINE_CHARS)
        return (
            f"internal error of h2oharness in {record['api']} {what} against {against}: {why}; a bug of the harness,"
            f" not of the API under test: please report it with the traceback below\n\n{longrepr}"
        )
    if record.get("error"):
        found = [("", str(record["error"]), None)]
    else:
        failures = record.get("failures") or []
        found = [(str(f.get("check") or ""), str(f.get("message") or ""), f.get("curl")) for f in failures]
    if not found:
        found = [(type(exc).__name__, str(exc) or type(exc).__name__, None)]
    from h2oharness.report.failures import next_step

    lines = []
    for check, message, curl in found:
        why = one_line(f"{check}: {message}" if check and not message.startswith(check) else message, _LINE_CHARS)
        verdict = "NOT RUN" if record.get("unrun") else "FAILED"
        line = f"{verdict} {record['api']} {what} against {against}: {why} -> {next_step(check, message)}"
        lines.append(line + (f"; reproduce: {one_line(str(curl), _LINE_CHARS)}" if curl else ""))
    return "\n".join(lines)
