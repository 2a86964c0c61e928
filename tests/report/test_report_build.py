from __future__ import annotations

import pytest

from h2oharness.errors import EXIT_HARNESS_ERROR, EXIT_OK, EXIT_VIOLATION
from h2oharness.report.build import (
    OperationRecord,
    build_conformance,
    dedupe_failures,
    display_order,
    exit_code_for,
    merge_operations,
    summarize,
    with_answers,
)
from h2oharness.report.model import ApiReport, DriftEntry, Failure, OperationResult, ScenarioResult

DOCUMENTED = [("POST", "/3/Parse"), ("GET", "/3/Frames"), ("DELETE", "/3/Frames"), ("GET", "/3/Cloud")]


def _api(
    operations: tuple[OperationResult, ...] = (),
    scenarios: tuple[ScenarioResult, ...] = (),
    drift: tuple[DriftEntry, ...] = (),
    errors: tuple[str, ...] = (),
) -> ApiReport:
    return ApiReport("h2o3", "H2O-3 REST", "local", "http://127.0.0.1:54321", operations, scenarios, drift, errors)


def _op(outcome: str, path: str = "/3/Cloud", method: str = "GET", message: str = "boom") -> OperationResult:
    failures = (Failure("check", message),) if outcome == "failed" else ()
    return OperationResult(method, path, outcome, 1 if outcome != "untested" else 0, failures)  # type: ignore[arg-type]


# --- merge_operations -------------------------------------------------------------------------------------------


def test_operations_without_records_are_untested() -> None:
    merged = merge_operations(DOCUMENTED, [OperationRecord("GET", "/3/Cloud", True, cases=4)])
    assert {(op.method, op.path): op.outcome for op in merged} == {
        ("GET", "/3/Cloud"): "passed",
        ("GET", "/3/Frames"): "untested",
        ("DELETE", "/3/Frames"): "untested",
        ("POST", "/3/Parse"): "untested",
    }


def test_sorted_by_path_then_conventional_method_order() -> None:
    documented = [("DELETE", "/b"), ("POST", "/b"), ("GET", "/b"), ("PATCH", "/a"), ("PURGE", "/b"), ("OPTIONS", "/b")]
    merged = merge_operations(documented, [])
    assert [(op.method, op.path) for op in merged] == [
        ("PATCH", "/a"),
        ("GET", "/b"),
        ("POST", "/b"),
        ("DELETE", "/b"),
        ("OPTIONS", "/b"),
        ("PURGE", "/b"),
    ]


def test_one_failed_record_fails_the_operation_and_cases_add_up() -> None:
    records = [
        OperationRecord("POST", "/3/Parse", True, cases=10),
        OperationRecord("post", "/3/Parse", False, (Failure("status", "500"),), cases=5),
    ]
    [parse] = [op for op in merge_operations(DOCUMENTED, records) if op.path == "/3/Parse"]
    assert parse == OperationResult("POST", "/3/Parse", "failed", 15, (Failure("status", "500"),))


def test_a_record_with_failures_counts_as_failed_even_if_marked_passed() -> None:
    merged = merge_operations([], [OperationRecord("GET", "/x", True, (Failure("c", "m"),))])
    assert merged[0].outcome == "failed"


def test_identical_failures_are_folded_keeping_the_first_curl() -> None:
    records = [
        OperationRecord("POST", "/3/Parse", False, (Failure("status", "500", None),)),
        OperationRecord("POST", "/3/Parse", False, (Failure("status", "500", "curl one"), Failure("schema", "bad"))),
        OperationRecord("POST", "/3/Parse", False, (Failure("status", "500", "curl two", 2),)),
    ]
    [parse] = [op for op in merge_operations(DOCUMENTED, records) if op.path == "/3/Parse"]
    assert parse.failures == (Failure("status", "500", "curl one", 4), Failure("schema", "bad"))


def test_dedupe_keeps_different_messages_apart() -> None:
    failures = [Failure("status", "500"), Failure("status", "502"), Failure("schema", "500")]
    assert dedupe_failures(failures) == tuple(failures)


def test_records_for_undocumented_operations_are_kept() -> None:
    merged = merge_operations([("GET", "/3/Cloud")], [OperationRecord("GET", "/99/Secret", False)])
    assert [(op.path, op.outcome) for op in merged] == [("/3/Cloud", "untested"), ("/99/Secret", "failed")]


