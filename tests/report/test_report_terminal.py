"""The end of ``h2oharness run`` on a terminal: table, verdict agreeing with the exit code, new failures with curl."""

from __future__ import annotations

from h2oharness.report.build import build_conformance
from h2oharness.report.model import ApiReport, DriftEntry, Failure, OperationResult, ScenarioResult
from h2oharness.report.terminal import render_terminal, scenario_tally

KNOWN = Failure("ST101 Server error", "500 on PATCH", "curl -X PATCH http://h/a", known="Jetty answers PATCH with 501")
NEW = Failure("ST108 Response violates schema", "field 'progress' is a string", "curl -X GET http://h/3/Jobs/1")


def _api(slug: str, operations: tuple[OperationResult, ...], scenarios: tuple[ScenarioResult, ...] = ()) -> ApiReport:
    drift = (DriftEntry("seed", "w", "a", "b"),)
    return ApiReport(slug, slug.upper(), "mock", "http://127.0.0.1:1", operations, scenarios, drift)


def _ops(passed: int = 0, known: int = 0, new: int = 0, untested: int = 0) -> tuple[OperationResult, ...]:
    return (
        *(OperationResult("GET", f"/p{i}", "passed", 3) for i in range(passed)),
        *(OperationResult("PATCH", f"/k{i}", "failed", 3, (KNOWN,)) for i in range(known)),
        *(OperationResult("GET", f"/n{i}", "failed", 3, (NEW,)) for i in range(new)),
        *(OperationResult("GET", f"/u{i}", "untested") for i in range(untested)),
    )


def test_known_findings_only_read_as_ok_and_are_counted_apart() -> None:
    flow = ScenarioResult("stateful", "failed", "PATCH 501", known=True)
    report = build_conformance([_api("h2o3", _ops(passed=69, known=8, untested=218), (flow,))], "0", "now", 1.0)
    text = render_terminal(report)
    assert report.exit_code == 0
    header, row = text.splitlines()[:2]
    assert header.split() == [
        "API", "target", "tested", "conform", "new", "failures", "known", "untested", "scenarios", "drift",
    ]  # fmt: skip
    assert row.split() == ["h2o3", "mock", "77/295", "69", "0", "8", "218", "1", "known", "1"]
    assert "OK: no new failures (exit 0); 9 known findings reported, not counted" in text
    assert "violate" not in text
    assert "FAILED" not in text
    assert "curl" not in text  # known findings are in the report, not in the terminal's list


def test_new_failures_are_listed_with_reason_and_curl_and_the_verdict_says_exit_1() -> None:
    broken = ScenarioResult("parse→train", "failed", "job FAILED:\n out of memory")
    report = build_conformance(
        [_api("h2o3", _ops(passed=2, known=1, new=1), (broken,)), _api("h2ogpte", _ops(passed=4))], "0", "now", 1.0
    )
    lines = render_terminal(report).splitlines()
    assert report.exit_code == 1
    assert lines[1].split()[:7] == ["h2o3", "mock", "4/4", "2", "1", "1", "0"]
    assert lines[1].split()[7:] == ["1", "FAILED", "1"]
    assert lines[2].split()[:7] == ["h2ogpte", "mock", "4/4", "4", "0", "0", "0"]
    verdict = lines.index("FAILED: 2 new failures (exit 1); 1 known finding reported, not counted")
    assert lines[verdict + 1 :] == [
        "  h2o3 GET /n0: ST108 Response violates schema: field 'progress' is a string",
        "    curl -X GET http://h/3/Jobs/1",
        "  h2o3 scenario parse→train: job FAILED: out of memory",
    ]


def test_harness_errors_say_error_with_the_reason() -> None:
    api = ApiReport("h2o3", "H2O-3", "live", "http://h", (), (), (), ("cannot reach http://h\n  twice",))
    text = render_terminal(build_conformance([api], "0", "now", 1.0))
    assert "h2o3 on live: the harness could not run: cannot reach http://h twice" in text
    assert "ERROR: the harness could not run everything (exit 3)" in text


