"""Schema-valid values from an OpenAPI document: the smallest instance of a schema, and a record made to fit one.

A generic mock answers with ``fit(record, schema)``: the record's fields that the schema has and that validate,
on top of ``smallest(schema)`` for everything the record lacks, so every answer is valid whatever was stored.
OpenAPI 3.0's ``nullable`` is read as JSON Schema's ``"null"`` type.

Example:
    schemas = Schemas(document)
    schemas.fit({"id": "c1", "name": 7}, {"$ref": "#/components/schemas/Collection"})
    # {"id": "c1", "name": "", ...every other required field at its smallest}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]

Schema = Mapping[str, Any]

FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "email": "user@example.com",
    "uri": "http://127.0.0.1/",
    "url": "http://127.0.0.1/",
    "ipv4": "127.0.0.1",
    "hostname": "localhost",
}


def json_schema(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the document whose OpenAPI 3.0 ``nullable`` flags are JSON Schema null types."""
    converted = copy.deepcopy(dict(document))
    if str(document.get("openapi", "3.0")).startswith("3.0"):
        _null_types(converted)
    return converted


def _null_types(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _null_types(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _null_types(value)
    if node.pop("nullable", False) is True:
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        elif kind is None:
            alternatives = {k: node.pop(k) for k in ("$ref", "allOf", "oneOf", "anyOf") if k in node}
            if alternatives:
                node["anyOf"] = [alternatives, {"type": "null"}]


class Schemas:
    """The schemas of one OpenAPI document: resolve ``$ref``, validate, build and fit values."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = json_schema(document)
        self._draft = (
            jsonschema.Draft202012Validator
            if str(document.get("openapi", "3.0")).startswith("3.1")
            else jsonschema.Draft4Validator
        )
        self._validators: dict[int, Any] = {}
        self._smallest: dict[int, Any] = {}

    def resolve(self, schema: Schema | None) -> Schema:
        """The schema a ``$ref`` points at (followed until it is not one); {} for None."""
        seen = 0
        while schema is not None and "$ref" in schema and seen < 64:
            ref = str(schema["$ref"])
            node: Any = self.document
            for part in ref.removeprefix("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema, seen = node, seen + 1
        return schema or {}

    def valid(self, value: Any, schema: Schema | None) -> bool:
        """Whether ``value`` is valid under ``schema`` (refs resolve against the document; formats are not checked)."""
        if not schema:
            return True
        key = id(schema)
        validator = self._validators.get(key)
        if validator is None:
            # the document's components ride along so "#/components/..." resolves against this root
            root = {"components": self.document.get("components", {}), "allOf": [schema]}
            validator = self._draft(root)
            self._validators[key] = validator
        return bool(validator.is_valid(value))

    def errors(self, value: Any, schema: Schema | None) -> list[str]:
        """Why ``value`` is not valid under ``schema`` (empty when it is), each as "where: what"."""
        if not schema or self.valid(value, schema):
            return []
        validator = self._validators[id(schema)]
        out = []
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))[:5]:
            where = "/".join(str(p) for p in error.absolute_path) or "body"
            out.append(f"{where}: {error.message[:200]}")
        return out

    def smallest(self, schema: Schema | None, depth: int = 0) -> Any:
        """A small valid instance: required properties only, minimum counts and lengths, the first enum value."""
        if schema is None:
            return None
        key = id(schema)
        if key in self._smallest:
            return copy.deepcopy(self._smallest[key])
        value = self._build(schema, depth)
        if depth == 0:
            self._smallest[key] = value
        return copy.deepcopy(value)

    def _build(self, schema: Schema, depth: int) -> Any:
        schema = self.resolve(schema)
        if depth > 24:
            return None
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return next((v for v in schema["enum"] if v is not None), None)
        if "default" in schema and self.valid(schema["default"], schema):
            return copy.deepcopy(schema["default"])
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                built = self._build(part, depth + 1)
                if isinstance(built, dict):
                    merged.update(built)
            return merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [o for o in schema[key] if self.resolve(o).get("type") != "null"] or schema[key]
                return self._build(options[0], depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None and "properties" in schema:
            kind = "object"
        return self._typed(schema, kind, depth)

    def _typed(self, schema: Schema, kind: Any, depth: int) -> Any:
        if kind == "object":
            props = schema.get("properties", {})
            return {name: self._build(props.get(name, {}), depth + 1) for name in schema.get("required", [])}
        if kind == "array":
            return [self._build(schema.get("items", {}), depth + 1) for _ in range(int(schema.get("minItems", 0)))]
        if kind == "string":
            text = FORMATS.get(str(schema.get("format", "")), "")
            return text + "x" * max(0, int(schema.get("minLength", 0)) - len(text))
        if kind in ("integer", "number"):
            low = schema.get("minimum", 0)
            exclusive = schema.get("exclusiveMinimum")
            if exclusive is True:
                low += 1
            elif not isinstance(exclusive, bool) and isinstance(exclusive, int | float):
                low = exclusive + 1
            number = min(max(low, 0), schema.get("maximum", max(low, 0)))
            return int(number) if kind == "integer" else float(number)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return {}

    def fit(self, record: Any, schema: Schema | None, depth: int = 0) -> Any:
        """``record`` made valid under ``schema``: its valid parts kept, every other required part at its smallest."""
        if schema is None:
            return record
        resolved = self.resolve(schema)
        if depth < 24 and isinstance(record, dict) and self._is_object(resolved):
            props = self._properties(resolved)
            out = self.smallest(schema, depth + 1) if depth else self.smallest(schema)
            out = out if isinstance(out, dict) else {}
            extra = resolved.get("additionalProperties")
            for name, value in record.items():
                # a key the schema does not name is kept, as sent, only where additionalProperties allows it
                # explicitly (a free-form object, {"type": "object", "additionalProperties": true}, has no other)
                if name not in props:
                    if extra is True or (isinstance(extra, dict) and self.valid(value, extra)):
                        out[name] = value
                    continue
                fitted = self.fit(value, props[name], depth + 1)
                if self.valid(fitted, props[name]):
                    out[name] = fitted
            if self.valid(out, schema):
                return out
        elif depth < 24 and isinstance(record, list) and self._kind(resolved) == "array":
            items = resolved.get("items", {})
            fitted_list = [self.fit(item, items, depth + 1) for item in record]
            if self.valid(fitted_list, schema):
                return fitted_list
        elif self.valid(record, schema):
            return record
        return self.smallest(schema, depth + 1) if depth else self.smallest(schema)

    def _properties(self, schema: Schema) -> dict[str, Any]:
        props: dict[str, Any] = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            props.update(self._properties(self.resolve(part)))
        return props

    def _kind(self, schema: Schema) -> str | None:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        return kind if isinstance(kind, str) else None

    def _is_object(self, schema: Schema) -> bool:
        return self._kind(schema) == "object" or "properties" in schema or "allOf" in schema