def test_display_order_puts_failed_first_then_passed_then_untested() -> None:
    ops = [_op("passed", "/a"), _op("untested", "/0"), _op("failed", "/z"), _op("failed", "/b")]
    failed, passed, untested = display_order(ops)
    assert [op.path for op in failed] == ["/b", "/z"]
    assert [op.path for op in passed] == ["/a"]
    assert [op.path for op in untested] == ["/0"]


# --- exit_code_for ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("apis", "code"),
    [
        ([], EXIT_OK),
        ([_api((_op("passed"), _op("untested", "/x")))], EXIT_OK),
        ([_api((_op("untested"),))], EXIT_OK),
        ([_api(drift=(DriftEntry("seed", "w", "a", "b"),))], EXIT_OK),
        ([_api(scenarios=(ScenarioResult("s", "skipped"),))], EXIT_OK),
        ([_api((_op("passed"),)), _api((_op("failed"),))], EXIT_VIOLATION),
        ([_api(scenarios=(ScenarioResult("s", "failed"),))], EXIT_VIOLATION),
        ([_api((_op("failed"),), errors=("cannot reach target",))], EXIT_HARNESS_ERROR),
        ([_api(errors=("no spec",)), _api((_op("passed"),))], EXIT_HARNESS_ERROR),
    ],
)
def test_exit_code_rules(apis: list[ApiReport], code: int) -> None:
    assert exit_code_for(apis) == code


# --- summarize --------------------------------------------------------------------------------------------------


def test_summary_names_counts_failing_operations_scenario_and_drift() -> None:
    operations = (
        *(_op("passed", f"/3/P{i}") for i in range(39)),
        _op("failed", "/3/Parse", "POST", "500 server error"),
        _op("failed", "/3/Jobs", "GET", "field 'progress' is a string\n  at line 3"),
        *(_op("untested", f"/3/U{i}") for i in range(254)),
    )
    api = ApiReport(
        "h2o3",
        "H2O-3 REST",
        "local",
        "http://127.0.0.1:54321",
        operations,
        (ScenarioResult("parse→train→predict", "passed"),),
        tuple(DriftEntry("seed", f"w{i}", "a", "b") for i in range(3)),
        target_version="3.46.0.12",
    )
    assert summarize([api]) == (
        "H2O-3 REST on local (http://127.0.0.1:54321, 3.46.0.12): 41 of 295 operations tested, 39 conform, "
        "2 violate the contract (GET /3/Jobs: field 'progress' is a string at line 3; "
        "POST /3/Parse: 500 server error); "
        "scenario parse→train→predict passed; 3 documentation drifts."
    )


def test_summary_singulars_and_a_failed_scenario() -> None:
    api = _api(
        (_op("passed"), _op("failed", "/x", "POST", "timeout")),
        (ScenarioResult("train", "failed", "job FAILED: out of memory"),),
        (DriftEntry("seed", "w", "a", "b"),),
    )
    assert summarize([api]).endswith(
        "2 of 2 operations tested, 1 conforms, 1 violates the contract (POST /x: timeout); "
        "scenario train failed (job FAILED: out of memory); 1 documentation drift."
    )


def test_summary_names_a_lone_flow_a_flow() -> None:
    api = _api((_op("passed"),), (ScenarioResult("test_h2o3_stateful_flow", "failed", "POST /x: reset", flow=True),))
    assert "; flow test_h2o3_stateful_flow failed (POST /x: reset)" in summarize([api])


def test_summary_lists_three_violations_then_says_how_many_more() -> None:
    api = _api(tuple(_op("failed", f"/p{i}") for i in range(5)))
    assert "(GET /p0: boom; GET /p1: boom; GET /p2: boom; and 2 more)" in summarize([api])


def test_summary_tallies_many_scenarios() -> None:
    runs = (
        *(ScenarioResult(f"s{i}", "passed") for i in range(4)),
        ScenarioResult("grid", "failed", "oom"),
        ScenarioResult("flow", "failed", "PATCH 501", known=True),
        ScenarioResult("big", "skipped", "no data"),
    )
    assert "; 7 scenarios: 4 passed, 1 failed, 1 known finding, 1 skipped (grid: oom)." in summarize(
        [_api(scenarios=runs)]
    )


def test_summary_reports_harness_errors_and_nothing_tested() -> None:
    text = summarize([_api(errors=("cannot reach http://127.0.0.1:54321", "second"))])
    assert text.endswith(
        ": no operations tested; the harness could not run: cannot reach http://127.0.0.1:54321 (and 1 other error)."
    )


