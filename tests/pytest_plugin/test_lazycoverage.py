"""Coverage-phase cases planned when a contract test runs: the very cases schemathesis's collection planned.

Each inner session holds one schema collected as schemathesis collects it (``test_eager``) and the same schema
deferred (``test_lazy``); every case either test receives is written down, so the two are compared as they
ran. These tests guard ``lazycoverage``'s use of schemathesis internals: an upgrade that plans other cases than
its own collection fails them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1, "maxLength": 5},
                                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                                },
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "made"}},
            }
        },
        # two operations on one path: the methods the document does not declare there go to the first alone
        "/items/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "view", "in": "query", "schema": {"type": "string", "enum": ["full", "short"]}},
                ],
                "responses": {"200": {"description": "ok"}},
            },
            "delete": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {"204": {"description": "gone"}},
            },
        },
    },
}

TESTS = """
import json

import schemathesis
from hypothesis import settings
from h2oharness.pytest_plugin import lazycoverage

SPEC = {spec}
eager = schemathesis.openapi.from_dict(SPEC)
lazy = schemathesis.openapi.from_dict(SPEC)
{configure}


def record(kind, case):
    phase = case.meta.phase
    with open("cases.jsonl", "a") as fh:
        fh.write(json.dumps({{
            "kind": kind, "operation": case.operation.label, "phase": phase.name.value, "method": case.method,
            "path_parameters": case.path_parameters, "query": case.query, "body": repr(case.body),
            "data": repr(phase.data),
        }}, default=repr) + "\\n")


@eager.parametrize()
@settings(max_examples=1, database=None)
def test_eager(case):
    record("eager", case)


@settings(max_examples=1, database=None)
def _lazy(case):
    record("lazy", case)


test_lazy = lazycoverage.defer(lazy, _lazy).parametrize()(_lazy)
"""


def _write(pytester: pytest.Pytester, configure: str = "", spec: dict[str, Any] | None = None) -> None:
    pytester.makepyfile(test_api=TESTS.format(spec=repr(spec or SPEC), configure=configure))


def _coverage_cases(pytester: pytest.Pytester) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The coverage-phase cases each test received, by (test, operation), in the order they ran."""
    cases: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    path = pytester.path / "cases.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        record = json.loads(line)
        if record["phase"] == "coverage":
            cases[record.pop("kind"), record["operation"]].append(record)
    return cases


def test_every_operation_runs_the_coverage_cases_collection_planned_in_the_same_order(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)
    cases = _coverage_cases(pytester)
    operations = ["POST /items", "GET /items/{id}", "DELETE /items/{id}"]
    for operation in operations:
        assert cases["lazy", operation] == cases["eager", operation], operation
        assert len(cases["lazy", operation]) > 3, operation
    # the path's undeclared methods went to its first operation only, as in collection
    probes = {
        operation: {c["method"] for c in cases["lazy", operation] if "Unspecified HTTP method" in c["data"]}
        for operation in operations
    }
    assert "PUT" in probes["GET /items/{id}"]
    assert probes["DELETE /items/{id}"] == set()


def test_an_operation_run_alone_gets_the_cases_it_gets_in_a_whole_run(pytester: pytest.Pytester) -> None:
    _write(pytester)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)
    whole = _coverage_cases(pytester)
    (pytester.path / "cases.jsonl").unlink()
    alone = "test_api.py::test_lazy[DELETE /items/{id}]"
    pytester.runpytest_inprocess(alone, "-p", "no:cacheprovider").assert_outcomes(passed=1)
    # the GET before it on its path was not run, yet still took the path's undeclared methods
    assert _coverage_cases(pytester)["lazy", "DELETE /items/{id}"] == whole["eager", "DELETE /items/{id}"]


def test_collection_plans_no_coverage_case_of_a_deferred_test(pytester: pytest.Pytester) -> None:
    _write(pytester)
    pytester.makeconftest(
        """
        def pytest_collection_finish(session):
            with open("collected.txt", "w") as fh:
                for item in session.items:
                    examples = getattr(item.obj, "hypothesis_explicit_examples", [])
                    coverage = [e for e in examples if e.kwargs["case"].meta.phase.name.value == "coverage"]
                    fh.write(f"{item.originalname} {len(coverage)}\\n")
        """
    )
    pytester.runpytest_inprocess("--collect-only", "-p", "no:cacheprovider")
    counts: dict[str, list[int]] = defaultdict(list)
    for line in (pytester.path / "collected.txt").read_text().splitlines():
        name, count = line.rsplit(" ", 1)
        counts[name].append(int(count))
    assert counts["test_lazy"] == [0, 0, 0]
    assert all(count > 0 for count in counts["test_eager"])


def test_an_item_set_up_again_runs_its_coverage_cases_once(pytester: pytest.Pytester) -> None:
    # a budgeted round sets an item up again (with a test of its own, which must not get them either)
    _write(pytester)
    pytester.makeconftest(
        """
        import pytest
        from h2oharness.pytest_plugin import lazycoverage

        @pytest.hookimpl(trylast=True)
        def pytest_runtest_setup(item):
            lazycoverage.pytest_runtest_setup(item)
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)
    cases = _coverage_cases(pytester)
    assert cases["lazy", "POST /items"] == cases["eager", "POST /items"]


def test_a_schema_without_the_coverage_phase_gets_none_at_run_time(pytester: pytest.Pytester) -> None:
    _write(pytester, configure="eager.config.phases.coverage.enabled = lazy.config.phases.coverage.enabled = False")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)
    assert _coverage_cases(pytester) == {}


def test_a_schema_error_met_while_planning_fails_the_operation_as_collection_did(pytester: pytest.Pytester) -> None:
    bad = {"name": "size", "in": "query", "required": True, "schema": {"type": "integer", "minimum": "one"}}
    spec = {**SPEC, "paths": {"/bad": {"get": {"parameters": [bad], "responses": {"200": {"description": "ok"}}}}}}
    _write(pytester, spec=spec)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    failures = {report.nodeid: report.longreprtext for report in result.reprec.getfailures()}
    assert sorted(failures) == ["test_api.py::test_eager[GET /bad]", "test_api.py::test_lazy[GET /bad]"]
    # Read from the reports, not the terminal: the short summary repeats the message only when the terminal is wide.
    for text in failures.values():
        assert "schemathesis.core.errors.InvalidSchema: Invalid `minimum` definition" in text
        assert text.count("Invalid `minimum` definition") == 1
