"""Where seeds 003/004, the official h2ogpte 1.7.5 client and our contract disagree, reported as drift.

Three checks, each asserting something real and recording each disagreement with ``harness_drift``:

* the contract's schemas against ``h2ogpte.rest_sync``'s models (field names, JSON types, required fields,
  enums): a difference that is not one of the deliberate ones below fails the test;
* the contract's status codes against the generated client's ``_response_types_map``: a status the client
  declares but the contract lacks fails; one the contract adds is drift;
* the seeds' own statements that disagree with the client or the contract: each must really be in the seed;
  the seed's JSON examples must parse and match the contract's schemas.
"""

from __future__ import annotations

import datetime
import inspect
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
import yaml

from h2oharness.apis.h2ogpte import fromclient
from h2oharness.openapi import contract_document

rest = pytest.importorskip("h2ogpte.rest_sync")
models = pytest.importorskip("h2ogpte.rest_sync.models")

HERE = Path(__file__).parent
DOCUMENT = contract_document("h2ogpte")
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
SEED_003 = (HERE / "docs" / "003_964e27c154906f81.txt").read_text()
SEED_004 = (HERE / "docs" / "004_6c764ce58db4db8f.txt").read_text()
CLIENT = "h2ogpte 1.7.5 rest_sync"

# (schema, field, kind of difference): what the contract deliberately does otherwise than the client's models
DELIBERATE = {
    ("MemoryBlock", "can_edit", "only in contract"): "seed 003's memory block object lists can_edit",
    ("ChatCompletionRequest", "stream", "only in contract"): "seed 003 sends stream: true/false; the client's model "
    "has no such field and drops it",
    ("ChatCompletionRequest", "include_chat_history", "enum"): "seed 003 sends 'off' in every example (the "
    "WebSocket protocol takes on/off too); the client's enum is true|false|auto and rejects 'off'",
}


