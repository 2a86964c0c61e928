"""What an OpenAI-style request asks of the answer's shape: a forced tool call, a JSON object, a JSON schema."""

from __future__ import annotations

import json
import re
from typing import Any

_WORD = re.compile(r"[A-Za-z][\w-]*")
#: how deep an example instance goes into nested schemas (a recursive schema stops there)
MAX_DEPTH = 8


def forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The function a ``tool_choice`` forces: the one it names, or the first tool for "required"; else None.

    A choice naming no given tool is ignored, as the seed says unsupported fields are ("ignored without error").
    """
    tools = [t.get("function") for t in body.get("tools") or [] if isinstance(t, dict)]
    functions = {f["name"]: f for f in tools if isinstance(f, dict) and isinstance(f.get("name"), str)}
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return functions.get(choice["function"].get("name"))
    if choice == "required" and functions:
        return next(iter(functions.values()))
    return None


def tool_call(function: dict[str, Any], prompt: str, call_id: str) -> dict[str, Any]:
    """A tool call of ``function`` with arguments fitting its parameters, filled from the prompt's words."""
    arguments = example(function.get("parameters") or {"type": "object"}, prompt)
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": function["name"], "arguments": json.dumps(arguments)},
    }


def json_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON shape asked for: chat's ``response_format`` or Responses' ``text.format`` (json_object/json_schema)."""
    fmt = body.get("response_format")
    if fmt is None and isinstance(body.get("text"), dict):
        fmt = body["text"].get("format")
    if not isinstance(fmt, dict) or fmt.get("type") not in ("json_object", "json_schema"):
        return None
    if fmt["type"] == "json_object":
        return {"type": "object"}
    # chat nests the schema under json_schema; Responses puts it on the format itself
    nested = fmt.get("json_schema")
    holder: dict[str, Any] = nested if isinstance(nested, dict) else fmt
    schema = holder.get("schema")
    return schema if isinstance(schema, dict) else {"type": "object"}


def json_text(schema: dict[str, Any], prompt: str, answer: str) -> str:
    """The answer as JSON text valid under ``schema`` (a bare object gets ``{"answer": ...}``)."""
    if schema == {"type": "object"}:
        return json.dumps({"answer": answer})
    return json.dumps(example(schema, prompt, root=schema))


def example(schema: dict[str, Any], text: str, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A value valid under a JSON schema (every property filled; strings are words of ``text``)."""
    root = root if root is not None else schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and depth < MAX_DEPTH:
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return example(node, text, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"]
        if options:
            return example(options[0], text, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        if depth >= MAX_DEPTH:
            return {}
        props = schema.get("properties") or {}
        return {name: example(sub, text, root, depth + 1) for name, sub in props.items() if isinstance(sub, dict)}
    if kind == "array":
        item = schema.get("items")
        count = max(1, int(schema.get("minItems", 1)))
        return [example(item, text, root, depth + 1) for _ in range(count)] if isinstance(item, dict) else []
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    words = [w for w in _WORD.findall(text) if w[0].isupper()] or _WORD.findall(text) or ["value"]
    return words[-1].rstrip("?")
