"""The field errors behind an anyOf or oneOf violation, found again in the schema."""

from __future__ import annotations

from typing import Any

from h2oharness.report.violations import closest_reasons

NULLABLE_MODEL = {
    "x-bundled": {
        "model": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "stage": {"anyOf": [{"type": "string", "enum": ["Beta", "Stable"]}, {"type": "null"}]},
                        "params": {"$ref": "#/x-bundled/params"},
                    },
                },
                {"type": "null"},
            ]
        },
        "params": {"anyOf": [{"type": "object", "properties": {"seed": {"type": "integer"}}}, {"type": "null"}]},
    },
    "$ref": "#/x-bundled/model",
}
AT_MODEL = ["x-bundled", "model", "anyOf"]


def said(root: Any, schema_path: list[Any], instance: Any, instance_path: tuple[Any, ...] = ()) -> list[str]:
    return [f"{r.rule} {r.where}: {r.text}" for r in closest_reasons(root, schema_path, instance, instance_path)]


def test_the_branch_that_came_closest_is_opened_down_to_its_fields_through_refs() -> None:
    # the null branch failed only on the whole value's type: the object branch is the one to read
    assert said(NULLABLE_MODEL, AT_MODEL, {"stage": "Gone", "params": {"seed": "x"}}) == [
        "enum /stage: 'Gone' is not one of ['Beta', 'Stable']",
        "type /params/seed: 'x' is not of type 'integer'",
    ]


def test_a_large_value_is_described_not_quoted() -> None:
    (reason,) = said(NULLABLE_MODEL, AT_MODEL, {"params": list(range(500))})
    assert reason == "type /params: an array of 500 is not of type 'object'"


def test_paths_are_said_from_the_answer_s_root() -> None:
    params = NULLABLE_MODEL["x-bundled"]["params"]  # type: ignore[index]
    root = {"x-bundled": {"params": params}}
    reasons = said(root, ["x-bundled", "params", "anyOf"], {"seed": 1.5}, ("models", 0, "params"))
    assert reasons == ["type /models/0/params/seed: 1.5 is not of type 'integer'"]


def test_one_of_is_opened_too() -> None:
    root = {"oneOf": [{"type": "integer", "minimum": 10}, {"type": "string"}]}
    assert said(root, ["oneOf"], 3) == ["minimum /: 3 is less than the minimum of 10"]


def test_nothing_is_said_when_the_violation_is_not_found_again() -> None:
    assert said(NULLABLE_MODEL, AT_MODEL, {"stage": "Beta"}) == []  # valid: no such violation
    assert said(NULLABLE_MODEL, ["x-bundled", "missing", "anyOf"], {}) == []  # a path the schema lacks
    assert said(NULLABLE_MODEL, ["x-bundled", "model", "type"], {}) == []  # not a combinator
    assert said({"anyOf": [{"type": "bogus"}]}, ["anyOf"], 1) == []  # a schema jsonschema cannot use