def _kind(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _kind(args[0])
    if origin in (typing.Union, types.UnionType):
        non_null = [a for a in args if a is not type(None)]
        kinds = {_kind(a) for a in non_null}
        return "number" if kinds == {"number", "integer"} else _kind(non_null[0])
    if origin is list:
        return "array"
    if origin is dict:
        return "object"
    simple = {str: "string", bool: "boolean", int: "integer", float: "number", datetime.datetime: "string"}
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return "object"
    return "any"


def _contract_kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema or "allOf" in schema or "properties" in schema:
        return "object"
    if "oneOf" in schema:
        return "any"
    return str(schema.get("type", "any"))


def _enums(model: type) -> dict[str, set[str]]:
    source = inspect.getsource(model)
    found = re.finditer(r"def (\w+)_validate_enum\(cls, value\):.*?set\(\[(.*?)\]\)", source, re.S)
    return {m.group(1): set(re.findall(r"'([^']*)'", m.group(2))) for m in found}


def _differences(name: str, schema: dict[str, Any], model: type) -> list[tuple[str, str, str, str]]:
    """(field, kind, client says, contract says) for each disagreement of one schema with its client model."""
    # JSON names: a field the client renames (``var_schema``) is its alias (``schema``) on the wire
    fields = {f.alias or k: f for k, f in model.model_fields.items() if k != "additional_properties"}
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    enums = {model.model_fields[k].alias or k: values for k, values in _enums(model).items()}
    out = []
    for field in sorted(set(fields) | set(props)):
        if field not in props:
            out.append((field, "only in client", _kind(fields[field].annotation), "absent"))
            continue
        if field not in fields:
            out.append((field, "only in contract", "absent", _contract_kind(props[field])))
            continue
        client_kind, contract_kind = _kind(fields[field].annotation), _contract_kind(props[field])
        if "any" not in (client_kind, contract_kind) and client_kind != contract_kind:
            out.append((field, "type", client_kind, contract_kind))
        if fields[field].is_required() != (field in required):
            out.append((field, "required", str(fields[field].is_required()), str(field in required)))
        contract_enum = {v for v in props[field].get("enum", []) if v is not None}
        if enums.get(field, set()) != contract_enum and (field in enums or contract_enum):
            out.append((field, "enum", "|".join(sorted(enums.get(field, set()))), "|".join(sorted(contract_enum))))
    return out


def test_contract_schemas_match_the_client_models(harness_drift: Any) -> None:
    """Field names, types, required fields and enums agree with h2ogpte.rest_sync, bar the deliberate ones."""
    compared = 0
    unexpected = []
    seen = set()
    for name, schema in SCHEMAS.items():
        model = getattr(models, name, None)
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            continue
        if "actual_instance" in model.model_fields:
            # a oneOf wrapper: its JSON is one of its types, not an object of its Python fields
            continue
        compared += 1
        for field, kind, client_says, contract_says in _differences(name, schema, model):
            reason = DELIBERATE.get((name, field, kind))
            if reason is None:
                unexpected.append(f"{name}.{field}: {kind} (client: {client_says}; contract: {contract_says})")
                continue
            seen.add((name, field, kind))
            harness_drift(
                source=CLIENT,
                what=f"{name}.{field} ({kind})",
                expected=f"client: {client_says}",
                observed=f"contract: {contract_says} ({reason})",
            )
    assert compared >= 40, f"only {compared} contract schemas have a client model to compare with"
    assert not unexpected, "the contract disagrees with the client's models:\n" + "\n".join(unexpected)
    assert seen == set(DELIBERATE), f"deliberate differences no longer present: {set(DELIBERATE) - seen}"


def _client_operations() -> dict[tuple[str, str], tuple[str, set[str]]]:
    """(METHOD, /api/v1 path with anonymous params) -> (client method, declared statuses), from the API sources."""
    found: dict[tuple[str, str], tuple[str, set[str]]] = {}
    api_dir = Path(rest.__file__).parent / "api"
    for source_file in api_dir.glob("*_api.py"):
        source = source_file.read_text()
        for match in re.finditer(r"\n    def (\w+)\(\n(.*?)\n    def ", source, re.S):
            name, body = match.group(1), match.group(2)
            statuses = re.search(r"_response_types_map: Dict\[str, Optional\[str\]\] = \{(.*?)\}", body, re.S)
            if name.startswith("_") or statuses is None:
                continue
            serialize = re.search(rf"def _{name}_serialize\(.*?method='(\w+)',\s*resource_path='([^']+)'", source, re.S)
            if serialize is None:
                continue
            path = re.sub(r"\{\w+\}", "{}", "/api/v1" + serialize.group(2))
            found[(serialize.group(1), path)] = (name, set(re.findall(r"'(\d{3})'", statuses.group(1))))
    return found


def test_contract_status_codes_cover_the_client(harness_drift: Any) -> None:
    """Every status the generated client declares is in the contract; the contract's extra ones are drift."""
    client = _client_operations()
    missing, mapped = [], 0
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            key = (method.upper(), re.sub(r"\{\w+\}", "{}", path))
            documented = set(operation["responses"])
            if key not in client:
                harness_drift(
                    source=CLIENT,
                    what=f"{method.upper()} {path}",
                    expected="an operation of the official client",
                    observed="documented by the seeds only; the h2ogpte package has no code for it",
                )
                continue
            mapped += 1
            name, declared = client[key]
            if declared - documented:
                missing.append(f"{method.upper()} {path} ({name}): {sorted(declared - documented)}")
            if documented - declared:
                harness_drift(
                    source=CLIENT,
                    what=f"{method.upper()} {path} status codes",
                    expected=f"client {name} declares {', '.join(sorted(declared))}",
                    observed=f"contract adds {', '.join(sorted(documented - declared))} (what the mock answers)",
                )
    assert mapped >= 55, f"only {mapped} contract operations found in the client"
    assert not missing, "statuses the client declares but the contract lacks:\n" + "\n".join(missing)


# (seed, literal text in the seed, what, the seed says, the client / contract says)
SEED_DRIFT = (
    ("003", '"stream": True', "completions body", "stream: true/false in the body",
     "ChatCompletionRequest has no stream field (dropped by the client); the contract adds it"),
    ("003", '"include_chat_history": "off"', "include_chat_history", "'off'",
     "client enum true|false|auto rejects 'off'; the contract also allows on/off"),
    ("003", '"agentic_rag", "rlm_rag", "fast_agentic_rag"', "rag_type values", "11 values incl. agentic ones",
     "client documents 7 (auto, llm_only, rag, hyde1, hyde2, rag+, all_data); rag_config is a free object"),
    ("003", "POST/api/v1/uploads/{id}/ingest", "ingest path", "singular {id}, synchronous 204",
     "client: list {upload_ids}; high-level client uses /uploads/{ids}/ingest/job (201 JobDetails) and polls"),
    ("003", "the API returns 404", "second delete", "404 on a resource already deleted",
     "client declares no 404 on DELETE /collections/{id} or /chats/{id}; the contract adds it"),
    ("003", "200 = success, 204 = success", "agent_server_files delete statuses", "200 or 204, 409 on conflict",
     "client declares 204/400/401/409; contract: 204 (200 undeclared)"),
    ("003", "can_edit", "MemoryBlock.can_edit", "a field of the memory block object",
     "absent from the client's MemoryBlock; the contract keeps it optional"),
    ("003", "system_prompt, user_instruction, or agent_file", "injection_mode", "3 values",
     "client: 4 values (adds agent_tool)"),
    ("003", "403 Forbidden", "memory block errors", "401/403/404/409 for every operation",
     "client: create declares no 403; get/list declare no 403/409"),
    ("003", '"max_new_tokens": 4096', "llm_args", "max_new_tokens default 1536 in the parameter table",
     "client docs: default 1024"),
    ("003", "name = m.get(\"name\") or m.get(\"id\")", "models list: item fields", "reads name or id",
     "client Model: id and display_name required; no name"),
    ("004", "Content-Type: application/json", "update custom tool", "PUT with a JSON body {tool_args: {...}}",
     "client: multipart form tool_args (JSON string); the generated method sends an empty JSON body"),
    ("004", "File is too large, maximum size is 20MB", "413 on custom tools/agents", "documented 413",
     "client declares 201/400/401/415 only; the contract adds 413"),
    ("004", "langgraph, crewai, openai, claude", "agent_type", "4 accepted values",
     "client: free string on upload; Agent.type enum adds built_in"),
    ("004", "Returns: dict — the created association", "association create status", "unstated",
     "client: 200 (not 201)"),
    ("004", "OpenAI-compatible chat completions endpoint", "OpenAI-compatible API", "documented",
     "absent from the h2ogpte package; the contract follows the seed (SSE streaming as OpenAI's)"),
    ("004", '"choices": [', "OpenAI chat completion response", "choices and usage only",
     "OpenAI's object also has id, object, created, model; the contract keeps them optional"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("seed", "literal", "what", "seed_says", "other_says"), SEED_DRIFT, ids=[d[2] for d in SEED_DRIFT]
)
def test_seed_disagreement(
    seed: str, literal: str, what: str, seed_says: str, other_says: str, harness_drift: Any
) -> None:
    """Each recorded disagreement is really in the seed; it is reported as drift."""
    text = SEED_003 if seed == "003" else SEED_004
    assert literal in text, f"seed {seed} no longer says {literal!r}: drop or update this drift entry"
    source = "003_964e27c154906f81.txt" if seed == "003" else "004_6c764ce58db4db8f.txt"
    harness_drift(source=source, what=what, expected=seed_says, observed=other_says)


def _resolve(schema: Any) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _resolve(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
        out = {k: _resolve(v) for k, v in schema.items() if k not in ("nullable", "format", "description")}
        if "properties" in schema:
            out["properties"] = {k: _resolve(v) for k, v in schema["properties"].items()}
        return {"anyOf": [out, {"type": "null"}]} if schema.get("nullable") else out
    if isinstance(schema, list):
        return [_resolve(s) for s in schema]
    return schema


def _json_after(text: str, marker: str) -> Any:
    start = text.index("{", text.index(marker))
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            block = "\n".join(line for line in text[start : end + 1].splitlines() if not line.strip().startswith("//"))
            return json.loads(re.sub(r",\s*([\]}])", r"\1", block))
    raise AssertionError(f"no JSON object after {marker!r}")


# (marker in seed 004, schema the example should match)
SEED_EXAMPLES = (
    ('Request:\n{\n"model": "auto",\n"messages"', "OpenAIChatCompletionRequest"),
    ('Response:\n{\n"choices"', "OpenAIChatCompletion"),
    ('Request:\n{\n"model": "auto",\n"input": "What color', "OpenAIResponsesRequest"),
    ("Alternative Request with Chat History:", "OpenAIResponsesRequest"),
    ('Response:\n{\n"id": "resp_abc123"', "OpenAIResponse"),
    ('Response:\n{\n"object": "list"', "OpenAIModelList"),
    ("Returns a unified result envelope:", None),
)


@pytest.mark.parametrize(("marker", "schema_name"), SEED_EXAMPLES, ids=[s or "envelope" for _, s in SEED_EXAMPLES])
def test_seed_example_parses_and_matches_the_contract(marker: str, schema_name: str | None) -> None:
    """The seed's JSON examples parse (bar its ``//`` comments) and are valid against the contract's schema."""
    if schema_name is None:
        # the inspect envelope uses {...} placeholders: only its keys can be checked
        assert '"status": "success"' in SEED_004[SEED_004.index(marker) :][:400]
        return
    example = _json_after(SEED_004, marker)
    errors = [e.message for e in jsonschema.Draft7Validator(_resolve(SCHEMAS[schema_name])).iter_errors(example)]
    assert not errors, f"seed 004's {schema_name} example does not match the contract: {errors[:3]}"


def test_client_expects_a_body_on_a_bodiless_204(harness_drift: Any) -> None:
    """The generated delete_chat_session parses its 204 as a ChatSession, so it fails on the seed's empty 204."""
    name, declared = _client_operations()[("DELETE", "/api/v1/chats/{}")]
    source = (Path(rest.__file__).parent / "api" / "chat_api.py").read_text()
    assert name == "delete_chat_session"
    assert "204" in declared
    assert "'204': \"ChatSession\"" in source
    contract = DOCUMENT["paths"]["/api/v1/chats/{session_id}"]["delete"]["responses"]["204"]
    assert "content" not in contract, "the contract's 204 has no body, as the seed's cleanup expects"
    harness_drift(
        source=CLIENT,
        what="DELETE /api/v1/chats/{session_id} 204",
        expected="204 No Content (seed 003; the contract)",
        observed="client declares '204: ChatSession' and raises a ValidationError on every successful delete",
    )


# the kept part's operations the client has no code for
KEPT_ONLY = {
    "GET /rpc/health/readiness", "GET /rpc/health/liveness", "GET /file", "GET /openai_api/v1/models",
    "POST /openai_api/v1/chat/completions", "POST /openai_api/v1/responses", "GET /openai_api/v1/models/{model}",
    "GET /rpc/meta", "PUT /rpc/fs", "GET /rpc/fs", "DELETE /rpc/fs",
}  # fmt: skip


def test_the_kept_part_and_the_client_disagree_only_as_listed(harness_drift: Any) -> None:
    """Every place where the contract's hand-kept part (seeds, mock) overrides the client's definition is drift."""
    kept = yaml.load((HERE / "kept.yaml").read_text(), Loader=yaml.CSafeLoader)
    lines = fromclient.disagreements(fromclient.client_document(), kept)
    absent = {line.split(":")[0] for line in lines if "not in the client" in line}
    assert absent == KEPT_ONLY
    # the kept part adds statuses (404, 413: the seeds') but never drops one the client declares
    assert not [line for line in lines if "statuses:" in line and not line.endswith("lacks none")]
    for line in lines:
        what, _, difference = line.partition(": ")
        harness_drift(source=CLIENT, what=what, expected="the client's definition", observed=f"kept: {difference}")