def test_what_kept_the_harness_from_running_is_said_in_full() -> None:
    # cut at 100 characters, the line ended "refused the credentials (HTTP 401): wrong…": what to fix was cut off
    why = (
        "the live target could not be used: http://127.0.0.1:18123 refused the credentials (HTTP 401): wrong or "
        "missing API key or token"
    )
    api = ApiReport("h2ogpte", "h2oGPTe", "live", "http://127.0.0.1:18123", (), (), (), (why,))
    text = render_terminal(build_conformance([api], "0", "now", 1.0))
    assert f"h2ogpte on live: the harness could not run: {why}\n" in text
    assert "x" * 399 + "…" in render_terminal(
        build_conformance([ApiReport("h2o3", "H2O-3", "live", "u", (), (), (), ("x" * 1000,))], "0", "now", 1.0)
    )


def test_a_long_list_of_new_failures_is_cut_and_secrets_never_show() -> None:
    leaky = Failure(
        "ST101 Server error", "token tok-12345 refused", "curl -H 'Authorization: Bearer tok-12345' http://h"
    )
    ops = tuple(OperationResult("GET", f"/n{i:02}", "failed", 1, (leaky,)) for i in range(25))
    text = render_terminal(build_conformance([_api("h2o3", ops)], "0", "now", 1.0), secrets=["tok-12345"])
    assert "tok-12345" not in text
    assert "  h2o3 GET /n19: " in text
    assert "/n20" not in text
    assert text.endswith("  and 5 more in the report")


def test_a_failed_flow_reads_as_a_flow_in_the_closing_list() -> None:
    # as its progress line and its junit failure name it: a stateful flow of contracts/ is no scenario
    flow = ScenarioResult("test_h2o3_stateful_flow", "failed", "POST /3/Parse: no complete answer", flow=True)
    scenario = ScenarioResult("test_parse_train", "failed", "job FAILED")
    report = build_conformance([_api("h2o3", _ops(passed=1), (flow, scenario))], "0", "now", 1.0)
    lines = render_terminal(report).splitlines()
    assert lines[-2:] == [
        "  h2o3 flow test_h2o3_stateful_flow: POST /3/Parse: no complete answer",
        "  h2o3 scenario test_parse_train: job FAILED",
    ]


def test_scenario_tally_keeps_known_apart_from_failed() -> None:
    runs = [
        ScenarioResult("a", "passed"),
        ScenarioResult("b", "failed"),
        ScenarioResult("c", "failed", known=True),
        ScenarioResult("d", "skipped"),
    ]
    assert scenario_tally(runs) == "1 passed, 1 FAILED, 1 known, 1 skipped"
    assert scenario_tally([]) == "none"


def test_a_request_that_killed_the_server_leads_the_list_of_new_failures() -> None:
    # a crash on /99/... came after forty /3/... failures, past the twenty shown: "and 46 more in the report"
    crash = Failure("server_crash", "POST /99/AutoMLBuilder: no answer", "curl -X POST http://h/99/AutoMLBuilder")
    ops = (*_ops(new=30), OperationResult("POST", "/99/AutoMLBuilder", "failed", 56, (crash,)))
    lines = render_terminal(build_conformance([_api("h2o3", ops)], "0", "now", 1.0)).splitlines()
    verdict = lines.index("FAILED: 31 new failures (exit 1)")
    assert lines[verdict + 1 : verdict + 3] == [
        "  h2o3 POST /99/AutoMLBuilder: server_crash: POST /99/AutoMLBuilder: no answer",
        "    curl -X POST http://h/99/AutoMLBuilder",
    ]
    assert lines[verdict + 3] == "  h2o3 GET /n0: ST108 Response violates schema: field 'progress' is a string"
    assert lines[-1] == "  and 11 more in the report"


def test_conforming_operations_that_never_succeeded_are_counted_under_the_table() -> None:
    operations = (
        OperationResult("GET", "/a/{id}", "passed", 3, answers=(("404", 3),)),
        OperationResult("DELETE", "/a/{id}", "passed", 3, answers=(("401", 1), ("404", 2))),
        OperationResult("GET", "/a", "passed", 3, answers=(("200", 3),)),
        OperationResult("GET", "/b/{id}", "failed", 3, (NEW,), answers=(("404", 3),)),
    )
    text = render_terminal(build_conformance([_api("coreplexml", operations), _api("h2o3", _ops(2))], "0", "t", 1.0))
    lines = [line for line in text.splitlines() if "2xx" in line]
    assert lines == [
        "coreplexml: 2 conforming operations never answered a valid request with 2xx: only their error answers were "
        "checked (listed in the report)"
    ]
