"""One operation of a schemathesis test selected by its node id, as the report and pytest print it."""

from __future__ import annotations

import pytest

TESTS = """
import schemathesis
from hypothesis import settings

schema = schemathesis.openapi.from_dict({
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/items/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
})


@schema.parametrize()
@settings(max_examples=2)
def test_api(case):
    assert case.operation.label == "GET /items/{id}"
"""


def test_a_node_id_with_an_operation_runs_that_operation_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_api=TESTS)
    result = pytester.runpytest_inprocess("test_api.py::test_api[GET /items/{id}]", "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)  # pytest alone: "not found", exit 4


def test_every_operation_keeps_its_node_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_api=TESTS)
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert [line for line in result.outlines if "::" in line] == [
        "test_api.py::test_api[GET /items]",
        "test_api.py::test_api[GET /items/{id}]",
    ]