def test_summary_of_several_apis_and_of_none() -> None:
    first = _api((_op("passed"),))
    second = ApiReport("gpte", "h2oGPTe", "mock", "http://127.0.0.1:1", (), (), ())
    conformance = build_conformance([first, second], "0.1.0", "now", 1.0)
    assert conformance.summary == summarize(conformance)
    assert conformance.summary.startswith("H2O-3 REST on local (http://127.0.0.1:54321): 1 of 1 operation tested")
    assert " h2oGPTe on mock (http://127.0.0.1:1): no operations tested." in conformance.summary
    assert summarize([]) == "No APIs were tested."


def test_summary_is_redacted() -> None:
    api = ApiReport(
        "h2o3", "H2O-3", "live", "https://admin:hunter2@h2o.example", (), (), (), ("token tok-12345 refused",)
    )
    text = summarize([api], secrets=["tok-12345"])
    assert "hunter2" not in text
    assert "tok-12345" not in text


def test_build_conformance_derives_exit_code_and_summary() -> None:
    conformance = build_conformance([_api((_op("failed"),))], "0.1.0", "2025-01-01T00:00:00Z", 2.5)
    assert conformance.exit_code == EXIT_VIOLATION
    assert "1 violates the contract (GET /3/Cloud: boom)" in conformance.summary


def test_known_findings_are_reported_but_only_new_failures_fail_the_run() -> None:
    from h2oharness.report.build import build_conformance
    from h2oharness.report.model import ApiReport, Failure, OperationResult, ScenarioResult

    known = Failure("ST101 Server error", "m", "curl x", known="Jetty answers PATCH with 501")
    new = Failure("ST108 Response violates schema", "m2", "curl y")
    only_known = OperationResult("GET", "/a", "failed", 1, (known,))
    flow = ScenarioResult("test_stateful_flow", "failed", "known finding", 1.0, known=True)
    api = ApiReport("h2o3", "H2O-3", "local", "http://h", (only_known,), (flow,), ())
    report = build_conformance([api], "0", "now", 1.0)
    assert report.exit_code == 0
    # an exit 0 never reads as a violation, nor a known finding as a failed scenario
    assert "violate" not in report.summary
    assert "failed" not in report.summary
    assert "1 of 1 operation tested, 0 conform, 1 known finding; 1 scenario: 0 passed, 1 known finding." in (
        report.summary
    )
    assert report.apis[0].counts.failed == 1  # still listed as failing
    mixed = OperationResult("GET", "/b", "failed", 1, (known, new))
    both = build_conformance([ApiReport("h2o3", "H2O-3", "local", "h", (mixed, only_known), (), ())], "0", "now", 1.0)
    assert both.exit_code == 1
    # the new failure's reason, not the known one's, and the known operation counted apart
    assert "1 violates the contract (GET /b: m2), 1 known finding." in both.summary
    again = type(report).from_json(report.to_json())
    assert again.apis[0].operations[0].failures[0].known == "Jetty answers PATCH with 501"
    assert again.apis[0].scenarios[0].known is True


def test_html_marks_known_findings() -> None:
    from h2oharness.report.build import build_conformance
    from h2oharness.report.model import ApiReport, Failure, OperationResult
    from h2oharness.report.writers import render_html

    known = Failure("ST101 Server error", "m", "curl x", known="Jetty answers PATCH with 501")
    api = ApiReport(
        "h2o3", "H2O-3", "local", "http://h", (OperationResult("GET", "/a", "failed", 1, (known,)),), (), ()
    )
    page = render_html(build_conformance([api], "0", "now", 1.0))
    assert ">known</span>" in page
    assert "Jetty answers PATCH with 501" in page


def test_answers_are_summed_over_an_operations_own_test_and_the_flows_through_it() -> None:
    operations = merge_operations(DOCUMENTED, [OperationRecord("GET", "/3/Frames", True, cases=4)])
    own = {"GET /3/Frames": {"404": 3}}
    flow = {"GET /3/Frames": {"200": 2, "404": 1}, "POST /3/Parse": {"200": 1}}
    answered = {(op.method, op.path): (op.outcome, op.answers) for op in with_answers(operations, [own, flow])}
    assert answered[("GET", "/3/Frames")] == ("passed", (("200", 2), ("404", 4)))
    # a flow's answers are shown on an operation no test of its own ran, which stays untested
    assert answered[("POST", "/3/Parse")] == ("untested", (("200", 1),))
    assert answered[("GET", "/3/Cloud")] == ("untested", ())
