"""Schema instances: the smallest valid value of every schema, and records fitted to a schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from h2oharness.mocks.instances import Schemas

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {},
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "size", "tags", "kind", "when"],
                "properties": {
                    "id": {"type": "string", "minLength": 3},
                    "size": {"type": "integer", "minimum": 5, "exclusiveMinimum": True},
                    "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "when": {"type": "string", "format": "date-time"},
                    "note": {"type": "string", "nullable": True},
                    "child": {"$ref": "#/components/schemas/Thing"},
                },
            },
            "Either": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
        }
    },
}
THING = {"$ref": "#/components/schemas/Thing"}


def test_smallest_honours_every_bound() -> None:
    value = Schemas(DOCUMENT).smallest(THING)
    assert value == {"id": "xxx", "size": 6, "tags": ["", ""], "kind": "a", "when": "2026-01-01T00:00:00Z"}


def test_nullable_reads_as_a_null_type() -> None:
    schemas = Schemas(DOCUMENT)
    good = {**schemas.smallest(THING), "note": None}
    assert schemas.valid(good, THING)
    assert not schemas.valid({**good, "note": 3}, THING)


def test_fit_keeps_the_valid_fields_and_replaces_the_rest() -> None:
    schemas = Schemas(DOCUMENT)
    fitted = schemas.fit({"id": "abcd", "size": "big", "kind": "b", "extra": 1, "child": {"id": 1}}, THING)
    assert fitted["id"] == "abcd"
    assert fitted["kind"] == "b"
    assert fitted["size"] == 6
    assert "extra" not in fitted
    assert fitted["child"]["id"] == "xxx"
    assert schemas.valid(fitted, THING)


def test_fit_keeps_what_additional_properties_allows() -> None:
    """A free-form object (additionalProperties true) keeps every key, one with an additionalProperties schema
    keeps the keys valid under it; where the schema says nothing about extra keys they still go."""
    schemas = Schemas(DOCUMENT)
    free = {"type": "object", "properties": {"input": {"type": "object", "additionalProperties": True}}}
    assert schemas.fit({"input": {"x1": 1, "color": "red"}}, free) == {"input": {"x1": 1, "color": "red"}}
    numbers = {"type": "object", "additionalProperties": {"type": "number"}}
    assert schemas.fit({"a": 1.5, "b": "text"}, numbers) == {"a": 1.5}
    closed = {"type": "object", "properties": {"id": {"type": "string"}}}
    assert schemas.fit({"id": "x", "other": 1}, closed) == {"id": "x"}


def test_errors_name_the_field() -> None:
    errors = Schemas(DOCUMENT).errors({"id": 5}, THING)
    assert any(e.startswith("id:") for e in errors)
    assert any("required" in e for e in errors)


@pytest.mark.parametrize("api", ["h2o3", "h2ogpte", "coreplexml", "workflows"])
def test_every_documented_answer_of_every_contract_has_a_valid_smallest_instance(api: str) -> None:
    document = yaml.safe_load((ROOT / "contracts" / api / "openapi.yaml").read_text())
    schemas = Schemas(document)
    checked = 0
    for item in document["paths"].values():
        for op in item.values():
            for response in op.get("responses", {}).values() if isinstance(op, dict) else ():
                for content in (schemas.resolve(response).get("content") or {}).values():
                    if content.get("schema"):
                        schema = content["schema"]
                        assert schemas.valid(schemas.smallest(schema), schema)
                        assert schemas.valid(schemas.fit({"id": 1, "name": None}, schema), schema)
                        checked += 1
    assert checked > 10
