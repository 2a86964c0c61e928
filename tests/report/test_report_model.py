from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from h2oharness.errors import ConfigError, HarnessError
from h2oharness.report.model import (
    ApiReport,
    Conformance,
    Counts,
    DriftEntry,
    Failure,
    OperationResult,
    ScenarioResult,
)


def _sample() -> Conformance:
    api = ApiReport(
        slug="h2o3",
        title="H2O-3 REST",
        target="local",
        target_url="http://127.0.0.1:54321",
        operations=(
            OperationResult("GET", "/3/Cloud", "passed", 5, answers=(("200", 4), ("404", 1))),
            OperationResult("POST", "/3/Parse", "failed", 7, (Failure("status", "500 server error", "curl x", 3),)),
            OperationResult("DELETE", "/3/Frames/{id}", "untested"),
        ),
        scenarios=(ScenarioResult("parse→train→predict", "passed", "", 12.5), ScenarioResult("grid", "skipped")),
        drift=(DriftEntry("seed.txt", "GET /3/Cloud field version", "string", "missing"),),
        errors=(),
        target_version="3.46.0.12",
    )
    return Conformance("0.1.0", "2025-01-01T00:00:00Z", 30.0, (api,), 1, "H2O-3 REST on local: ...")


def test_round_trip_through_dict_and_json() -> None:
    report = _sample()
    assert Conformance.from_dict(report.to_dict()) == report
    assert Conformance.from_json(report.to_json()) == report
    assert Conformance.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_a_report_written_before_answers_were_counted_reads_with_none() -> None:
    data = _sample().to_dict()
    del data["apis"][0]["operations"][0]["answers"]
    assert Conformance.from_dict(data).apis[0].operations[0].answers == ()


@pytest.mark.parametrize(
    ("outcome", "answers", "untested"),
    [
        ("passed", (("404", 3),), True),
        ("passed", (("401", 1), ("404", 3)), True),
        ("passed", (("201", 1), ("404", 3)), False),
        ("passed", (), False),  # no valid request counted (an older report, every case negative): nothing to say
        ("failed", (("404", 3),), False),
    ],
)
def test_an_operation_that_conforms_on_error_answers_alone_has_its_success_untested(
    outcome: str, answers: tuple[tuple[str, int], ...], untested: bool
) -> None:
    op = OperationResult("GET", "/x/{id}", outcome, 3, answers=answers)  # type: ignore[arg-type]
    assert op.success_untested is untested


def test_model_is_frozen() -> None:
    report = _sample()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.exit_code = 0  # type: ignore[misc]


def test_counts_are_computed_and_written() -> None:
    report = _sample()
    expected = Counts(
        operations=3, tested=2, passed=1, failed=1, untested=1, scenarios_passed=1, scenarios_skipped=1, drift=1
    )
    assert report.apis[0].counts == expected
    assert report.counts == expected + Counts()
    assert report.to_dict()["counts"]["failed"] == 1
    assert report.to_dict()["apis"][0]["counts"]["untested"] == 1


def test_counts_in_a_file_are_ignored_on_read() -> None:
    data = _sample().to_dict()
    data["apis"][0]["counts"]["failed"] = 99
    assert Conformance.from_dict(data).apis[0].counts.failed == 1


def test_optional_fields_may_be_left_out() -> None:
    failure = Failure.from_dict({"check": "c", "message": "m"})
    assert failure == Failure("c", "m", None, 1)
    assert OperationResult.from_dict({"method": "GET", "path": "/", "outcome": "untested"}).cases == 0
    # a report written before flows were told apart from scenarios reads them as scenarios
    assert ScenarioResult.from_dict({"name": "s", "outcome": "passed"}) == ScenarioResult("s", "passed")


def test_a_flow_stays_a_flow_through_json() -> None:
    flow = ScenarioResult("test_h2o3_stateful_flow", "failed", "no complete answer", 0.2, flow=True)
    assert ScenarioResult.from_dict(json.loads(json.dumps(flow.to_dict()))) == flow
    assert flow.label == "flow test_h2o3_stateful_flow"
    with pytest.raises(ConfigError, match=r"^s\.flow: expected true or false"):
        ScenarioResult.from_dict({**flow.to_dict(), "flow": "yes"}, "s")


def _set(path: str, value: Any) -> Any:
    data = _sample().to_dict()
    *parents, last = path.split("/")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "top level: expected an object, got a list"),
        (_set("format", 2), "format: this h2oharness reads format 1, got 2"),
        (_set("summary", _DELETE), "top level: missing field 'summary'"),
        (_set("colour", "red"), "top level: unexpected field 'colour'"),
        (_set("duration", "fast"), "duration: expected a non-negative number, got 'fast'"),
        (_set("exit_code", True), "exit_code: expected a non-negative integer, got true"),
        (_set("apis", {}), "apis: expected a list, got an object"),
        (_set("apis/0/operations/1/outcome", "ok"), "apis[0].operations[1].outcome: expected one of passed, failed"),
        (_set("apis/0/operations/1/failures/0/count", 0), "apis[0].operations[1].failures[0].count: expected at least"),
        (_set("apis/0/operations/1/failures/0/curl", 5), "failures[0].curl: expected a string or null, got 5"),
        (_set("apis/0/scenarios/0/outcome", "error"), "apis[0].scenarios[0].outcome: expected one of passed"),
        (_set("apis/0/drift/0/observed", None), "apis[0].drift[0].observed: expected a string, got null"),
        (_set("apis/0/errors", ["ok", 3]), "apis[0].errors[1]: expected a string, got 3"),
        (_set("apis/0/target_url", "x" * 100), None),
        (_set("apis/0/operations/0/answers", [200]), "apis[0].operations[0].answers: expected an object, got a list"),
        (_set("apis/0/operations/0/answers", {"ok": 1}), "answers: expected HTTP status codes as keys, got 'ok'"),
        (_set("apis/0/operations/0/answers", {"200": -1}), "answers.200: expected a non-negative integer, got -1"),
    ],
)
def test_malformed_report_raises_one_line_config_error(data: Any, expected: str | None) -> None:
    if expected is None:  # a well-formed variation, so the helper itself is known to work
        Conformance.from_dict(data)
        return
    with pytest.raises(ConfigError) as info:
        Conformance.from_dict(copy.deepcopy(data))
    message = str(info.value)
    assert isinstance(info.value, HarnessError)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["", "{not json", '{"format": 1,', "[1, 2"])
def test_text_that_is_not_json_raises_one_line_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^reports/conformance\.json: not valid JSON: ") as info:
        Conformance.from_json(text, source="reports/conformance.json")
    assert "\n" not in str(info.value)


def test_error_message_names_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^r\.json: top level: missing field 'format'$"):
        Conformance.from_json("{}", source="r.json")


def test_long_bad_values_are_shortened() -> None:
    with pytest.raises(ConfigError) as info:
        Conformance.from_dict(_set("apis/0/operations/1/outcome", "bad\n" * 50))
    assert len(str(info.value)) < 160
    assert "\n" not in str(info.value)


_text = st.text(max_size=20)
_failures = st.builds(Failure, _text, _text, st.none() | _text, st.integers(1, 5))
_operations = st.builds(
    OperationResult,
    _text,
    _text,
    st.sampled_from(["passed", "failed", "untested"]),
    st.integers(0, 100),
    st.lists(_failures, max_size=2).map(tuple),
)
_scenarios = st.builds(
    ScenarioResult, _text, st.sampled_from(["passed", "failed", "skipped"]), _text, st.floats(0, 1e6)
)
_apis = st.builds(
    ApiReport,
    _text,
    _text,
    _text,
    _text,
    st.lists(_operations, max_size=3).map(tuple),
    st.lists(_scenarios, max_size=2).map(tuple),
    st.lists(st.builds(DriftEntry, _text, _text, _text, _text), max_size=2).map(tuple),
    st.lists(_text, max_size=2).map(tuple),
    _text,
)


@given(
    st.builds(
        Conformance, _text, _text, st.floats(0, 1e6), st.lists(_apis, max_size=2).map(tuple), st.integers(0, 3), _text
    )
)
def test_property_any_report_survives_json(report: Conformance) -> None:
    assert Conformance.from_json(report.to_json()) == report
